// Study: one search, ask/tell style as Optuna. It owns the space, directions and
// sampler and writes trials to a (possibly shared) Storage.
//
//   Study study(space, {Direction::Maximize}, std::make_shared<InMemoryStorage>(),
//               make_sampler("tpe", {.seed = 1}));
//   while (auto t = study.ask()) study.tell(t->number, {evaluate(t->params)});
//
// Thread-safety: ask/tell/best_* may be called from several threads; sampler calls are
// serialised by a mutex (the storage is thread-safe by contract). Several Study objects
// may share one Storage (one per worker).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "qdse/search/sampler.hpp"
#include "qdse/search/storage.hpp"

namespace qdse::search {

struct TrialHandle {
  int number = -1;
  ParamVector params;
};

// The single-objective winner. `feasible` is false when no complete trial satisfies its
// constraints and this is the one with the least total violation.
struct BestTrial {
  FrozenTrial trial;
  bool feasible = true;
};

class Study {
 public:
  // Throws qdse::Error for an empty space, no directions, or null storage/sampler.
  Study(SearchSpace space, std::vector<Direction> directions, std::shared_ptr<Storage> storage,
        std::unique_ptr<Sampler> sampler, std::string worker = "");

  // Asks the sampler for params and records a Running trial; nullopt when the sampler is
  // exhausted. sample_seconds is the sampler's wall time.
  std::optional<TrialHandle> ask();

  // Records the outcome of a trial. For Complete, values must have one finite entry per
  // direction (a NaN value records the trial as Failed, as Optuna). eval_seconds
  // defaults to the time since this Study's ask() for that trial (0 if unknown).
  void tell(int number, std::vector<double> values, std::vector<double> constraints = {},
            std::map<std::string, double> metrics = {}, TrialState state = TrialState::Complete,
            std::optional<double> eval_seconds = std::nullopt);

  // Best Complete trial of a single-objective study (throws if multi-objective); nullopt
  // when there is no Complete trial. Ties -> lowest number.
  std::optional<BestTrial> best_trial() const;

  // Pareto front of the feasible Complete trials, by number.
  std::vector<FrozenTrial> best_trials() const;

  std::vector<FrozenTrial> trials() const { return storage_->trials(); }
  const SearchSpace& space() const { return space_; }
  const std::vector<Direction>& directions() const { return directions_; }
  Storage& storage() const { return *storage_; }
  Sampler& sampler() const { return *sampler_; }

 private:
  SearchSpace space_;
  std::vector<Direction> directions_;
  std::shared_ptr<Storage> storage_;
  std::unique_ptr<Sampler> sampler_;
  std::string worker_;
  mutable std::mutex mutex_;
  std::unordered_map<int, std::chrono::steady_clock::time_point> asked_at_;
};

}  // namespace qdse::search
