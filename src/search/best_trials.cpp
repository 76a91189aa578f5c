// The one best-trial rule; see include/qdse/search/best_trials.hpp.
#include "qdse/search/best_trials.hpp"

#include "qdse/search/pareto.hpp"

namespace qdse::search {

Standing standing_of(const FrozenTrial& trial) {
  return {is_feasible(trial), constraint_violation(trial), trial.values.empty() ? 0.0 : trial.values[0]};
}

bool ranks_before(const Standing& a, const Standing& b, Direction direction) {
  if (a.feasible != b.feasible) return a.feasible;
  // Least violation first; among equal violations (or two feasible trials), the better objective.
  if (!a.feasible && a.violation != b.violation) return a.violation < b.violation;
  return direction == Direction::Maximize ? a.value > b.value : a.value < b.value;
}

std::optional<BestTrial> single_objective_best(const std::vector<FrozenTrial>& trials, Direction direction) {
  const FrozenTrial* best = nullptr;
  Standing best_standing;
  for (const auto& t : trials) {
    if (t.state != TrialState::Complete || t.values.size() != 1) continue;
    const Standing s = standing_of(t);
    if (!best || ranks_before(s, best_standing, direction)) {
      best = &t;
      best_standing = s;
    }
  }
  if (!best) return std::nullopt;
  return BestTrial{*best, best_standing.feasible};
}

std::vector<FrozenTrial> feasible_pareto_front(const std::vector<FrozenTrial>& trials,
                                               const std::vector<Direction>& directions) {
  if (directions.empty()) return {};
  std::vector<const FrozenTrial*> feasible;
  PointList points;
  for (const auto& t : trials) {
    if (t.state != TrialState::Complete || t.values.size() != directions.size() || !is_feasible(t)) continue;
    feasible.push_back(&t);
    points.push_back(t.values);
  }
  std::vector<FrozenTrial> front;
  for (auto i : pareto_front_indices(points, directions)) front.push_back(*feasible[i]);
  return front;
}

}  // namespace qdse::search
