#include "qdse/pipeline/sensitivity_plan.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>
#include <sstream>

#include "qdse/core/error.hpp"
#include "qdse/metrics/metric_kind.hpp"

namespace qdse::pipeline {
namespace {

PlanPoint plan_point_of(const PlanProblem& plan, const search::BudgetSolution& s) {
  // The solver sums damages and costs in group order; the offsets turn them back into
  // the network's figures.
  return {s.choices, plan.reference_accuracy - s.damage, plan.cost_offset + s.costs.at(0)};
}

std::vector<double> plan_ranks(const std::vector<double>& v) {
  std::vector<std::size_t> order(v.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return v[a] < v[b]; });
  std::vector<double> rank(v.size());
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]]) ++j;
    const double r = (static_cast<double>(i) + static_cast<double>(j)) / 2.0 + 1.0;
    for (std::size_t k = i; k <= j; ++k) rank[order[k]] = r;
    i = j + 1;
  }
  return rank;
}

}  // namespace

PlanProblem plan_problem(const SensitivityTable& table, const std::string& cost_metric) {
  const auto kind = metrics::find_metric(cost_metric);
  if (!kind || !metrics::info_of(*kind).sum_over_layers) {
    std::string sums;
    for (const auto& m : sum_over_layer_metrics()) sums += (sums.empty() ? "" : ", ") + m;
    throw Error(ErrorKind::Config, "--cost `" + cost_metric + "` is not " +
                                       (kind ? "a sum over layers" : "a metric qdse computes") +
                                       "; plan needs one of: " + sums);
  }
  if (std::find(table.cost_metrics.begin(), table.cost_metrics.end(), cost_metric) == table.cost_metrics.end() ||
      !table.reference.count(cost_metric))
    throw Error(ErrorKind::Config, "--cost `" + cost_metric + "`: the sensitivity table has no such cost");
  PlanProblem p;
  p.cost_metric = cost_metric;
  p.reference_accuracy = table.reference.at("accuracy");
  p.cost_offset = table.reference.at(cost_metric);
  p.problem.cost_names = {cost_metric};
  p.problem.costs.resize(1);
  for (const auto& g : table.groups) {
    double cheapest = std::numeric_limits<double>::infinity();
    for (const auto& r : g.rows) cheapest = std::min(cheapest, r.cost.at(cost_metric));
    std::vector<double> damage, cost;
    for (const auto& r : g.rows) {
      damage.push_back(-r.d_accuracy);
      cost.push_back(r.cost.at(cost_metric) - cheapest);
    }
    p.cost_offset += cheapest;
    p.problem.group_names.push_back(g.name);
    p.problem.damage.push_back(std::move(damage));
    p.problem.costs[0].push_back(std::move(cost));
  }
  return p;
}

std::vector<PlanPoint> plan_front(const PlanProblem& plan, double* solver_ms) {
  const double budgets[] = {std::numeric_limits<double>::infinity()};
  const auto start = std::chrono::steady_clock::now();
  const auto front = search::solve_front(plan.problem, 0, budgets);
  if (solver_ms)
    *solver_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::vector<PlanPoint> out;
  for (const auto& s : front) out.push_back(plan_point_of(plan, s));
  return out;
}

PlanPoint plan_budget(const PlanProblem& plan, double budget, double* solver_ms) {
  if (!std::isfinite(budget) || budget < plan.cost_offset) {
    std::ostringstream s;
    s.precision(17);
    s << "--budget " << budget << " is below the cheapest configuration's " << plan.cost_metric << " ("
      << plan.cost_offset << ")";
    throw Error(ErrorKind::Config, s.str());
  }
  const double budgets[] = {budget - plan.cost_offset};
  const auto start = std::chrono::steady_clock::now();
  const auto s = search::solve_budget(plan.problem, budgets);
  if (solver_ms)
    *solver_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return plan_point_of(plan, s);
}

search::ParamVector plan_params(const SensitivityTable& table, const QuantSpace& space, const PlanPoint& point) {
  const auto& s = space.space();
  search::ParamVector params(s.n_params(), -1.0);
  for (std::size_t g = 0; g < table.groups.size(); ++g) {
    const auto& group = table.groups[g];
    const auto& row = group.rows.at(point.rows.at(g));
    for (std::size_t j = 0; j < group.params.size(); ++j) {
      const auto& names = s.names();
      const auto it = std::find(names.begin(), names.end(), group.params[j]);
      if (it == names.end())
        throw Error(ErrorKind::Config, "the sensitivity table's param `" + group.params[j] +
                                           "` is not in the config's search space");
      const auto index = static_cast<std::size_t>(it - names.begin());
      if (row.choice[j] >= space.choices(index).size())
        throw Error(ErrorKind::Config, "the sensitivity table's param `" + group.params[j] + "` has choice " +
                                           std::to_string(row.choice[j]) + ", the space only " +
                                           std::to_string(space.choices(index).size()));
      params[index] = static_cast<double>(row.choice[j]);
    }
  }
  for (std::size_t i = 0; i < params.size(); ++i)
    if (params[i] < 0)
      throw Error(ErrorKind::Config, "the search space's param `" + s.name(i) +
                                         "` is not in the sensitivity table (run qdse sensitivity on this config)");
  return params;
}

double spearman(const std::vector<double>& a, const std::vector<double>& b) {
  QDSE_ASSERT(a.size() == b.size(), "spearman of two equally long lists");
  if (a.size() < 2) return std::numeric_limits<double>::quiet_NaN();
  const auto ra = plan_ranks(a), rb = plan_ranks(b);
  const double n = static_cast<double>(a.size()), mean = (n + 1.0) / 2.0;
  double sab = 0, saa = 0, sbb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    sab += (ra[i] - mean) * (rb[i] - mean);
    saa += (ra[i] - mean) * (ra[i] - mean);
    sbb += (rb[i] - mean) * (rb[i] - mean);
  }
  if (saa == 0 || sbb == 0) return std::numeric_limits<double>::quiet_NaN();
  return sab / std::sqrt(saa * sbb);
}

}  // namespace qdse::pipeline
