// Run outputs: the files a search leaves in its run directory, and the table of
// best trials printed at the end.
//   trials.json  every trial: number, state, params (chosen values by MASE param
//                name), metrics, objective values, constraints, feasibility,
//                start/end time, sampler and evaluation seconds, worker, retry_of
//   trials.csv   the same, one row per trial, one column per param and metric
//                (report/trial_table.hpp writes both, and `qdse trials` exports)
//   best.json    the best feasible trial (single objective; or the least-violating
//                one, flagged) or the whole feasible Pareto front (multi-objective),
//                with the float baseline and the run's summary, the objective
//                (metrics, direction), constraint rules, param names in space order
//                and the provenance object (config, weights, split, seed, sampler)
// Files are written to a temporary name and renamed, so a crash never leaves a
// half-written file. Thread-safety: pure functions of their arguments.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "qdse/core/file_write.hpp"
#include "qdse/pipeline/quant_space.hpp"
#include "qdse/pipeline/search_runner.hpp"
#include "qdse/search/study.hpp"

namespace qdse::report {

// Writes trials.json, trials.csv and best.json into dir; returns best.json's content.
// With `trials_json`, also hands back trials.json's content (so the report need not
// parse the file again: ~1 s for 27,000 trials); with `best_trials`, the trials of
// best.json as the study holds them (the export takes them from there, not from JSON).
nlohmann::json write_run_outputs(const std::string& dir, const search::Study& study,
                                 const pipeline::QuantSpace& space,
                                 const pipeline::StrategyConfig& strategy,
                                 const pipeline::SearchSummary& summary, const nlohmann::json& provenance,
                                 nlohmann::json* trials_json = nullptr,
                                 std::vector<search::FrozenTrial>* best_trials = nullptr);

// Human table of best.json's trials (objective values and the metrics in the objective).
std::string format_best_table(const nlohmann::json& best, const pipeline::StrategyConfig& strategy);

// Written through core/file_write.hpp (temporary name + rename).
using qdse::csv_escape;
using qdse::write_file_atomic;

}  // namespace qdse::report
