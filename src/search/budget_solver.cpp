// The budgeted solver's front door: input checks with one-line errors, the choice of
// method, and the final filter of the front (budget_solver.hpp). The methods themselves
// are in budget_dp.cpp and budget_cbc.cpp.
#include "qdse/search/budget_solver.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>
#include <string>

#include "budget_methods.hpp"
#include "qdse/core/error.hpp"

namespace qdse::search {
namespace {

[[noreturn]] void budget_fail(const std::string& what) {
  throw Error(ErrorKind::InvalidArgument, "budget solver: " + what);
}

// Ten significant digits: enough to tell a budget from the cheapest cost next to it.
std::string budget_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

// "'fc1'" for a named group or cost, "group 3" / "cost 0" for an unnamed one; the
// *_label forms put the noun before a name ("group 'fc1'").
// Groups and costs are named the same way, only the noun differs.
std::string budget_item_name(const std::vector<std::string>& names, std::size_t i, const char* noun) {
  if (i < names.size() && !names[i].empty()) return "'" + names[i] + "'";
  return noun + (" " + std::to_string(i));
}

std::string budget_item_label(const std::vector<std::string>& names, std::size_t i, const char* noun) {
  const std::string name = budget_item_name(names, i, noun);
  return name.front() == '\'' ? noun + (" " + name) : name;
}

std::string group_name(const BudgetProblem& p, std::size_t g) { return budget_item_name(p.group_names, g, "group"); }
std::string group_label(const BudgetProblem& p, std::size_t g) { return budget_item_label(p.group_names, g, "group"); }
std::string cost_name(const BudgetProblem& p, std::size_t k) { return budget_item_name(p.cost_names, k, "cost"); }
std::string cost_label(const BudgetProblem& p, std::size_t k) { return budget_item_label(p.cost_names, k, "cost"); }

std::string value_words(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "infinite" : "-infinite";
  return budget_number(v);
}

void check_problem(const BudgetProblem& p) {
  const std::size_t groups = p.damage.size();
  if (groups == 0) budget_fail("the problem has no groups (no layer or slot to choose for)");
  if (!p.group_names.empty() && p.group_names.size() != groups) {
    budget_fail(std::to_string(p.group_names.size()) + " group names for " + std::to_string(groups) + " groups");
  }
  if (!p.cost_names.empty() && p.cost_names.size() != p.costs.size()) {
    budget_fail(std::to_string(p.cost_names.size()) + " cost names for " + std::to_string(p.costs.size()) + " costs");
  }
  for (std::size_t g = 0; g < groups; ++g) {
    const auto& d = p.damage[g];
    if (d.empty()) budget_fail(group_label(p, g) + " has no choices");
    for (std::size_t c = 0; c < d.size(); ++c) {
      if (!std::isfinite(d[c])) {
        budget_fail("damage of " + group_label(p, g) + " choice " + std::to_string(c) + " is " +
                    value_words(d[c]) + " (damages must be finite)");
      }
    }
  }
  for (std::size_t k = 0; k < p.costs.size(); ++k) {
    const auto& cost = p.costs[k];
    if (cost.size() != groups) {
      budget_fail(cost_label(p, k) + " has " + std::to_string(cost.size()) + " groups, the damages have " +
                  std::to_string(groups) + " (every cost needs one entry per group)");
    }
    for (std::size_t g = 0; g < groups; ++g) {
      if (cost[g].size() != p.damage[g].size()) {
        budget_fail(cost_label(p, k) + " of " + group_label(p, g) + " has " +
                    std::to_string(cost[g].size()) + " choices, its damages have " +
                    std::to_string(p.damage[g].size()));
      }
      for (std::size_t c = 0; c < cost[g].size(); ++c) {
        const double v = cost[g][c];
        if (!std::isfinite(v) || v < 0.0) {
          budget_fail(cost_label(p, k) + " of " + group_label(p, g) + " choice " +
                      std::to_string(c) + " is " + value_words(v) +
                      " (costs are sums over groups: finite and >= 0)");
        }
      }
    }
  }
}

// Least total of cost k (each group at its cheapest choice), summed in group order like
// every other total, and the groups that weigh most in it (for the error message).
double budget_least_total(const BudgetProblem& p, std::size_t k) {
  double total = 0.0;
  for (const auto& row : p.costs[k]) total += *std::min_element(row.begin(), row.end());
  return total;
}

std::string heaviest_groups(const BudgetProblem& p, std::size_t k) {
  const std::size_t groups = p.damage.size();
  std::vector<double> least(groups);
  for (std::size_t g = 0; g < groups; ++g) least[g] = *std::min_element(p.costs[k][g].begin(), p.costs[k][g].end());
  std::vector<std::size_t> order(groups);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return least[a] > least[b]; });
  std::string out;
  for (std::size_t i = 0; i < std::min<std::size_t>(3, groups); ++i) {
    if (i > 0) out += ", ";
    out += group_name(p, order[i]) + " " + budget_number(least[order[i]]);
  }
  if (groups > 3) out += ", ...";
  return out;
}

