#include "qdse/pipeline/search_runner.hpp"

#include <torch/types.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "qdse/core/error.hpp"
#include "qdse/core/process_memory.hpp"
#include "qdse/pipeline/fidelity_pruner.hpp"
#include "qdse/storage/heartbeat.hpp"

namespace qdse::pipeline {
namespace {

using Clock = std::chrono::steady_clock;

// State the jobs share; every member is used under `mutex`.
struct Shared {
  std::mutex mutex;
  SearchSummary summary;
  std::optional<double> best;
  int started = 0;  // trials handed to a job (<= n_trials)
  bool done = false;
  std::exception_ptr error;
  // Multi-fidelity only: the best / front that decides pruning (thread-safe on its own).
  std::unique_ptr<PruningReference> reference;
};

struct Evaluated {
  std::vector<double> values;
  bool cached = false;
  bool feasible = true;
  bool pruned = false;  // stopped after a multi-fidelity rung
  int64_t samples = 0;  // evaluation samples scored for it
  std::optional<std::string> error;
};

// Multi-fidelity: the rungs before the last of one trial (fidelity_pruner.hpp). Returns
// the outcome of the rung after which the trial cannot reach the best / front any more,
// with "pruned_rung" and "fidelity_samples" among its metrics; nullopt to go on to the
// last rung. The hw figures are those of the trial's implementation keys, as evaluate_with.
std::optional<TrialOutcome> mf_prune_at_rung(TrialEvaluator& evaluator, const quant::QuantConfig& config,
                                             const ImplConfig& impl, const StrategyConfig& strategy,
                                             const PruningReference& reference) {
  for (int r = 0; r + 1 < evaluator.rungs(); ++r) {
    RungOutcome ro = evaluator.evaluate_rung(config, r);
    if (evaluator.hw_cost() && !impl.empty())
      for (const auto& [name, value] : evaluator.hw_cost()->metrics(ro.outcome.resolved, impl))
        ro.outcome.metrics[name] = value;
    if (!reference.beaten(optimistic_objectives(strategy, ro.outcome.metrics, ro.ranges))) continue;
    ro.outcome.metrics["pruned_rung"] = r;
    ro.outcome.metrics["fidelity_samples"] = static_cast<double>(ro.samples);
    return ro.outcome;
  }
  return std::nullopt;
}

// Evaluates one trial and tells the study; failures of the evaluation become Failed trials.
// With `reference` (multi-fidelity), a trial may stop after a rung and is told Pruned.
Evaluated run_trial(search::Study& study, const QuantSpace& space, TrialEvaluator& evaluator,
                    const StrategyConfig& strategy, const std::map<std::string, double>& float_metrics,
                    const search::TrialHandle& handle, PruningReference* reference) {
  Evaluated out;
  const auto e0 = Clock::now();
  const int64_t samples_before = evaluator.samples_computed();
  try {
    const auto config = space.decode(handle.params);
    const auto impl = space.decode_impl(handle.params);
    if (reference) {
      if (auto pruned = mf_prune_at_rung(evaluator, config, impl, strategy, *reference)) {
        std::vector<double> values = strategy.objective_values(pruned->metrics), constraints;
        for (const auto& c : strategy.constraints)
          constraints.push_back(c.violation(pruned->metrics.at(c.metric), float_metrics.at(c.metric)));
        // Partial values, as Optuna keeps a pruned trial's last intermediate value; a NaN
        // one is not kept.
        if (!std::all_of(values.begin(), values.end(), [](double v) { return std::isfinite(v); })) values.clear();
        auto metrics = pruned->metrics;
        metrics["cached"] = pruned->cached ? 1 : 0;
        metrics["first_recomputed_node"] = pruned->first_recomputed_node;
        const double eval_s = std::chrono::duration<double>(Clock::now() - e0).count();
        study.tell(handle.number, values, constraints, metrics, search::TrialState::Pruned, eval_s);
        out.pruned = true;
        out.cached = pruned->cached;
        out.samples = evaluator.samples_computed() - samples_before;
        return out;
      }
    }
    const auto outcome = evaluator.evaluate_with(config, impl);
    out.values = strategy.objective_values(outcome.metrics);
    std::vector<double> constraints;
    for (const auto& c : strategy.constraints)
      constraints.push_back(c.violation(outcome.metrics.at(c.metric), float_metrics.at(c.metric)));
    auto metrics = outcome.metrics;
    metrics["cached"] = outcome.cached ? 1 : 0;
    metrics["first_recomputed_node"] = outcome.first_recomputed_node;
    const double eval_s = std::chrono::duration<double>(Clock::now() - e0).count();
    study.tell(handle.number, out.values, constraints, metrics, search::TrialState::Complete, eval_s);
    out.cached = outcome.cached;
    out.samples = evaluator.samples_computed() - samples_before;
    for (double c : constraints) out.feasible = out.feasible && c <= 0;
    if (reference && out.feasible &&
        std::all_of(out.values.begin(), out.values.end(), [](double v) { return std::isfinite(v); }))
      reference->add(out.values);
    // Study::tell records a NaN/inf objective as Failed (as Optuna does): count it as failed here too.
    for (double v : out.values)
      if (!std::isfinite(v))
        out.error = "trial " + std::to_string(handle.number) + ": objective value " + std::to_string(v) +
                    " is not finite (a metric was NaN or infinite)";
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::Interrupted) throw;
    study.tell(handle.number, {}, {}, {}, search::TrialState::Failed);
    out.error = "trial " + std::to_string(handle.number) + ": " + e.what();
  } catch (const c10::Error& e) {
    study.tell(handle.number, {}, {}, {}, search::TrialState::Failed);
    out.error = "trial " + std::to_string(handle.number) + ": " + e.what_without_backtrace();
  } catch (const std::exception& e) {
    // Anything else a trial throws (std::bad_alloc, std::out_of_range, ...) fails this
    // trial only: the next configuration may well fit.
    study.tell(handle.number, {}, {}, {}, search::TrialState::Failed);
    out.error = "trial " + std::to_string(handle.number) + ": " + e.what();
  } catch (...) {
    study.tell(handle.number, {}, {}, {}, search::TrialState::Failed);
    out.error = "trial " + std::to_string(handle.number) + ": unknown exception";
  }
  return out;
}

void job(search::Study& study, const QuantSpace& space, TrialEvaluator& evaluator, const StrategyConfig& strategy,
         const std::atomic<bool>* stop, const std::function<void(const SearchProgress&)>& on_trial,
         const RunOptions& options, Clock::time_point t0, Shared& shared) {
  const bool single = strategy.directions().size() == 1;
  const auto float_metrics = shared.summary.float_metrics;  // set before the jobs start
  // One heartbeat thread for all of this job's trials (see heartbeat.hpp).
  std::optional<storage::HeartbeatThread> beat;
  if (options.heartbeat_interval.count() > 0) beat.emplace(study.shared_storage(), options.heartbeat_interval);
  while (true) {
    {
      std::lock_guard lock(shared.mutex);
      auto& s = shared.summary;
      if (shared.done || shared.error || shared.started >= strategy.n_trials) return;
      if (stop && stop->load()) {
        s.interrupted = true;
        return;
      }
      const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
      if (strategy.timeout_seconds > 0 && elapsed >= strategy.timeout_seconds) {
        s.timed_out = true;
        return;
      }
      ++shared.started;
    }
    const auto a0 = Clock::now();
    const auto handle = study.ask();
    const double ask_s = std::chrono::duration<double>(Clock::now() - a0).count();
    if (!handle) {
      std::lock_guard lock(shared.mutex);
      shared.summary.exhausted = shared.done = true;
      shared.summary.sampler_seconds += ask_s;
      --shared.started;
      return;
    }
    const auto e0 = Clock::now();
    if (beat) beat->track(handle->number);
    Evaluated r;
    try {
      r = run_trial(study, space, evaluator, strategy, float_metrics, *handle, shared.reference.get());
    } catch (...) {
      if (beat) beat->untrack();
      throw;
    }
    if (beat) beat->untrack();
    const double eval_s = std::chrono::duration<double>(Clock::now() - e0).count();
    std::lock_guard lock(shared.mutex);
    auto& s = shared.summary;
    s.sampler_seconds += ask_s;
    s.eval_seconds += eval_s;
    s.cached += r.cached ? 1 : 0;
    s.retried += handle->retry_of ? 1 : 0;
    s.pruned += r.pruned ? 1 : 0;
    s.samples_evaluated += r.samples;
    if (r.error) {
      ++s.failed;
      if (s.errors.size() < 5) s.errors.push_back(*r.error);
    } else if (single && r.feasible && !r.pruned) {
      const bool better = !shared.best || (strategy.direction == search::Direction::Maximize
                                               ? r.values[0] > *shared.best
                                               : r.values[0] < *shared.best);
      if (better) shared.best = r.values[0];
    }
    ++s.trials;
    if (s.trials == 1) s.rss_after_first_trial = current_rss_bytes();
    if (on_trial) on_trial({s.trials, strategy.n_trials, shared.best});
  }
}

}  // namespace

