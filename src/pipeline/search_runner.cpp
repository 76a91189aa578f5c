#include "qdse/pipeline/search_runner.hpp"

#include <torch/torch.h>

#include <chrono>
#include <cmath>

#include "qdse/core/error.hpp"

namespace qdse::pipeline {

SearchSummary run_search(search::Study& study, const QuantSpace& space, TrialEvaluator& evaluator,
                         const StrategyConfig& strategy, const std::atomic<bool>* stop,
                         const std::function<void(const SearchProgress&)>& on_trial) {
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  SearchSummary s;
  s.float_metrics = evaluator.float_metrics();
  const bool single = strategy.directions().size() == 1;
  std::optional<double> best;
  while (s.trials < strategy.n_trials) {
    if (stop && stop->load()) {
      s.interrupted = true;
      break;
    }
    const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
    if (strategy.timeout_seconds > 0 && elapsed >= strategy.timeout_seconds) {
      s.timed_out = true;
      break;
    }
    const auto a0 = Clock::now();
    const auto handle = study.ask();
    s.sampler_seconds += std::chrono::duration<double>(Clock::now() - a0).count();
    if (!handle) {
      s.exhausted = true;
      break;
    }
    const auto e0 = Clock::now();
    try {
      const auto outcome = evaluator.evaluate(space.decode(handle->params));
      const auto values = strategy.objective_values(outcome.metrics);
      std::vector<double> constraints;
      for (const auto& c : strategy.constraints)
        constraints.push_back(c.violation(outcome.metrics.at(c.metric), s.float_metrics.at(c.metric)));
      auto metrics = outcome.metrics;
      metrics["cached"] = outcome.cached ? 1 : 0;
      metrics["first_recomputed_node"] = outcome.first_recomputed_node;
      const double eval_s = std::chrono::duration<double>(Clock::now() - e0).count();
      study.tell(handle->number, values, constraints, metrics, search::TrialState::Complete, eval_s);
      s.cached += outcome.cached ? 1 : 0;
      bool feasible = true;
      for (double c : constraints) feasible = feasible && c <= 0;
      if (single && feasible) {
        const bool better = !best || (strategy.direction == search::Direction::Maximize ? values[0] > *best
                                                                                        : values[0] < *best);
        if (better) best = values[0];
      }
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::Interrupted) throw;
      study.tell(handle->number, {}, {}, {}, search::TrialState::Failed);
      ++s.failed;
      if (s.errors.size() < 5) s.errors.push_back("trial " + std::to_string(handle->number) + ": " + e.what());
    } catch (const c10::Error& e) {
      study.tell(handle->number, {}, {}, {}, search::TrialState::Failed);
      ++s.failed;
      if (s.errors.size() < 5)
        s.errors.push_back("trial " + std::to_string(handle->number) + ": " + e.what_without_backtrace());
    }
    s.eval_seconds += std::chrono::duration<double>(Clock::now() - e0).count();
    ++s.trials;
    if (on_trial) on_trial({s.trials, strategy.n_trials, best});
  }
  s.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return s;
}

}  // namespace qdse::pipeline