void check_budgets(const BudgetProblem& p, std::span<const double> budgets) {
  if (budgets.size() != p.costs.size()) {
    budget_fail(std::to_string(budgets.size()) + " budgets for " + std::to_string(p.costs.size()) +
                " costs (one budget per cost; +infinity for none)");
  }
  for (std::size_t k = 0; k < budgets.size(); ++k) {
    if (std::isnan(budgets[k])) budget_fail("budget for " + cost_label(p, k) + " is NaN");
    const double least = budget_least_total(p, k);
    if (budgets[k] < least) {
      budget_fail("budget " + budget_number(budgets[k]) + " for " + cost_label(p, k) +
                  " is below the cheapest configuration (" + budget_number(least) +
                  ", every group at its cheapest choice; largest: " + heaviest_groups(p, k) + ")");
    }
  }
}

[[noreturn]] void fail_jointly(const BudgetProblem& p, std::span<const double> budgets) {
  std::string limits;
  for (std::size_t k = 0; k < budgets.size(); ++k) {
    if (std::isinf(budgets[k])) continue;
    if (!limits.empty()) limits += ", ";
    limits += cost_name(p, k) + " <= " + budget_number(budgets[k]);
  }
  budget_fail("no configuration meets all budgets together (" + limits +
              "), though each one alone can be met");
}

// The problem restricted to cost k (names kept), for the dynamic program.
BudgetProblem only_cost(const BudgetProblem& p, std::size_t k) {
  BudgetProblem one;
  one.group_names = p.group_names;
  one.damage = p.damage;
  one.costs = {p.costs[k]};
  if (!p.cost_names.empty()) one.cost_names = {p.cost_names[k]};
  return one;
}

// Indices of the costs whose budget is finite (the ones that constrain anything).
std::vector<std::size_t> limited_costs(std::span<const double> budgets) {
  std::vector<std::size_t> out;
  for (std::size_t k = 0; k < budgets.size(); ++k) {
    if (!std::isinf(budgets[k])) out.push_back(k);
  }
  return out;
}

// The dynamic program on the one cost `k` that matters (or none: k == npos), its
// solutions re-summed over every cost. nullopt when it would need too many states.
std::optional<std::vector<BudgetSolution>> dp_on(const BudgetProblem& p, std::size_t k, double cap) {
  std::optional<std::vector<BudgetSolution>> front;
  if (k == std::string::npos) {
    BudgetProblem none = p;
    none.costs.clear();
    none.cost_names.clear();
    front = budget_detail::dp_front(none, cap);
  } else {
    front = budget_detail::dp_front(only_cost(p, k), cap);
  }
  if (!front) return std::nullopt;
  for (auto& s : *front) s = budget_detail::summed_solution(p, std::move(s.choices));
  return front;
}

[[noreturn]] void fail_dp_size(const BudgetProblem& p) {
  budget_fail("the dynamic program would hold more than " + std::to_string(budget_detail::kDpMaxCandidates) +
              " partial sums at one of its " + std::to_string(p.damage.size()) + " groups" +
              " (costs too finely spread); use the integer program");
}

