// The winners of a study, as free functions over its trials, so that Study::best_trial,
// `qdse studies`, best.json and the run report all apply one rule.
//
// Single objective (single_objective_best): among the Complete trials with one value,
// a feasible trial (every constraint <= 0) beats an infeasible one; two feasible ones
// compare by objective; two infeasible ones by total violation (sum of the positive
// constraints), then by objective. Ties -> the earlier trial of the list (trials as the
// storage returns them are ordered by number, so the lowest number).
// Multi-objective (feasible_pareto_front): the Pareto front of the feasible Complete
// trials with one value per direction, in list order.
// Running, Failed and Pruned trials never win. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <vector>

#include "qdse/search/trial.hpp"

namespace qdse::search {

// The single-objective winner. `feasible` is false when no complete trial satisfies its
// constraints and this is the one with the least total violation.
struct BestTrial {
  FrozenTrial trial;
  bool feasible = true;
};

// What the single-objective order looks at. Readers of trials.json (the report) fill it
// from the record; others use standing_of.
struct Standing {
  bool feasible = true;
  double violation = 0.0;  // constraint_violation(); only compared between infeasible trials
  double value = 0.0;      // the objective
};

// The standing of a Complete single-objective trial (values[0]).
Standing standing_of(const FrozenTrial& trial);

// True when `a` ranks strictly before `b` in the single-objective order (see above).
bool ranks_before(const Standing& a, const Standing& b, Direction direction);

// The best of `trials` (see above); nullopt when none is Complete with one value.
std::optional<BestTrial> single_objective_best(const std::vector<FrozenTrial>& trials, Direction direction);

// The feasible Pareto front of `trials` (see above). Empty `directions` gives an empty front.
std::vector<FrozenTrial> feasible_pareto_front(const std::vector<FrozenTrial>& trials,
                                               const std::vector<Direction>& directions);

}  // namespace qdse::search