SearchSummary run_search(search::Study& study, const QuantSpace& space,
                         const std::vector<TrialEvaluator*>& evaluators, const StrategyConfig& strategy,
                         const std::atomic<bool>* stop, const std::function<void(const SearchProgress&)>& on_trial,
                         RunOptions options) {
  QDSE_ASSERT(!evaluators.empty(), "run_search needs at least one evaluator");
  const auto t0 = Clock::now();
  Shared shared;
  if (strategy.eval.fidelity.enabled) {
    // A resumed study's finished trials count from the start: its best / front is known.
    shared.reference = std::make_unique<PruningReference>(strategy.directions());
    shared.reference->add_trials(study.storage().trials());
  }
  shared.summary.float_metrics = evaluators[0]->float_metrics();
  shared.summary.n_jobs = static_cast<int>(evaluators.size());
  auto guarded = [&](TrialEvaluator* evaluator) {
    try {
      job(study, space, *evaluator, strategy, stop, on_trial, options, t0, shared);
    } catch (...) {
      std::lock_guard lock(shared.mutex);
      if (!shared.error) shared.error = std::current_exception();
    }
  };
  if (evaluators.size() == 1) {
    guarded(evaluators[0]);
  } else {
    std::vector<std::thread> threads;
    try {
      for (auto* evaluator : evaluators) threads.emplace_back(guarded, evaluator);
    } catch (...) {  // no thread left for a job: stop the started ones, then report it
      std::lock_guard lock(shared.mutex);
      shared.done = true;
      if (!shared.error) shared.error = std::current_exception();
    }
    for (auto& t : threads) t.join();
  }
  if (shared.error) std::rethrow_exception(shared.error);
  SearchSummary s = std::move(shared.summary);
  if (s.exhausted) {
    // The sampler has nothing left, but a configuration held by another worker's Running
    // trial is not done: the space is exhausted only when none is (this process's own
    // trials are all finished now that every job has returned).
    s.held_elsewhere = study.storage().running_trials();
    s.exhausted = s.held_elsewhere.empty();
  }
  s.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  s.peak_rss = peak_rss_bytes();
  return s;
}

SearchSummary run_search(search::Study& study, const QuantSpace& space, TrialEvaluator& evaluator,
                         const StrategyConfig& strategy, const std::atomic<bool>* stop,
                         const std::function<void(const SearchProgress&)>& on_trial) {
  return run_search(study, space, std::vector<TrialEvaluator*>{&evaluator}, strategy, stop, on_trial);
}

}  // namespace qdse::pipeline
