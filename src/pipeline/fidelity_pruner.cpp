// The multi-fidelity decision; see include/qdse/pipeline/fidelity_pruner.hpp.
#include "qdse/pipeline/fidelity_pruner.hpp"

#include <algorithm>
#include <cmath>

#include "qdse/core/error.hpp"
#include "qdse/search/pareto.hpp"

namespace qdse::pipeline {
namespace {

// The end of `metric`'s range that makes scale * metric best for `direction`.
double hopeful_term(const MetricObjective& m, search::Direction direction, const std::map<std::string, double>& metrics,
                    const std::map<std::string, MetricRange>& ranges) {
  if (m.scale == 0) return 0;  // 0 * inf would be NaN
  const auto r = ranges.find(m.name);
  if (r == ranges.end()) {
    const auto v = metrics.find(m.name);
    QDSE_ASSERT(v != metrics.end(), "metric " + m.name + " missing from the evaluator's output");
    return m.scale * v->second;
  }
  const bool want_high = (direction == search::Direction::Maximize) == (m.scale > 0);
  return m.scale * (want_high ? r->second.high : r->second.low);
}

}  // namespace

std::vector<double> optimistic_objectives(const StrategyConfig& strategy, const std::map<std::string, double>& metrics,
                                          const std::map<std::string, MetricRange>& ranges) {
  std::vector<double> out;
  if (strategy.sum_scaled_metrics) {
    double sum = 0;
    for (const auto& m : strategy.metrics) sum += hopeful_term(m, strategy.direction, metrics, ranges);
    out.push_back(sum);
  } else {
    for (const auto& m : strategy.metrics) out.push_back(hopeful_term(m, m.direction, metrics, ranges));
  }
  return out;
}

PruningReference::PruningReference(std::vector<search::Direction> directions) : directions_(std::move(directions)) {}

void PruningReference::add_trials(const std::vector<search::FrozenTrial>& trials) {
  for (const auto& t : trials)
    if (t.state == search::TrialState::Complete && search::is_feasible(t) && t.values.size() == directions_.size() &&
        std::all_of(t.values.begin(), t.values.end(), [](double v) { return std::isfinite(v); }))
      add(t.values);
}

void PruningReference::add(const std::vector<double>& values) {
  QDSE_ASSERT(values.size() == directions_.size(), "PruningReference::add: one value per direction");
  std::lock_guard lock(mutex_);
  for (const auto& p : front_)
    if (search::dominates(p, values, directions_) || p == values) return;  // nothing new
  std::erase_if(front_, [&](const std::vector<double>& p) { return search::dominates(values, p, directions_); });
  front_.push_back(values);
}

bool PruningReference::beaten(const std::vector<double>& optimistic) const {
  std::lock_guard lock(mutex_);
  for (const auto& p : front_)
    if (search::dominates(p, optimistic, directions_)) return true;
  return false;
}

}  // namespace qdse::pipeline
