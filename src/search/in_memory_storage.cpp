#include "qdse/core/error.hpp"
#include "qdse/search/storage.hpp"

namespace qdse::search {

int InMemoryStorage::create_trial(const ParamVector& params, double sample_seconds, const std::string& worker) {
  FrozenTrial t;
  t.params = params;
  t.sample_seconds = sample_seconds;
  t.worker = worker;
  t.start_time = iso8601_now();
  std::lock_guard lock(mutex_);
  t.number = static_cast<int>(trials_.size());
  trials_.push_back(std::move(t));
  return trials_.back().number;
}

void InMemoryStorage::finish_trial(int number, const TrialResult& result) {
  if (result.state == TrialState::Running) {
    throw Error(ErrorKind::InvalidArgument,
                "finish_trial: the new state must be complete, failed or pruned, got running (trial " +
                    std::to_string(number) + ")");
  }
  std::lock_guard lock(mutex_);
  if (number < 0 || number >= static_cast<int>(trials_.size())) {
    throw Error(ErrorKind::InvalidArgument, "finish_trial: no trial " + std::to_string(number) + " (the study has " +
                                                std::to_string(trials_.size()) + ")");
  }
  FrozenTrial& t = trials_[static_cast<std::size_t>(number)];
  if (t.state != TrialState::Running) {
    throw Error(ErrorKind::InvalidArgument, "finish_trial: trial " + std::to_string(number) + " is already " +
                                                std::string(to_string(t.state)));
  }
  t.state = result.state;
  t.values = result.values;
  t.constraints = result.constraints;
  t.metrics = result.metrics;
  t.eval_seconds = result.eval_seconds;
  t.end_time = iso8601_now();
}

std::vector<FrozenTrial> InMemoryStorage::trials() const {
  std::lock_guard lock(mutex_);
  return trials_;
}

std::optional<FrozenTrial> InMemoryStorage::trial(int number) const {
  std::lock_guard lock(mutex_);
  if (number < 0 || number >= static_cast<int>(trials_.size())) return std::nullopt;
  return trials_[static_cast<std::size_t>(number)];
}

int InMemoryStorage::n_trials() const {
  std::lock_guard lock(mutex_);
  return static_cast<int>(trials_.size());
}

}  // namespace qdse::search
