// run_search(): the search loop that joins a Study (sampler + storage) with the
// TrialEvaluator: ask -> decode params into a QuantConfig -> evaluate (cached) ->
// tell objective values, constraints and metrics. A trial whose evaluation throws
// is recorded FAILED and the search goes on. Stops at n_trials (trials of THIS call,
// as Optuna's n_trials per optimize(): a resumed study runs n_trials more), at the
// timeout, when the sampler is exhausted (brute force), or when `stop` is set (Ctrl-C);
// every finished trial is kept in the storage either way.
//
// Parallel trials (n_jobs): pass one evaluator per job. Each job is a thread with its
// own evaluator (TrialEvaluator is not thread-safe; the graph and data tensors are
// shared read-only) asking and telling the one Study (thread-safe; asks are
// serialised, evaluations run in parallel). The n_trials budget is shared. Brute force
// gives the same set of configurations and metrics as one job.
// Heartbeats: with a non-zero interval, each job has one storage::HeartbeatThread
// that beats the trial the job is evaluating, so other workers' fail_stale_trials never
// mistake a long evaluation for a dead worker.
// Thread-safety: blocks the calling thread until every job is done; the first error a
// job throws (besides a failed trial) stops the other jobs and is rethrown.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "qdse/pipeline/quant_space.hpp"
#include "qdse/pipeline/strategy_config.hpp"
#include "qdse/pipeline/trial_evaluator.hpp"
#include "qdse/search/study.hpp"

namespace qdse::pipeline {

struct SearchProgress {
  int finished = 0;
  int total = 0;
  std::optional<double> best;  // single objective only
};

struct SearchSummary {
  int trials = 0;          // trials this call ran (retries of stale trials included)
  int failed = 0;
  int cached = 0;          // trials answered from the result cache (repeated configs)
  int retried = 0;         // trials that retried a stale trial (retry_of)
  int pruned = 0;          // trials stopped after a multi-fidelity rung (told Pruned)
  int64_t samples_evaluated = 0;  // evaluation samples scored for this call's trials
  // The sampler had nothing left (brute force done) AND no configuration is still held
  // by a Running trial: every configuration of the space has a finished trial.
  bool exhausted = false;
  // The sampler had nothing left but these Running trials of other workers (live, or on
  // another host, or whose death is not yet known) still hold configurations: the space
  // is not done until they finish or their heartbeat times out (docs/storage.md).
  std::vector<search::RunningTrial> held_elsewhere;
  bool timed_out = false;
  bool interrupted = false;
  double seconds = 0;
  double sampler_seconds = 0;
  double eval_seconds = 0;
  int n_jobs = 1;
  // Resident memory (bytes; 0 = unknown): after the first trial of this call finished
  // and the process peak at the end, for the bound "peak <= 1.2 x (first-trial RSS +
  // trial records + memo budget)" that bench/README.md checks.
  int64_t rss_after_first_trial = 0;
  int64_t peak_rss = 0;
  std::map<std::string, double> float_metrics;
  std::vector<std::string> errors;  // why trials failed (first few)
};

struct RunOptions {
  // Heartbeat interval of Running trials; 0 = no heartbeat thread.
  std::chrono::milliseconds heartbeat_interval{0};
};

// One job per evaluator (at least one).
SearchSummary run_search(search::Study& study, const QuantSpace& space,
                         const std::vector<TrialEvaluator*>& evaluators, const StrategyConfig& strategy,
                         const std::atomic<bool>* stop,
                         const std::function<void(const SearchProgress&)>& on_trial = {}, RunOptions options = {});

// One job.
SearchSummary run_search(search::Study& study, const QuantSpace& space, TrialEvaluator& evaluator,
                         const StrategyConfig& strategy, const std::atomic<bool>* stop,
                         const std::function<void(const SearchProgress&)>& on_trial = {});

}  // namespace qdse::pipeline
