// The two exact methods behind qdse/search/budget_solver.hpp, on a problem that
// budget_solver.cpp has already validated (shapes match, values finite, costs >= 0,
// one budget per cost). Private to src/search.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <vector>

#include "qdse/search/budget_solver.hpp"

namespace qdse::search::budget_detail {

// The solution of `choices` with its damage and costs summed in group order (the order a
// brute-force enumeration uses, so equal configurations give bit-identical sums).
BudgetSolution summed_solution(const BudgetProblem& problem, std::vector<std::size_t> choices);

// Dynamic program, at most one cost: the Pareto front of (cost 0, damage) over the
// configurations whose cost 0 is <= cap (all of them when the problem has no cost),
// ascending cost, one configuration per distinct point. Empty when none fits; nullopt
// when a group would need more than kDpMaxCandidates partial sums (the caller falls back
// to CBC or reports it).
inline constexpr std::size_t kDpMaxCandidates = std::size_t{1} << 22;
std::optional<std::vector<BudgetSolution>> dp_front(const BudgetProblem& problem, double cap);

// CBC: the least-damage configuration within every budget (+infinity = no limit), or
// nullopt when CBC proves that none exists.
std::optional<BudgetSolution> cbc_solve(const BudgetProblem& problem, std::span<const double> budgets);

// CBC, epsilon-constraint sweep of cost `sweep` downward from budgets[sweep]: every
// solution found, before the dominated ones are filtered out (solve_front does that).
std::vector<BudgetSolution> cbc_sweep(const BudgetProblem& problem, std::size_t sweep,
                                      std::span<const double> budgets);

}  // namespace qdse::search::budget_detail
