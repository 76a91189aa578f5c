// Exact budgeted choice of one option per group: the solver behind sensitivity-guided
// search (issue 17). A group is a layer or a slot of the search space; each of its choices
// has a predicted damage and K costs that add up over groups (model size, BitOPs, FPGA
// resources). The problem is a multiple-choice knapsack, the integer linear program of
// HAWQ-V3 (Yao et al., ICML 2021) with any number of budgets: binary x[g][c], exactly one
// choice per group,
//
//     minimise  sum_g,c damage[g][c] x[g][c]
//     subject to sum_g,c cost_k[g][c] x[g][c] <= budget_k   for every cost k.
//
// Two exact methods (docs/search.md, "Budgeted solver"):
//  - DynamicProgram (one cost): the Pareto set of (cost, damage) of the groups seen so
//    far, extended group by group and pruned of dominated partial sums. With integer
//    costs it never holds more states per group than the budget grid has points; its
//    sums are formed in group order like a brute-force enumeration, so its values are
//    bit-identical to one.
//  - IntegerProgram (any number of costs): the program above, solved by COIN-OR CBC's
//    branch and bound (up to CBC's tolerances, about 1e-7 of the damage range; solutions
//    are re-summed in group order and checked against the budgets exactly).
// Auto takes the dynamic program when there is at most one cost, CBC otherwise.
//
// Bad input (no groups, a group without choices, NaN/infinite damage, NaN/infinite/negative
// cost, sizes that do not match, a budget that no configuration meets) throws qdse::Error
// (InvalidArgument) with one line naming the group, choice and cost. Pure functions;
// thread-safe.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace qdse::search {

struct BudgetProblem {
  // Names used in error messages: one per group / one per cost, or empty ("group 3", "cost 0").
  std::vector<std::string> group_names;
  std::vector<std::string> cost_names;
  // damage[g][c]: predicted damage of choice c of group g (finite; may be negative, when
  // quantizing a layer helps).
  std::vector<std::vector<double>> damage;
  // costs[k][g][c]: cost k of choice c of group g (finite, >= 0), same shape as damage.
  std::vector<std::vector<std::vector<double>>> costs;
};

struct BudgetSolution {
  std::vector<std::size_t> choices;  // one per group
  double damage = 0.0;               // sum of the chosen damages, in group order
  std::vector<double> costs;         // per cost: sum of the chosen costs, in group order
};

enum class BudgetMethod { Auto, DynamicProgram, IntegerProgram };

std::string_view to_string(BudgetMethod method);

// The configuration of least damage whose every cost k is <= budgets[k] (one budget per
// cost; +infinity for none). Ties: the dynamic program returns the cheapest of the equal
// damages; CBC returns any of them.
BudgetSolution solve_budget(const BudgetProblem& problem, std::span<const double> budgets,
                            BudgetMethod method = BudgetMethod::Auto);

// The whole predicted Pareto front of (cost `sweep`, damage): every configuration that no
// other one beats in both, one per distinct (cost, damage) point, sorted by ascending cost
// (so strictly descending damage). budgets[sweep] caps the sweep (+infinity for the whole
// range); the other budgets hold for every point. The dynamic program builds the front in
// one pass; CBC sweeps the budget downward from the top (epsilon-constraint method), one
// solve per point plus one.
std::vector<BudgetSolution> solve_front(const BudgetProblem& problem, std::size_t sweep,
                                        std::span<const double> budgets,
                                        BudgetMethod method = BudgetMethod::Auto);

}  // namespace qdse::search
