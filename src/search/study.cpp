#include "qdse/search/study.hpp"

#include <algorithm>
#include <cmath>
#include <unordered_set>

#include "qdse/core/error.hpp"

namespace qdse::search {

Study::Study(SearchSpace space, std::vector<Direction> directions, std::shared_ptr<Storage> storage,
             std::unique_ptr<Sampler> sampler, std::string worker)
    : space_(std::move(space)),
      directions_(std::move(directions)),
      storage_(std::move(storage)),
      sampler_(std::move(sampler)),
      worker_(std::move(worker)) {
  if (space_.empty()) throw Error(ErrorKind::InvalidArgument, "Study: the search space is empty (no params)");
  if (directions_.empty()) throw Error(ErrorKind::InvalidArgument, "Study: at least one direction is needed, got 0");
  if (!storage_) throw Error(ErrorKind::InvalidArgument, "Study: storage is null");
  if (!sampler_) throw Error(ErrorKind::InvalidArgument, "Study: sampler is null");
}

void Study::refresh_history_locked() {
  const int from = static_cast<int>(history_.size());
  auto rows = storage_->trials_since(from, std::vector<int>(running_.begin(), running_.end()));
  std::sort(rows.begin(), rows.end(), [](const FrozenTrial& a, const FrozenTrial& b) { return a.number < b.number; });
  for (auto& row : rows) {
    const int n = row.number;
    if (n < 0 || n > static_cast<int>(history_.size())) {
      // Not the consecutive numbering of the contract: fall back to a full read.
      history_ = storage_->trials();
      running_.clear();
      for (const auto& t : history_)
        if (t.state == TrialState::Running) running_.insert(t.number);
      return;
    }
    if (row.state == TrialState::Running) running_.insert(n);
    else running_.erase(n);
    if (n == static_cast<int>(history_.size())) history_.push_back(std::move(row));
    else history_[static_cast<std::size_t>(n)] = std::move(row);
  }
}

std::optional<TrialHandle> Study::ask() {
  std::lock_guard lock(mutex_);
  while (!retries_.empty()) {
    StaleTrial stale = std::move(retries_.front());
    retries_.pop_front();
    // A lost claim: another worker retried it first, or a plain duplicate holds it.
    if (auto number = storage_->try_create_trial(stale.params, 0.0, worker_, stale.number)) {
      asked_at_[*number] = std::chrono::steady_clock::now();
      return TrialHandle{*number, std::move(stale.params), stale.number};
    }
  }
  int races = 0;
  while (true) {
    refresh_history_locked();
    const auto& history = history_;
    const auto t0 = std::chrono::steady_clock::now();
    auto params = sampler_->ask(space_, directions_, history);
    const auto t1 = std::chrono::steady_clock::now();
    if (!params) return std::nullopt;
    QDSE_ASSERT(is_valid(space_, *params), "sampler " + sampler_->name() + " proposed an invalid configuration: " +
                                               to_string(space_, *params));
    const double sample_seconds = std::chrono::duration<double>(t1 - t0).count();
    std::optional<int> number = storage_->try_create_trial(*params, sample_seconds, worker_);
    if (!number) {
      // A repeat by design (in the history the sampler was shown: recorded as such, as
      // Optuna and as one worker would) or a lost race with another worker (ask again).
      const bool repeat = seen_.update(history).contains(*params);
      if (!repeat) {
        ++lost_claims_;
        if (++races < kMaxRaces) continue;
      }
      number = storage_->create_trial(*params, sample_seconds, worker_);
    }
    asked_at_[*number] = std::chrono::steady_clock::now();
    return TrialHandle{*number, std::move(*params), std::nullopt};
  }
}

std::vector<StaleTrial> Study::fail_stale_trials(double timeout_seconds) {
  // Read (and so validate, docs/storage.md "Rows are untrusted") every row before
  // writing anything: a damaged study stops here with the study, trial and column named.
  (void)storage_->trials();
  // Trials of processes of this machine that are gone fail at once; the heartbeat
  // timeout is for the rest (other hosts, or no process recorded).
  auto stale = storage_->fail_dead_local_trials();
  for (auto& t : storage_->fail_stale_trials(timeout_seconds)) stale.push_back(std::move(t));
  std::sort(stale.begin(), stale.end(), [](const StaleTrial& a, const StaleTrial& b) { return a.number < b.number; });
  // Not only what this call failed: a worker that failed stale trials may itself have
  // died before retrying them. Every Failed trial that is not a retry and that no
  // Failed retry points at is a candidate; the claim in ask() then decides (it fails
  // while the params are held: an evaluation failure, or a retry that is running,
  // finished or failed by evaluation).
  std::vector<FrozenTrial> failed;
  for (auto& t : storage_->trials())
    if (t.state == TrialState::Failed) failed.push_back(std::move(t));
  std::unordered_set<int> retried, retries;
  for (const auto& t : failed) {
    if (const auto of = storage_->retry_of(t.number)) {
      retried.insert(*of);
      retries.insert(t.number);
    }
  }
  std::lock_guard lock(mutex_);
  retries_.clear();
  for (auto& t : failed) {
    if (retries.contains(t.number) || retried.contains(t.number) || !is_valid(space_, t.params)) continue;
    retries_.push_back(StaleTrial{t.number, std::move(t.params), t.worker, std::nullopt});
  }
  return stale;
}

std::size_t Study::pending_retries() const {
  std::lock_guard lock(mutex_);
  return retries_.size();
}

int Study::lost_claims() const {
  std::lock_guard lock(mutex_);
  return lost_claims_;
}

void Study::tell(int number, std::vector<double> values, std::vector<double> constraints,
                 std::map<std::string, double> metrics, TrialState state, std::optional<double> eval_seconds) {
  TrialResult r;
  r.state = state;
  if (state == TrialState::Complete) {
    if (values.size() != directions_.size()) {
      throw Error(ErrorKind::InvalidArgument, "Study::tell(trial " + std::to_string(number) + "): expected " +
                                                  std::to_string(directions_.size()) + " objective values, got " +
                                                  std::to_string(values.size()));
    }
    for (double v : values)
      if (!std::isfinite(v)) r.state = TrialState::Failed;  // as Optuna: a NaN/inf objective fails the trial
  }
  for (double c : constraints) {
    if (std::isnan(c)) {
      throw Error(ErrorKind::InvalidArgument,
                  "Study::tell(trial " + std::to_string(number) + "): constraint values must not be NaN");
    }
  }
  r.values = std::move(values);
  r.constraints = std::move(constraints);
  r.metrics = std::move(metrics);
  {
    std::lock_guard lock(mutex_);
    auto it = asked_at_.find(number);
    if (eval_seconds) {
      r.eval_seconds = *eval_seconds;
    } else if (it != asked_at_.end()) {
      r.eval_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - it->second).count();
    }
    if (it != asked_at_.end()) asked_at_.erase(it);
  }
  storage_->finish_trial(number, r);
}

std::optional<BestTrial> Study::best_trial() const {
  if (directions_.size() != 1) {
    throw Error(ErrorKind::InvalidArgument, "Study::best_trial is for single-objective studies (this one has " +
                                                std::to_string(directions_.size()) +
                                                " directions); use best_trials()");
  }
  return single_objective_best(storage_->trials(), directions_[0]);
}

std::vector<FrozenTrial> Study::best_trials() const { return feasible_pareto_front(storage_->trials(), directions_); }

}  // namespace qdse::search
