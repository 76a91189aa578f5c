// Planning from a sensitivity table (issue 17, item 3 on the command line): the table's
// per-group changes as a multiple-choice knapsack (search/budget_solver.hpp), its
// predicted front or its best plan under one budget, and the predicted figures of a plan.
//
// Damage: -d_accuracy of the chosen row (the accuracy lost against the float reference),
// summed over groups: the predicted accuracy of a plan is reference accuracy - damage.
// Accuracy rather than loss because accuracy is what budgets are traded against and
// what --evaluate measures; loss changes are kept in the table.
// Cost: one metric that is a sum over layers (metric_kind.hpp). Each group's changes are
// shifted by the group's cheapest change so that the solver sees costs >= 0; the offset
// (reference cost + the sum of the cheapest changes = the cheapest configuration's cost)
// is added back, so predicted costs are the network's values, exact for such metrics.
// Bad input (a cost that is not a sum over layers, or not in the table; a budget below
// the cheapest configuration) throws qdse::Error(Config) with one line.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "qdse/pipeline/quant_space.hpp"
#include "qdse/pipeline/sensitivity.hpp"
#include "qdse/search/budget_solver.hpp"
#include "qdse/search/space.hpp"

namespace qdse::pipeline {

struct PlanProblem {
  search::BudgetProblem problem;  // one cost: `cost_metric`, shifted (see above)
  std::string cost_metric;
  double reference_accuracy = 0;
  double cost_offset = 0;  // the cheapest configuration's predicted cost
};

struct PlanPoint {
  std::vector<std::size_t> rows;  // chosen row of every group of the table
  double predicted_accuracy = 0;
  double predicted_cost = 0;
};

PlanProblem plan_problem(const SensitivityTable& table, const std::string& cost_metric);
// The whole predicted front (ascending cost), and the solver's wall time in ms.
std::vector<PlanPoint> plan_front(const PlanProblem& plan, double* solver_ms = nullptr);
// The best predicted plan whose cost is <= budget.
PlanPoint plan_budget(const PlanProblem& plan, double budget, double* solver_ms = nullptr);

// The plan as a configuration of `space` (every param of every group of the table set;
// throws qdse::Error(Config) naming a param of the table the space does not have, or one
// of the space the table does not cover).
search::ParamVector plan_params(const SensitivityTable& table, const QuantSpace& space, const PlanPoint& point);

// Spearman's rank correlation (ties get their average rank); NaN with fewer than two
// values or when one side is constant.
double spearman(const std::vector<double>& a, const std::vector<double>& b);

}  // namespace qdse::pipeline
