// The integer-program method of the budgeted solver: COIN-OR CBC's branch and bound on
// the multiple-choice knapsack (budget_solver.hpp), through CBC's C++ API (CbcModel on
// an OsiClpSolverInterface).
//
// Columns: one binary x[g][c] per (group, choice). Rows: one equality per group (exactly
// one choice) and one "<= budget" row per cost. The LP relaxation of a multiple-choice
// knapsack is tight (at most two fractional columns per budget row), so plain branch and
// bound without cut generators closes it in a few nodes.
//
// Numerics: the objective is each group's damage less the group's least damage, divided
// by the largest such spread (the shift is the same for every configuration, so the
// argmin is unchanged), which puts every coefficient in [0, 1] and lets CBC's absolute
// tolerances mean the same thing on every problem. Budget rows are divided by their
// largest coefficient. CBC's answer is read back as one choice per group, re-summed in
// group order in the original units and checked against the budgets exactly; when CBC's
// feasibility tolerance let a budget be overrun by a hair, that row is tightened by the
// overrun and the program solved again. A cost whose every entry is a whole number has its
// limits rounded down to whole numbers ("cheaper than 48" becomes "<= 47"), so the common
// integer costs (bits, BitOPs, LUTs) never sit at a tolerance boundary; real-valued costs
// are exact up to the tightened tolerances below (1e-9 of the row's largest entry).
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "CbcModel.hpp"
#include "CoinMessageHandler.hpp"
#include "OsiClpSolverInterface.hpp"
#include "budget_methods.hpp"
#include "qdse/core/error.hpp"

namespace qdse::search::budget_detail {
namespace {

// Optimality tolerances on the normalised objective (spread 1 per group at most): CBC
// stops only when no node can beat the incumbent by more than this, and a new incumbent
// must beat the old one by more than kCbcCutoffIncrement. Both far below the LP's own
// accuracy (~1e-7), so the answer is optimal up to that.
constexpr double kCbcAllowableGap = 1e-10;
constexpr double kCbcCutoffIncrement = 1e-10;
// Feasibility and integrality tolerances, tighter than CBC's defaults (1e-7, 1e-6): a
// configuration just over a budget must not pass for one just under it.
constexpr double kCbcPrimalTolerance = 1e-9;
constexpr double kCbcIntegerTolerance = 1e-9;
constexpr int kCbcTightenAttempts = 24;

// True when every entry of the cost is a whole number small enough that sums stay exact.
bool whole_costs(const std::vector<std::vector<double>>& cost) {
  for (const auto& row : cost) {
    for (double v : row) {
      if (v != std::floor(v) || v > 0x1p52) return false;
    }
  }
  return true;
}

class CbcBudgetModel {
 public:
  explicit CbcBudgetModel(const BudgetProblem& problem) : problem_(problem) {
    const std::size_t groups = problem.damage.size();
    const std::size_t costs = problem.costs.size();
    double spread = 0.0;
    for (const auto& d : problem.damage) {
      spread = std::max(spread, *std::max_element(d.begin(), d.end()) - *std::min_element(d.begin(), d.end()));
    }
    if (spread <= 0.0) spread = 1.0;
    row_scale_.assign(costs, 1.0);
    whole_.assign(costs, false);
    for (std::size_t k = 0; k < costs; ++k) {
      whole_[k] = whole_costs(problem.costs[k]);
      double largest = 0.0;
      for (const auto& row : problem.costs[k]) largest = std::max(largest, *std::max_element(row.begin(), row.end()));
      if (largest > 0.0) row_scale_[k] = largest;
    }

    // Column-major matrix: column (g, c) has a 1 in row g and cost_k / scale_k in row groups + k.
    std::vector<int> starts{0}, rows;
    std::vector<double> values, objective;
    for (std::size_t g = 0; g < groups; ++g) {
      const auto& d = problem.damage[g];
      const double least = *std::min_element(d.begin(), d.end());
      for (std::size_t c = 0; c < d.size(); ++c) {
        rows.push_back(static_cast<int>(g));
        values.push_back(1.0);
        for (std::size_t k = 0; k < costs; ++k) {
          const double v = problem.costs[k][g][c];
          if (v == 0.0) continue;
          rows.push_back(static_cast<int>(groups + k));
          values.push_back(v / row_scale_[k]);
        }
        starts.push_back(static_cast<int>(rows.size()));
        objective.push_back((d[c] - least) / spread);
      }
    }
    const int n_columns = static_cast<int>(objective.size());
    const int n_rows = static_cast<int>(groups + costs);
    const double inf = solver_.getInfinity();
    const std::vector<double> col_lower(n_columns, 0.0), col_upper(n_columns, 1.0);
    std::vector<double> row_lower(n_rows, -inf), row_upper(n_rows, inf);
    std::fill(row_lower.begin(), row_lower.begin() + static_cast<std::ptrdiff_t>(groups), 1.0);
    std::fill(row_upper.begin(), row_upper.begin() + static_cast<std::ptrdiff_t>(groups), 1.0);
    solver_.messageHandler()->setLogLevel(0);
    solver_.setDblParam(OsiPrimalTolerance, kCbcPrimalTolerance);
    solver_.loadProblem(n_columns, n_rows, starts.data(), rows.data(), values.data(), col_lower.data(),
                        col_upper.data(), objective.data(), row_lower.data(), row_upper.data());
    for (int j = 0; j < n_columns; ++j) solver_.setInteger(j);
  }

