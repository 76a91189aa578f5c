// The dynamic program of the budgeted solver (one cost): the Pareto set of partial sums.
//
// After group g the program holds every (cost, damage) that some choice of groups 0..g
// reaches and that no other partial choice beats in both. A dominated partial sum can be
// dropped: whatever the later groups add, the partial sum that beats it stays at least as
// good (costs and damages are added in the same order, and IEEE addition is monotone, so
// this holds for the rounded sums too). The last group's set is the exact front. Each set
// is sorted by cost, so extending it by one choice gives another sorted list; the next set
// is a merge of one list per choice, filtered for strictly falling damage as it is merged,
// with no sort and no candidate array. With integer costs a set holds at most one point
// per cost value, which is the budget grid of a classic knapsack DP.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "budget_methods.hpp"

namespace qdse::search::budget_detail {
namespace {

struct BudgetDpState {
  double cost;
  double damage;
  std::uint32_t parent;  // index in the previous group's set
  std::uint32_t choice;
};

}  // namespace

std::optional<std::vector<BudgetSolution>> dp_front(const BudgetProblem& problem, double cap) {
  const std::size_t groups = problem.damage.size();
  const bool costed = !problem.costs.empty();
  auto cost_of = [&](std::size_t g, std::size_t c) { return costed ? problem.costs[0][g][c] : 0.0; };

  // Least cost of groups g.. : a partial sum that cannot fit even with the cheapest rest
  // is dropped early. The rest is summed in another order than the final sums, so the
  // test keeps a relative slack; the exact test against the cap is made at the end.
  std::vector<double> rest(groups + 1, 0.0);
  for (std::size_t g = groups; g-- > 0;) {
    double least = std::numeric_limits<double>::infinity();
    for (std::size_t c = 0; c < problem.damage[g].size(); ++c) least = std::min(least, cost_of(g, c));
    rest[g] = rest[g + 1] + least;
  }
  const double reach = cap + std::abs(cap) * 1e-12;

  std::vector<std::vector<BudgetDpState>> sets(groups);
  const std::vector<BudgetDpState> root{{0.0, 0.0, 0, 0}};
  for (std::size_t g = 0; g < groups; ++g) {
    const std::vector<BudgetDpState>& prev = g == 0 ? root : sets[g - 1];
    const std::vector<double>& damage = problem.damage[g];
    const std::size_t choices = damage.size();
    if (prev.size() * choices > kDpMaxCandidates) return std::nullopt;

    std::vector<std::size_t> head(choices, 0);  // next element of each choice's list
    std::vector<BudgetDpState>& next = sets[g];
    double best_damage = std::numeric_limits<double>::infinity();
    for (;;) {
      std::size_t pick = choices;
      double pick_cost = 0.0, pick_damage = 0.0;
      for (std::size_t c = 0; c < choices; ++c) {
        if (head[c] >= prev.size()) continue;
        const double cost = prev[head[c]].cost + cost_of(g, c);
        if (cost + rest[g + 1] > reach) {  // sorted by cost: the rest of this list is out too
          head[c] = prev.size();
          continue;
        }
        const double dmg = prev[head[c]].damage + damage[c];
        if (pick == choices || cost < pick_cost || (cost == pick_cost && dmg < pick_damage)) {
          pick = c;
          pick_cost = cost;
          pick_damage = dmg;
        }
      }
      if (pick == choices) break;
      if (pick_damage < best_damage) {
        next.push_back({pick_cost, pick_damage, static_cast<std::uint32_t>(head[pick]),
                        static_cast<std::uint32_t>(pick)});
        best_damage = pick_damage;
      }
      ++head[pick];
    }
    if (next.empty()) return std::vector<BudgetSolution>{};
  }

  std::vector<BudgetSolution> front;
  const std::vector<BudgetDpState>& last = sets.back();
  for (std::size_t i = 0; i < last.size() && last[i].cost <= cap; ++i) {
    std::vector<std::size_t> picked(groups);
    std::size_t at = i;
    for (std::size_t g = groups; g-- > 0;) {
      picked[g] = sets[g][at].choice;
      at = sets[g][at].parent;
    }
    front.push_back(summed_solution(problem, std::move(picked)));
  }
  return front;
}

}  // namespace qdse::search::budget_detail