[[noreturn]] void fail_dp_costs(const BudgetProblem& p, const std::vector<std::size_t>& limited) {
  std::string names;
  for (std::size_t k : limited) names += (names.empty() ? "" : ", ") + cost_name(p, k);
  budget_fail("the dynamic program handles one budgeted cost, this problem budgets " +
              std::to_string(limited.size()) + " (" + names + "); use the integer program");
}

// Sorted by ascending cost `sweep`, then damage; kept when its damage is strictly below
// every cheaper (or equally cheap) one's: the non-dominated points, one per point.
std::vector<BudgetSolution> non_dominated(std::vector<BudgetSolution> found, std::size_t sweep) {
  std::stable_sort(found.begin(), found.end(), [&](const BudgetSolution& a, const BudgetSolution& b) {
    if (a.costs[sweep] != b.costs[sweep]) return a.costs[sweep] < b.costs[sweep];
    return a.damage < b.damage;
  });
  std::vector<BudgetSolution> front;
  for (auto& s : found) {
    if (front.empty() || s.damage < front.back().damage) front.push_back(std::move(s));
  }
  return front;
}

}  // namespace

namespace budget_detail {

BudgetSolution summed_solution(const BudgetProblem& problem, std::vector<std::size_t> choices) {
  BudgetSolution s;
  s.costs.assign(problem.costs.size(), 0.0);
  for (std::size_t g = 0; g < choices.size(); ++g) {
    s.damage += problem.damage[g][choices[g]];
    for (std::size_t k = 0; k < problem.costs.size(); ++k) s.costs[k] += problem.costs[k][g][choices[g]];
  }
  s.choices = std::move(choices);
  return s;
}

}  // namespace budget_detail

std::string_view to_string(BudgetMethod method) {
  switch (method) {
    case BudgetMethod::Auto: return "auto";
    case BudgetMethod::DynamicProgram: return "dp";
    case BudgetMethod::IntegerProgram: return "cbc";
  }
  return "?";
}

BudgetSolution solve_budget(const BudgetProblem& problem, std::span<const double> budgets, BudgetMethod method) {
  check_problem(problem);
  check_budgets(problem, budgets);
  const std::vector<std::size_t> limited = limited_costs(budgets);
  if (method == BudgetMethod::DynamicProgram && limited.size() > 1) fail_dp_costs(problem, limited);

  if (method != BudgetMethod::IntegerProgram && limited.size() <= 1) {
    const std::size_t k = limited.empty() ? std::string::npos : limited[0];
    const double cap = limited.empty() ? std::numeric_limits<double>::infinity() : budgets[k];
    if (auto front = dp_on(problem, k, cap)) {
      // check_budgets made sure the cheapest configuration fits, so the front is not empty;
      // its last point has the least damage (the cheapest such).
      return std::move(front->back());
    }
    if (method == BudgetMethod::DynamicProgram) fail_dp_size(problem);
  }
  std::optional<BudgetSolution> best = budget_detail::cbc_solve(problem, budgets);
  if (!best) fail_jointly(problem, budgets);
  return std::move(*best);
}

std::vector<BudgetSolution> solve_front(const BudgetProblem& problem, std::size_t sweep,
                                        std::span<const double> budgets, BudgetMethod method) {
  check_problem(problem);
  if (sweep >= problem.costs.size()) {
    budget_fail("cannot sweep cost " + std::to_string(sweep) + ": the problem has " +
                std::to_string(problem.costs.size()) + " costs");
  }
  check_budgets(problem, budgets);
  std::vector<std::size_t> others = limited_costs(budgets);
  std::erase(others, sweep);
  if (method == BudgetMethod::DynamicProgram && !others.empty()) {
    others.insert(others.begin(), sweep);
    fail_dp_costs(problem, others);
  }

  if (method != BudgetMethod::IntegerProgram && others.empty()) {
    if (auto front = dp_on(problem, sweep, budgets[sweep])) return std::move(*front);
    if (method == BudgetMethod::DynamicProgram) fail_dp_size(problem);
  }
  std::vector<BudgetSolution> found = budget_detail::cbc_sweep(problem, sweep, budgets);
  if (found.empty()) fail_jointly(problem, budgets);
  return non_dominated(std::move(found), sweep);
}

}  // namespace qdse::search
