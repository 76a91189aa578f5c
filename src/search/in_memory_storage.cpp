#include "qdse/core/error.hpp"
#include "qdse/search/finish_rule.hpp"
#include "qdse/search/storage.hpp"

#include <algorithm>

namespace qdse::search {

int InMemoryStorage::append_locked(const ParamVector& params, double sample_seconds, const std::string& worker,
                                   std::optional<int> retry_of) {
  FrozenTrial t;
  t.number = static_cast<int>(trials_.size());
  t.params = params;
  t.sample_seconds = sample_seconds;
  t.worker = worker;
  t.start_time = iso8601_now();
  // The first trial with given params holds them (later plain duplicates do not), so a
  // claim sees every configuration already present, in any state.
  const bool holds = holders_.emplace(params, t.number).second;
  extra_.push_back(Extra{std::chrono::steady_clock::now(), retry_of, holds});
  trials_.push_back(std::move(t));
  return trials_.back().number;
}

int InMemoryStorage::create_trial(const ParamVector& params, double sample_seconds, const std::string& worker) {
  std::lock_guard lock(mutex_);
  return append_locked(params, sample_seconds, worker, std::nullopt);
}

std::optional<int> InMemoryStorage::try_create_trial(const ParamVector& params, double sample_seconds,
                                                     const std::string& worker, std::optional<int> retry_of) {
  std::lock_guard lock(mutex_);
  if (holders_.contains(params)) return std::nullopt;
  return append_locked(params, sample_seconds, worker, retry_of);
}

std::optional<int> InMemoryStorage::retry_of(int number) const {
  std::lock_guard lock(mutex_);
  if (number < 0 || number >= static_cast<int>(trials_.size())) {
    throw Error(ErrorKind::InvalidArgument, "retry_of: no trial " + std::to_string(number));
  }
  return extra_[static_cast<std::size_t>(number)].retry_of;
}

void InMemoryStorage::heartbeat(int number) {
  std::lock_guard lock(mutex_);
  if (number < 0 || number >= static_cast<int>(trials_.size())) {
    throw Error(ErrorKind::InvalidArgument, "heartbeat: no trial " + std::to_string(number));
  }
  if (trials_[static_cast<std::size_t>(number)].state == TrialState::Running) {
    extra_[static_cast<std::size_t>(number)].heartbeat = std::chrono::steady_clock::now();
  }
}

std::vector<StaleTrial> InMemoryStorage::fail_stale_trials(double timeout_seconds) {
  std::lock_guard lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  std::vector<StaleTrial> stale;
  for (std::size_t i = 0; i < trials_.size(); ++i) {
    FrozenTrial& t = trials_[i];
    Extra& e = extra_[i];
    if (t.state != TrialState::Running) continue;
    if (std::chrono::duration<double>(now - e.heartbeat).count() < timeout_seconds) continue;
    t.state = TrialState::Failed;
    t.end_time = iso8601_now();
    if (e.holds_params) {
      holders_.erase(t.params);
      e.holds_params = false;
    }
    stale.push_back(StaleTrial{t.number, t.params, t.worker, e.retry_of});
  }
  return stale;
}

void InMemoryStorage::finish_trial(int number, const TrialResult& result) {
  require_finishing_state(number, result.state);
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

std::vector<FrozenTrial> Storage::trials_since(int from, const std::vector<int>& watch) const {
  std::vector<FrozenTrial> out;
  for (auto& t : trials())
    if (t.number >= from || std::find(watch.begin(), watch.end(), t.number) != watch.end()) out.push_back(std::move(t));
  return out;
}

std::vector<RunningTrial> Storage::running_trials() const {
  std::vector<RunningTrial> out;
  for (auto& t : trials())
    if (t.state == TrialState::Running) out.push_back(RunningTrial{t.number, std::move(t.params), t.worker, "", 0, 0.0});
  return out;
}

std::vector<RunningTrial> InMemoryStorage::running_trials() const {
  std::lock_guard lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  std::vector<RunningTrial> out;
  for (std::size_t i = 0; i < trials_.size(); ++i) {
    const FrozenTrial& t = trials_[i];
    if (t.state != TrialState::Running) continue;
    const double age = std::chrono::duration<double>(now - extra_[i].heartbeat).count();
    out.push_back(RunningTrial{t.number, t.params, t.worker, "", 0, age});
  }
  return out;
}

std::vector<FrozenTrial> InMemoryStorage::trials_since(int from, const std::vector<int>& watch) const {
  std::lock_guard lock(mutex_);
  std::vector<FrozenTrial> out;
  for (int n : watch)
    if (n >= 0 && n < from && n < static_cast<int>(trials_.size())) out.push_back(trials_[static_cast<std::size_t>(n)]);
  for (std::size_t i = static_cast<std::size_t>(std::max(from, 0)); i < trials_.size(); ++i) out.push_back(trials_[i]);
  return out;
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
