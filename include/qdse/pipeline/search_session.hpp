// SearchSession: everything a search needs between the command line and the search
// loop, in one place for `qdse search` and `qdse compare`.
//
//   settings  the config's SearchConfig (parse_search_config, the one reader of [search])
//             with the command-line overrides applied (apply_overrides, search_config.hpp)
//   inputs    model and weights, dataset (train split only when calibration or a
//             validation split needs it), calibration ranges, one evaluator per job
//             (they share graph and data and split the memo budget)
//   identity  the study description: space, model, scoring and the fingerprint of
//             every input that determines a trial's result (study_fingerprint.hpp)
//   study     (qdse search) the run directory is checked, then the storage is opened
//             (create or resume); a refused resume leaves the run directory untouched;
//             only an accepted study gets RUN_DIR/config.toml
//   run       pipeline::run_search over the session's evaluators
//
// Outputs (trials.json, best.json, report, hls4ml.yml) are written by
// report::write_search_outputs from a session and its summary.
// Ownership: owns the workspace (graph, data), space, evaluators, storage and study;
// not copyable or movable (the space and evaluators refer to the graph).
// Thread-safety: one thread drives a session; run() runs the jobs in parallel.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "qdse/io/run_config.hpp"
#include "qdse/lower/calibration.hpp"
#include "qdse/pipeline/quant_space.hpp"
#include "qdse/pipeline/search_config.hpp"
#include "qdse/pipeline/search_runner.hpp"
#include "qdse/pipeline/trial_evaluator.hpp"
#include "qdse/pipeline/workspace.hpp"
#include "qdse/search/storage.hpp"
#include "qdse/search/study.hpp"

namespace qdse::pipeline {

class SearchSession {
 public:
  // Applies the thread budget of its n_jobs (thread_budget.hpp; `threads` = --threads or
  // `threads`, 0 = automatic), loads model, weights, data and calibration and builds
  // the evaluators.
  SearchSession(io::RunConfig config, SearchOverrides overrides, int threads);
  SearchSession(const SearchSession&) = delete;
  SearchSession& operator=(const SearchSession&) = delete;
  ~SearchSession();

  const io::RunConfig& config() const { return workspace_.config; }
  const Workspace& workspace() const { return workspace_; }
  const QuantSpace& space() const { return *space_; }
  // [search] with the overrides applied (the study's defaults filled in by open_study).
  const SearchConfig& search_config() const { return settings_; }
  const StrategyConfig& strategy() const { return settings_.strategy; }
  const StudySetup& setup() const { return settings_.setup; }
  const quant::RangeStats& stats() const { return stats_; }
  const data::Split& eval_split() const;
  std::vector<TrialEvaluator*> evaluators() const;
  double startup_seconds() const { return startup_seconds_; }

  // The study's identity: what a resumed study must agree on (stored with the study).
  const nlohmann::json& description() const { return description_; }

  // qdse search: checks the run directory, opens the study (create or resume; a
  // mismatched resume throws naming the differing inputs), fails the Running trials of
  // dead workers, then creates the run directory and copies the config into it.
  void open_study();
  const std::string& run_dir() const { return run_dir_; }
  search::Study& study() { return *study_; }
  const search::Study& study() const { return *study_; }
  std::string shown_storage() const;  // the storage URL without a password
  const std::string& worker() const { return worker_; }
  int trials_before() const { return trials_before_; }
  std::size_t stale_trials() const { return stale_trials_; }
  // Why the resume could not check every input (a study from before fingerprints), else "".
  const std::string& resume_warning() const { return resume_warning_; }
  // Trials this call will run at most (brute force: the cells left).
  int planned_trials() const;

  // Runs the search on the opened study.
  SearchSummary run(const std::atomic<bool>* stop, const std::function<void(const SearchProgress&)>& on_trial);

  // Runs `strategy` on another study over the same space with the first evaluator
  // (qdse compare: many short studies sharing one result cache).
  SearchSummary run_on(search::Study& study, const StrategyConfig& strategy, const std::atomic<bool>* stop,
                       const std::function<void(const SearchProgress&)>& on_trial);

  // Where the inputs came from (shared by search and compare).
  nlohmann::json input_provenance() const;
  // best.json's provenance of a search: inputs, sampler, study, run directory.
  nlohmann::json provenance() const;

 private:
  SearchOverrides overrides_;
  SearchConfig settings_;
  Workspace workspace_;
  std::unique_ptr<QuantSpace> space_;  // refers to workspace_.graph
  quant::RangeStats stats_;
  std::vector<std::unique_ptr<TrialEvaluator>> evaluators_;
  nlohmann::json description_;
  double startup_seconds_ = 0;
  std::string run_dir_;
  std::string worker_;
  std::shared_ptr<search::Storage> storage_;
  std::unique_ptr<search::Study> study_;
  int trials_before_ = 0;
  std::size_t stale_trials_ = 0;
  std::string resume_warning_;
};

}  // namespace qdse::pipeline
