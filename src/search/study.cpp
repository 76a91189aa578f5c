#include "qdse/search/study.hpp"

#include <cmath>

#include "qdse/core/error.hpp"
#include "qdse/search/pareto.hpp"

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

std::optional<TrialHandle> Study::ask() {
  std::lock_guard lock(mutex_);
  const auto history = storage_->trials();
  const auto t0 = std::chrono::steady_clock::now();
  auto params = sampler_->ask(space_, directions_, history);
  const auto t1 = std::chrono::steady_clock::now();
  if (!params) return std::nullopt;
  QDSE_ASSERT(is_valid(space_, *params), "sampler " + sampler_->name() + " proposed an invalid configuration: " +
                                             to_string(space_, *params));
  const double sample_seconds = std::chrono::duration<double>(t1 - t0).count();
  const int number = storage_->create_trial(*params, sample_seconds, worker_);
  asked_at_[number] = std::chrono::steady_clock::now();
  return TrialHandle{number, std::move(*params)};
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
  const bool maximize = directions_[0] == Direction::Maximize;
  std::optional<BestTrial> best;
  for (const auto& t : storage_->trials()) {
    if (t.state != TrialState::Complete || t.values.size() != 1) continue;
    BestTrial cand{t, is_feasible(t)};
    if (!best) {
      best = std::move(cand);
      continue;
    }
    if (cand.feasible != best->feasible) {
      if (cand.feasible) best = std::move(cand);
      continue;
    }
    bool better;
    if (cand.feasible) {
      better = maximize ? t.values[0] > best->trial.values[0] : t.values[0] < best->trial.values[0];
    } else {
      const double v = constraint_violation(t), bv = constraint_violation(best->trial);
      // Least violation first; among equal violations, the better objective.
      better = v < bv || (v == bv && (maximize ? t.values[0] > best->trial.values[0]
                                               : t.values[0] < best->trial.values[0]));
    }
    if (better) best = std::move(cand);
  }
  return best;
}

std::vector<FrozenTrial> Study::best_trials() const {
  std::vector<FrozenTrial> feasible;
  for (auto& t : storage_->trials())
    if (t.state == TrialState::Complete && t.values.size() == directions_.size() && is_feasible(t))
      feasible.push_back(std::move(t));
  PointList points;
  for (const auto& t : feasible) points.push_back(t.values);
  std::vector<FrozenTrial> front;
  for (auto i : pareto_front_indices(points, directions_)) front.push_back(feasible[i]);
  return front;
}

}  // namespace qdse::search
