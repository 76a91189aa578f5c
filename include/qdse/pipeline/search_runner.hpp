// run_search(): the search loop that joins a Study (sampler + storage) with the
// TrialEvaluator: ask -> decode params into a QuantConfig -> evaluate (cached) ->
// tell objective values, constraints and metrics. A trial whose evaluation throws
// is recorded FAILED and the search goes on. Stops at n_trials, at the timeout,
// when the sampler is exhausted (brute force), or when `stop` is set (Ctrl-C);
// every finished trial is kept in the storage either way.
// Thread-safety: runs on the calling thread.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>

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
  int trials = 0;
  int failed = 0;
  int cached = 0;          // trials answered from the result cache (repeated configs)
  bool exhausted = false;  // the sampler had nothing left (brute force done)
  bool timed_out = false;
  bool interrupted = false;
  double seconds = 0;
  double sampler_seconds = 0;
  double eval_seconds = 0;
  std::map<std::string, double> float_metrics;
  std::vector<std::string> errors;  // why trials failed (first few)
};

SearchSummary run_search(search::Study& study, const QuantSpace& space, TrialEvaluator& evaluator,
                         const StrategyConfig& strategy, const std::atomic<bool>* stop,
                         const std::function<void(const SearchProgress&)>& on_trial = {});

}  // namespace qdse::pipeline
