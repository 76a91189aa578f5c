// The budgeted solver (qdse/search/budget_solver.hpp) against brute force: on many small
// seeded random instances both exact methods find the least damage within the budgets,
// and the front equals the Pareto front of every configuration; bad input gives one-line
// errors that name the group, choice and cost.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "../support/errors.hpp"
#include "qdse/search/budget_solver.hpp"

namespace qdse::search {
namespace {

using qdse::testing::error_of;
constexpr double kInf = std::numeric_limits<double>::infinity();

// Kinds of random data: whole-number costs (bits, BitOPs), real costs, and damages on a
// coarse grid so that many configurations tie.
enum class BudgetData { Whole, Real, Ties };

BudgetProblem random_budget_problem(std::mt19937_64& rng, std::size_t groups, std::size_t max_choices,
                                    std::size_t costs, BudgetData data) {
  std::uniform_int_distribution<std::size_t> n_choices(1, max_choices);
  std::uniform_real_distribution<double> real_damage(-0.05, 1.0), real_cost(0.0, 10.0);
  std::uniform_int_distribution<int> whole(0, 9), grid(0, 8);
  BudgetProblem p;
  p.costs.assign(costs, {});
  for (std::size_t g = 0; g < groups; ++g) {
    const std::size_t n = n_choices(rng);
    std::vector<double> damage(n);
    for (double& d : damage) d = data == BudgetData::Ties ? 0.125 * grid(rng) : real_damage(rng);
    p.damage.push_back(damage);
    for (std::size_t k = 0; k < costs; ++k) {
      std::vector<double> cost(n);
      for (double& c : cost) c = data == BudgetData::Real ? real_cost(rng) : whole(rng);
      p.costs[k].push_back(cost);
    }
  }
  return p;
}

struct BruteConfig {
  std::vector<std::size_t> choices;
  double damage = 0.0;
  std::vector<double> costs;
};

// Every configuration, its sums formed in group order from 0.
std::vector<BruteConfig> every_configuration(const BudgetProblem& p) {
  std::vector<BruteConfig> all;
  std::vector<std::size_t> at(p.damage.size(), 0);
  for (;;) {
    BruteConfig b;
    b.choices = at;
    b.costs.assign(p.costs.size(), 0.0);
    for (std::size_t g = 0; g < at.size(); ++g) {
      b.damage += p.damage[g][at[g]];
      for (std::size_t k = 0; k < p.costs.size(); ++k) b.costs[k] += p.costs[k][g][at[g]];
    }
    all.push_back(b);
    std::size_t g = 0;
    while (g < at.size() && ++at[g] == p.damage[g].size()) at[g++] = 0;
    if (g == at.size()) return all;
  }
}

bool within(const std::vector<double>& costs, const std::vector<double>& budgets) {
  for (std::size_t k = 0; k < costs.size(); ++k) {
    if (costs[k] > budgets[k]) return false;
  }
  return true;
}

// The brute-force front of (cost `sweep`, damage) under the budgets: one (cost, damage)
// per non-dominated point, ascending cost.
std::vector<std::pair<double, double>> brute_front(const BudgetProblem& p, std::size_t sweep,
                                                   const std::vector<double>& budgets) {
  std::vector<std::pair<double, double>> points;
  for (const BruteConfig& b : every_configuration(p)) {
    if (within(b.costs, budgets)) points.emplace_back(b.costs[sweep], b.damage);
  }
  std::sort(points.begin(), points.end());
  std::vector<std::pair<double, double>> front;
  for (const auto& pt : points) {
    if (front.empty() || pt.second < front.back().second) front.push_back(pt);
  }
  return front;
}

// A budget between the cheapest and the dearest total of cost k, or no budget (1 in 6).
double random_budget(std::mt19937_64& rng, const BudgetProblem& p, std::size_t k, bool whole) {
  double least = 0.0, most = 0.0;
  for (const auto& row : p.costs[k]) {
    least += *std::min_element(row.begin(), row.end());
    most += *std::max_element(row.begin(), row.end());
  }
  if (std::uniform_int_distribution<int>(0, 5)(rng) == 0) return kInf;
  const double b = std::uniform_real_distribution<double>(least, most)(rng);
  return whole ? std::ceil(b) : b;
}

// Round `round` of a randomized test: data kind, group and cost counts cycle with the
// round; every cost gets a random budget, or only cost 0 when `only_first` (the others
// unlimited).
struct BudgetCase {
  BudgetProblem problem;
  std::vector<double> budgets;
};

BudgetCase random_case(std::mt19937_64& rng, int round, std::size_t max_groups, std::size_t max_costs,
                       bool only_first = false) {
  const auto data = static_cast<BudgetData>(round % 3);
  const std::size_t groups = 1 + round % max_groups, costs = 1 + round % max_costs;
  BudgetCase c{random_budget_problem(rng, groups, 4, costs, data), std::vector<double>(costs, kInf)};
  for (std::size_t k = 0; k < (only_first ? 1 : costs); ++k) {
    c.budgets[k] = random_budget(rng, c.problem, k, data != BudgetData::Real);
  }
  return c;
}

// The least damage within the budgets by enumeration; infinity when nothing fits.
double brute_best(const BudgetProblem& p, const std::vector<double>& budgets) {
  double best = kInf;
  for (const BruteConfig& b : every_configuration(p)) {
    if (within(b.costs, budgets)) best = std::min(best, b.damage);
  }
  return best;
}

// The solution is what its choices add up to, and within every budget.
void expect_consistent(const BudgetProblem& p, const BudgetSolution& s, const std::vector<double>& budgets) {
  ASSERT_EQ(s.choices.size(), p.damage.size());
  double damage = 0.0;
  std::vector<double> costs(p.costs.size(), 0.0);
  for (std::size_t g = 0; g < s.choices.size(); ++g) {
    ASSERT_LT(s.choices[g], p.damage[g].size());
    damage += p.damage[g][s.choices[g]];
    for (std::size_t k = 0; k < costs.size(); ++k) costs[k] += p.costs[k][g][s.choices[g]];
  }
  EXPECT_EQ(s.damage, damage);
  EXPECT_EQ(s.costs, costs);
  EXPECT_TRUE(within(s.costs, budgets));
}

// CBC is exact up to its tolerances; damages are O(1) here.
constexpr double kCbcTolerance = 1e-9;

TEST(BudgetSolver, DynamicProgramEqualsBruteForce) {
  std::mt19937_64 rng(17);
  for (int round = 0; round < 600; ++round) {
    const auto [p, budgets] = random_case(rng, round, 6, 1);
    const double best = brute_best(p, budgets);
    const BudgetSolution s = solve_budget(p, budgets, BudgetMethod::DynamicProgram);
    SCOPED_TRACE("round " + std::to_string(round));
    expect_consistent(p, s, budgets);
    EXPECT_EQ(s.damage, best);  // same sums in the same order: bit-identical
  }
}

TEST(BudgetSolver, IntegerProgramEqualsBruteForce) {
  std::mt19937_64 rng(1717);
  int infeasible = 0, solved = 0;
  for (int round = 0; round < 300; ++round) {
    const auto [p, budgets] = random_case(rng, round, 5, 3);
    const double best = brute_best(p, budgets);
    SCOPED_TRACE("round " + std::to_string(round));
    if (best == kInf) {
      // Each budget alone can be met (random_budget), all together cannot.
      EXPECT_NE(error_of([&] { solve_budget(p, budgets, BudgetMethod::IntegerProgram); })
                    .find("no configuration meets all budgets together"),
                std::string::npos);
      ++infeasible;
      continue;
    }
    const BudgetSolution s = solve_budget(p, budgets, BudgetMethod::IntegerProgram);
    expect_consistent(p, s, budgets);
    EXPECT_NEAR(s.damage, best, kCbcTolerance);
    // Auto takes the dynamic program when at most one budget is finite: exact then.
    const BudgetSolution a = solve_budget(p, budgets);
    expect_consistent(p, a, budgets);
    EXPECT_NEAR(a.damage, best, kCbcTolerance);
    ++solved;
  }
  EXPECT_GT(infeasible, 5);  // the jointly infeasible case is exercised
  EXPECT_GT(solved, 200);
}

void expect_front(const BudgetProblem& p, const std::vector<BudgetSolution>& front, std::size_t sweep,
                  const std::vector<double>& budgets, double tolerance) {
  const auto expected = brute_front(p, sweep, budgets);
  ASSERT_EQ(front.size(), expected.size());
  for (std::size_t i = 0; i < front.size(); ++i) {
    expect_consistent(p, front[i], budgets);
    if (tolerance == 0.0) {
      EXPECT_EQ(front[i].costs[sweep], expected[i].first) << "point " << i;
      EXPECT_EQ(front[i].damage, expected[i].second) << "point " << i;
    } else {
      EXPECT_NEAR(front[i].costs[sweep], expected[i].first, tolerance) << "point " << i;
      EXPECT_NEAR(front[i].damage, expected[i].second, tolerance) << "point " << i;
    }
  }
}

TEST(BudgetSolver, DynamicProgramFrontEqualsBruteForceFront) {
  std::mt19937_64 rng(4242);
  for (int round = 0; round < 400; ++round) {
    // Only the swept cost is budgeted (a cap, or the whole range); a second cost rides along.
    const auto [p, budgets] = random_case(rng, round, 6, 2, true);
    SCOPED_TRACE("round " + std::to_string(round));
    expect_front(p, solve_front(p, 0, budgets, BudgetMethod::DynamicProgram), 0, budgets, 0.0);
  }
}

TEST(BudgetSolver, IntegerProgramFrontEqualsBruteForceFront) {
  std::mt19937_64 rng(99);
  int fronts = 0;
  for (int round = 0; round < 150; ++round) {
    const auto [p, budgets] = random_case(rng, round, 5, 2);
    SCOPED_TRACE("round " + std::to_string(round));
    if (brute_front(p, 0, budgets).empty()) {
      EXPECT_NE(error_of([&] { solve_front(p, 0, budgets, BudgetMethod::IntegerProgram); })
                    .find("no configuration meets all budgets together"),
                std::string::npos);
      continue;
    }
    expect_front(p, solve_front(p, 0, budgets, BudgetMethod::IntegerProgram), 0, budgets, kCbcTolerance);
    // Auto: the dynamic program when the other cost has no budget, CBC otherwise.
    expect_front(p, solve_front(p, 0, budgets), 0, budgets, kCbcTolerance);
    ++fronts;
  }
  EXPECT_GT(fronts, 100);
}

// A network-sized instance (24 groups x 6 choices, whole costs), too large for brute force:
// the two methods give the same front, point by point.
TEST(BudgetSolver, MethodsAgreeOnANetworkSizedFront) {
  std::mt19937_64 rng(2024);
  const BudgetProblem p = random_budget_problem(rng, 24, 6, 1, BudgetData::Whole);
  const std::vector<double> budgets{kInf};
  const auto dp = solve_front(p, 0, budgets, BudgetMethod::DynamicProgram);
  const auto ip = solve_front(p, 0, budgets, BudgetMethod::IntegerProgram);
  ASSERT_GT(dp.size(), 20u);
  ASSERT_EQ(dp.size(), ip.size());
  for (std::size_t i = 0; i < dp.size(); ++i) {
    EXPECT_EQ(dp[i].costs[0], ip[i].costs[0]) << "point " << i;
    EXPECT_NEAR(dp[i].damage, ip[i].damage, kCbcTolerance) << "point " << i;
  }
}

// CBC accepts a row overrun within its feasibility tolerance; the solver must not: here
// the better configuration is over the budget by 3e-9 only.
TEST(BudgetSolver, IntegerProgramNeverOverrunsABudgetByItsTolerance) {
  BudgetProblem p;
  p.damage = {{1.0, 0.0}, {0.5, 0.25}};
  p.costs = {{{3.0, 3.0 + 3e-9}, {1.0, 2.0}}};
  const BudgetSolution s = solve_budget(p, std::vector<double>{4.0}, BudgetMethod::IntegerProgram);
  EXPECT_EQ(s.choices, (std::vector<std::size_t>{0, 0}));
  EXPECT_EQ(s.costs[0], 4.0);
  // The front: (4, 1.5), (4 + 3e-9, 0.5), (5 + 3e-9, 0.25), the same from both methods.
  const std::vector<double> none{kInf};
  const auto ip = solve_front(p, 0, none, BudgetMethod::IntegerProgram);
  const auto dp = solve_front(p, 0, none, BudgetMethod::DynamicProgram);
  ASSERT_EQ(dp.size(), 3u);
  ASSERT_EQ(ip.size(), dp.size());
  for (std::size_t i = 0; i < dp.size(); ++i) EXPECT_EQ(ip[i].choices, dp[i].choices) << "point " << i;
}

// --- bad input -------------------------------------------------------------------------

BudgetProblem small_named_problem() {
  BudgetProblem p;
  p.group_names = {"fc1", "fc2", "fc3"};
  p.cost_names = {"bits", "bitops"};
  p.damage = {{0.5, 0.1}, {0.4, 0.2, 0.0}, {0.3, 0.05}};
  p.costs = {{{2, 8}, {2, 4, 8}, {4, 8}}, {{10, 40}, {5, 10, 20}, {2, 1}}};
  return p;
}

TEST(BudgetSolverErrors, BadProblemsNameTheGroupChoiceAndCost) {
  const std::vector<double> none{kInf, kInf};
  auto error_for = [&](BudgetProblem p, std::vector<double> budgets) {
    const std::string solve = error_of([&] { solve_budget(p, budgets); });
    const std::string front = error_of([&] { solve_front(p, 0, budgets); });
    EXPECT_EQ(solve, front);
    EXPECT_EQ(solve.find('\n'), std::string::npos) << solve;
    return solve;
  };
  BudgetProblem p = small_named_problem();

  BudgetProblem empty;
  EXPECT_CONTAINS(error_of([&] { solve_budget(empty, std::vector<double>{}); }), "has no groups");
  p = small_named_problem();
  p.damage[1].clear();
  EXPECT_CONTAINS(error_for(p, none), "group 'fc2' has no choices");
  p = small_named_problem();
  p.damage[2][1] = std::nan("");
  EXPECT_CONTAINS(error_for(p, none), "damage of group 'fc3' choice 1 is NaN");
  p = small_named_problem();
  p.damage[0][0] = kInf;
  EXPECT_CONTAINS(error_for(p, none), "damage of group 'fc1' choice 0 is infinite");
  p = small_named_problem();
  p.costs[1][1][2] = std::nan("");
  EXPECT_CONTAINS(error_for(p, none), "cost 'bitops' of group 'fc2' choice 2 is NaN");
  p = small_named_problem();
  p.costs[0][0][1] = -3;
  EXPECT_CONTAINS(error_for(p, none), "cost 'bits' of group 'fc1' choice 1 is -3 (costs are sums over groups");
  p = small_named_problem();
  p.costs[0][2][0] = kInf;
  EXPECT_CONTAINS(error_for(p, none), "cost 'bits' of group 'fc3' choice 0 is infinite");
  p = small_named_problem();
  EXPECT_CONTAINS(error_for(p, {kInf}), "1 budgets for 2 costs");
  p = small_named_problem();
  p.costs[1].pop_back();
  EXPECT_CONTAINS(error_for(p, none), "cost 'bitops' has 2 groups, the damages have 3");
  p = small_named_problem();
  p.costs[0][1].pop_back();
  EXPECT_CONTAINS(error_for(p, none), "cost 'bits' of group 'fc2' has 2 choices, its damages have 3");
  p = small_named_problem();
  p.group_names.pop_back();
  EXPECT_CONTAINS(error_for(p, none), "2 group names for 3 groups");
  p = small_named_problem();
  EXPECT_CONTAINS(error_for(p, {std::nan(""), kInf}), "budget for cost 'bits' is NaN");
}

TEST(BudgetSolverErrors, BudgetBelowTheCheapestConfigurationSaysTheMinimum) {
  const BudgetProblem p = small_named_problem();
  // Cheapest bits: 2 + 2 + 4 = 8; fc3 weighs most (4).
  for (const std::vector<double>& budgets : {std::vector<double>{7, kInf}, std::vector<double>{-1, kInf}}) {
    const std::string e = error_of([&] { solve_budget(p, budgets); });
    EXPECT_CONTAINS(e, "for cost 'bits' is below the cheapest configuration (8, every group at its cheapest choice");
    EXPECT_CONTAINS(e, "largest: 'fc3' 4, 'fc1' 2, 'fc2' 2");
    EXPECT_EQ(e, error_of([&] { solve_front(p, 0, budgets); }));
  }
  // A budget exactly at the minimum is met by the cheapest configuration.
  const BudgetSolution s = solve_budget(p, std::vector<double>{8, kInf});
  EXPECT_EQ(s.choices, (std::vector<std::size_t>{0, 0, 0}));
  // Unnamed groups and costs are numbered.
  BudgetProblem unnamed = p;
  unnamed.group_names.clear();
  unnamed.cost_names.clear();
  EXPECT_CONTAINS(error_of([&] { solve_budget(unnamed, std::vector<double>{kInf, 7}); }),
                  "budget 7 for cost 1 is below the cheapest configuration (16, every group at its cheapest "
                  "choice; largest: group 0 10, group 1 5, group 2 1)");
}

TEST(BudgetSolverErrors, BudgetsThatCannotBeMetTogether) {
  const BudgetProblem p = small_named_problem();
  // bits <= 8 forces every group's cheapest choice (bitops 10 + 5 + 2 = 17); the fewest
  // bitops (16) need fc3's 8-bit choice (bits 12). Each budget alone can be met.
  const std::vector<double> budgets{8, 16};
  for (BudgetMethod m : {BudgetMethod::Auto, BudgetMethod::IntegerProgram}) {
    const std::string e = error_of([&] { solve_budget(p, budgets, m); });
    EXPECT_CONTAINS(e, "no configuration meets all budgets together ('bits' <= 8, 'bitops' <= 16)");
    EXPECT_EQ(e, error_of([&] { solve_front(p, 0, budgets, m); }));
  }
}

TEST(BudgetSolverErrors, MisusedMethodsAndSweeps) {
  const BudgetProblem p = small_named_problem();
  EXPECT_CONTAINS(error_of([&] { solve_budget(p, std::vector<double>{20, 60}, BudgetMethod::DynamicProgram); }),
                  "the dynamic program handles one budgeted cost, this problem budgets 2 ('bits', 'bitops')");
  EXPECT_CONTAINS(error_of([&] { solve_front(p, 1, std::vector<double>{20, kInf}, BudgetMethod::DynamicProgram); }),
                  "budgets 2 ('bitops', 'bits')");
  EXPECT_CONTAINS(error_of([&] { solve_front(p, 2, std::vector<double>{kInf, kInf}); }),
                  "cannot sweep cost 2: the problem has 2 costs");
}

TEST(BudgetSolver, SmallNamedFrontByHand) {
  // Bits only: fc1 {2: 0.5, 8: 0.1}, fc2 {2: 0.4, 4: 0.2, 8: 0.0}, fc3 {4: 0.3, 8: 0.05}.
  BudgetProblem p = small_named_problem();
  const auto front = solve_front(p, 0, std::vector<double>{kInf, kInf});
  std::vector<std::pair<double, double>> got;
  for (const auto& s : front) got.emplace_back(s.costs[0], s.damage);
  // Worked out from the 12 configurations: every one not beaten in both bits and damage.
  const std::vector<std::pair<double, double>> expected{
      {8, 0.5 + 0.4 + 0.3},   {10, 0.5 + 0.2 + 0.3},  {12, 0.5 + 0.4 + 0.05}, {14, 0.5 + 0.2 + 0.05},
      {16, 0.1 + 0.2 + 0.3},  {18, 0.5 + 0.0 + 0.05}, {20, 0.1 + 0.2 + 0.05}, {24, 0.1 + 0.0 + 0.05}};
  ASSERT_EQ(got.size(), expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].first, expected[i].first) << i;
    EXPECT_DOUBLE_EQ(got[i].second, expected[i].second) << i;
  }
}

}  // namespace
}  // namespace qdse::search