  // The least-damage configuration with costs[k] <= limits[k] exactly, or nullopt when
  // CBC proves there is none.
  std::optional<BudgetSolution> solve(std::span<const double> limits) {
    const std::size_t groups = problem_.damage.size();
    std::vector<double> upper(limits.size());
    for (std::size_t k = 0; k < limits.size(); ++k) {
      const double limit = whole_[k] ? std::floor(limits[k]) : limits[k];
      upper[k] = std::isinf(limit) ? solver_.getInfinity() : limit / row_scale_[k];
    }
    for (int attempt = 0; attempt < kCbcTightenAttempts; ++attempt) {
      for (std::size_t k = 0; k < upper.size(); ++k) solver_.setRowUpper(static_cast<int>(groups + k), upper[k]);
      std::optional<std::vector<std::size_t>> picked = branch_and_bound();
      if (!picked) return std::nullopt;
      BudgetSolution solution = summed_solution(problem_, std::move(*picked));
      bool within = true;
      for (std::size_t k = 0; k < limits.size(); ++k) {
        const double overrun = solution.costs[k] - limits[k];
        if (overrun <= 0.0) continue;
        within = false;
        // Tighten by the overrun, doubled on every further attempt, so the row moves
        // past CBC's feasibility tolerance in a few steps whatever the scale.
        const double step = std::max(overrun, row_scale_[k] * 1e-12) * std::ldexp(1.0, attempt);
        upper[k] -= step / row_scale_[k];
      }
      if (within) return solution;
    }
    throw Error(ErrorKind::InvalidArgument,
                "budget solver: CBC kept returning configurations over a budget by less than its tolerance "
                "(costs too close to the budget to separate); use the dynamic program for one cost");
  }

 private:
  std::optional<std::vector<std::size_t>> branch_and_bound() {
    CbcModel model(solver_);
    model.setLogLevel(0);
    model.messageHandler()->setLogLevel(0);
    model.solver()->messageHandler()->setLogLevel(0);
    model.setAllowableGap(kCbcAllowableGap);
    model.setAllowableFractionGap(0.0);
    model.setCutoffIncrement(kCbcCutoffIncrement);
    model.setIntegerTolerance(kCbcIntegerTolerance);
    model.initialSolve();
    model.branchAndBound();
    const double* x = model.bestSolution();
    if (model.isProvenInfeasible() || x == nullptr) return std::nullopt;
    if (!model.isProvenOptimal()) {
      throw Error(ErrorKind::InvalidArgument,
                  "budget solver: CBC stopped without proving optimality (status " +
                      std::to_string(model.status()) + ")");
    }
    // One choice per group: the column nearest 1 (CBC's integrality tolerance allows 1 - 1e-6).
    std::vector<std::size_t> picked(problem_.damage.size());
    std::size_t column = 0;
    for (std::size_t g = 0; g < picked.size(); ++g) {
      std::size_t best = 0;
      for (std::size_t c = 0; c < problem_.damage[g].size(); ++c, ++column) {
        if (x[column] > x[column - c + best]) best = c;
      }
      picked[g] = best;
    }
    return picked;
  }

  const BudgetProblem& problem_;
  OsiClpSolverInterface solver_;
  std::vector<double> row_scale_;
  std::vector<bool> whole_;  // per cost: every entry a whole number
};

// Sum of each group's least cost k, in group order: no configuration costs less.
double cbc_least_total(const BudgetProblem& problem, std::size_t k) {
  double total = 0.0;
  for (const auto& row : problem.costs[k]) total += *std::min_element(row.begin(), row.end());
  return total;
}

}  // namespace

std::optional<BudgetSolution> cbc_solve(const BudgetProblem& problem, std::span<const double> budgets) {
  CbcBudgetModel model(problem);
  return model.solve(budgets);
}

std::vector<BudgetSolution> cbc_sweep(const BudgetProblem& problem, std::size_t sweep,
                                      std::span<const double> budgets) {
  CbcBudgetModel model(problem);
  std::vector<double> limits(budgets.begin(), budgets.end());
  const double floor = cbc_least_total(problem, sweep);
  std::vector<BudgetSolution> found;
  for (;;) {
    std::optional<BudgetSolution> solution = model.solve(limits);
    if (!solution) break;
    const double cost = solution->costs[sweep];
    found.push_back(std::move(*solution));
    // The least damage of configurations strictly cheaper than this one: every point of
    // the front is met on the way down (a point skipped would dominate the solution found
    // at the budget just above it). Nothing costs less than `floor`.
    if (cost <= floor) break;
    limits[sweep] = std::nextafter(cost, -std::numeric_limits<double>::infinity());
  }
  return found;
}

}  // namespace qdse::search::budget_detail
