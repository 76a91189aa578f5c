// Strategy comparison (`qdse compare`): pipeline::run_compare runs several samplers,
// each `repeats` times (seeds 0..R-1) on one search space, all runs sharing ONE
// TrialEvaluator, so a configuration is evaluated once however many runs propose it
// (the whole comparison costs about one brute-force pass plus the samplers' own
// time). This header summarizes those runs. Brute force runs once (it is
// deterministic) and defines the optimum; when it was skipped (the space has more
// than `max_bruteforce` configurations) the optimum is the best value any run found.
//
// Measured per run, after each trial k: the best feasible objective so far (one
// objective) or the hypervolume of the feasible front so far (several objectives,
// sum_scaled_metrics = false; reference point: `hv_reference` in the objectives' own
// units when given (`--hv-reference`), else Optuna's nadir rule over every trial of
// every run, so all runs share it). A run's pass_evaluations (the sensitivity pass of a
// warm-started sampler) come first in its curve, at the value before any trial, so
// every trial count below includes them. From that curve: trials until it reaches
// the optimum, and until it is within `tolerance` of it (absolute, in objective
// units, for one objective; a fraction of the optimum hypervolume for several).
// Per strategy: median / min / max curves, medians of those trial counts (a run
// that never reached counts as infinitely many) and how many runs reached.
//
// Outputs (write_compare_outputs): compare.csv (one row per strategy),
// compare_runs.csv (one row per run), compare_curves.csv (median/min/max per
// strategy and trial count), compare.json, and compare.html with two gnuplot
// figures (compare_curves, compare_success) when gnuplot is available.
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "qdse/pipeline/compare_runs.hpp"
#include "qdse/search/trial.hpp"

namespace qdse::report {

// The runs themselves come from pipeline::run_compare (pipeline/compare_runs.hpp).
using pipeline::CompareOptions;
using pipeline::RawRun;
using pipeline::canonical_strategy;

struct CompareRun {
  std::string strategy;
  std::uint64_t seed = 0;
  std::vector<double> curve;          // value after k+1 trials; NaN before the first feasible trial
  std::optional<int> to_optimum;      // trials until the curve first reached the optimum
  std::optional<int> to_tolerance;    // ... came within tolerance of it
  double final_value = 0;
  double seconds = 0, sampler_seconds = 0;
  int cached = 0;
};

struct StrategySummary {
  std::string strategy;
  int runs = 0;
  int trials_per_run = 0;                  // longest run
  std::vector<double> median, min, max;    // over runs, per trial count (NaN-free runs only)
  std::vector<double> within_tolerance;    // fraction of runs within tolerance after k+1 trials
  double final_median = 0, final_min = 0, final_max = 0;
  std::optional<double> median_to_optimum, median_to_tolerance;  // nullopt: the median run never got there
  int reached_optimum = 0, reached_tolerance = 0;
  double sampler_seconds = 0;  // mean per run
  double seconds = 0;          // mean wall time per run (later runs profit from the shared cache)
};

struct CompareResult {
  std::vector<search::Direction> directions;
  bool multi_objective = false;
  std::string measure;                   // "best objective" or "hypervolume"
  std::optional<double> optimum;
  std::string optimum_source;            // "bruteforce" or "best of all runs"
  std::vector<std::string> notes;        // e.g. why brute force was skipped
  double tolerance = 0;
  std::vector<double> hv_reference;      // losses (multi-objective only)
  std::vector<CompareRun> runs;
  std::vector<StrategySummary> summaries;
  int total_trials = 0;
  int distinct_configs = 0;              // configurations actually evaluated
  double seconds = 0;
  std::optional<std::uint64_t> space_size;
  nlohmann::json provenance = nlohmann::json::object();
};

// Curves, trial counts and per-strategy summaries from finished runs (the pure part).
// `optimum_from_bruteforce`: the bruteforce run covered the whole space. `hv_reference`:
// see above (one value per objective; ignored for one objective).
CompareResult summarize_runs(const std::vector<RawRun>& runs, const std::vector<search::Direction>& directions,
                             double tolerance, bool optimum_from_bruteforce,
                             const std::vector<double>& hv_reference = {});

// summarize_runs over pipeline::run_compare's runs, with its notes, space size and time.
CompareResult summarize_compare(const pipeline::CompareRuns& runs, const std::vector<search::Direction>& directions,
                                double tolerance);

// The terminal table (optimum line, one row per strategy, notes).
std::string format_compare_table(const CompareResult& result);

nlohmann::json compare_to_json(const CompareResult& result);

// Writes the CSVs, compare.json and compare.html (+ figures when `gnuplot` is set)
// into dir; returns the path of compare.html.
std::string write_compare_outputs(const std::string& dir, const CompareResult& result,
                                  const std::optional<std::string>& gnuplot);

}  // namespace qdse::report
