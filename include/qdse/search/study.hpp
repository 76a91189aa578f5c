// Study: one search, ask/tell style as Optuna. It owns the space, directions and
// sampler and writes trials to a (possibly shared) Storage.
//
//   Study study(space, {Direction::Maximize}, std::make_shared<InMemoryStorage>(),
//               make_sampler("tpe", {.seed = 1}));
//   while (auto t = study.ask()) study.tell(t->number, {evaluate(t->params)});
//
// Claims: ask() records a trial with the storage's atomic try_create_trial, so workers
// sharing a study (threads, processes, hosts) never evaluate one configuration twice.
// A lost claim means the configuration is already held:
//  - if it is among the trials the sampler was just shown, the sampler repeats by
//    design (random; TPE/NSGA-II without avoid_duplicates; a space nearly exhausted):
//    the repeat is recorded with plain create_trial, exactly as without claims (as
//    Optuna; the pipeline answers it from its result cache), so one worker behaves as
//    before and a seed reproduces its study;
//  - else another worker claimed it since the history was read (a race): the sampler
//    is asked again with the fresh history (brute force then moves on to the next
//    cell), up to kMaxRaces times in a row before a plain create.
// Resume: fail_stale_trials(timeout) fails the Running trials of dead workers (local
// processes that are gone at once, others after the heartbeat timeout) and
// queues the configurations of Failed trials for one retry; the next asks claim them
// again (retry_of), before asking the sampler. The claim only succeeds where the stale
// failure released the params and nobody retried them yet, so a configuration is
// retried once, even if the worker that failed it died too. A trial that was itself a
// retry is not retried again.
//
// Thread-safety: ask/tell/best_*/fail_stale_trials may be called from several threads;
// sampler calls are serialised by a mutex (the storage is thread-safe by contract).
// Several Study objects may share one Storage (one per worker).
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "qdse/search/best_trials.hpp"
#include "qdse/search/sampler.hpp"
#include "qdse/search/storage.hpp"

namespace qdse::search {

struct TrialHandle {
  int number = -1;
  ParamVector params;
  std::optional<int> retry_of;  // set when this trial retries a stale one
};

class Study {
 public:
  static constexpr int kMaxRaces = 1000;

  // Throws qdse::Error for an empty space, no directions, or null storage/sampler.
  Study(SearchSpace space, std::vector<Direction> directions, std::shared_ptr<Storage> storage,
        std::unique_ptr<Sampler> sampler, std::string worker = "");

  // A queued retry (see fail_stale_trials) or the sampler's params, claimed as a Running
  // trial (see "Claims" above); nullopt when the sampler is exhausted. sample_seconds is
  // the sampler's wall time.
  std::optional<TrialHandle> ask();

  // Reads every trial first (so a damaged row stops it before any write), fails the
  // storage's Running trials of dead processes of this machine (fail_dead_local_trials:
  // kill -9 then resume retries at once) and those whose heartbeat is >= timeout_seconds
  // old (workers that died elsewhere), then queues every Failed trial that is not a retry and was not
  // retried for one retry by the next ask() calls (see "Resume"). Costs one retry_of
  // read per Failed trial. Returns what the storage failed.
  std::vector<StaleTrial> fail_stale_trials(double timeout_seconds);
  // Retries queued by fail_stale_trials and not yet claimed.
  std::size_t pending_retries() const;
  // Claims lost to other workers since construction (races; repeats by design excluded).
  int lost_claims() const;

  // Records the outcome of a trial. For Complete, values must have one finite entry per
  // direction (a NaN value records the trial as Failed, as Optuna). eval_seconds
  // defaults to the time since this Study's ask() for that trial (0 if unknown).
  void tell(int number, std::vector<double> values, std::vector<double> constraints = {},
            std::map<std::string, double> metrics = {}, TrialState state = TrialState::Complete,
            std::optional<double> eval_seconds = std::nullopt);

  // Best Complete trial of a single-objective study (throws if multi-objective); nullopt
  // when there is no Complete trial. Ties -> lowest number. The rule: best_trials.hpp.
  std::optional<BestTrial> best_trial() const;

  // Pareto front of the feasible Complete trials, by number (best_trials.hpp).
  std::vector<FrozenTrial> best_trials() const;

  std::vector<FrozenTrial> trials() const { return storage_->trials(); }
  const SearchSpace& space() const { return space_; }
  const std::vector<Direction>& directions() const { return directions_; }
  Storage& storage() const { return *storage_; }
  const std::shared_ptr<Storage>& shared_storage() const { return storage_; }
  const std::string& worker() const { return worker_; }
  Sampler& sampler() const { return *sampler_; }

 private:
  SearchSpace space_;
  std::vector<Direction> directions_;
  std::shared_ptr<Storage> storage_;
  std::unique_ptr<Sampler> sampler_;
  std::string worker_;
  mutable std::mutex mutex_;
  std::unordered_map<int, std::chrono::steady_clock::time_point> asked_at_;
  std::deque<StaleTrial> retries_;  // configurations of stale trials, to claim once more
  SeenTracker seen_;                // history configurations, to tell repeats from races
  int lost_claims_ = 0;
  // The study's trials as last read (history_[i].number == i), refreshed incrementally
  // by refresh_history_locked(): new trials plus the ones still Running here.
  std::vector<FrozenTrial> history_;
  std::set<int> running_;
  void refresh_history_locked();
};

}  // namespace qdse::search
