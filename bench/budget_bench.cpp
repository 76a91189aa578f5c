// Time of the budgeted solver's whole predicted front (issue 17 goal: <= 100 ms for a
// network of 20+ quantizable layers), on network-shaped instances:
//
//  - `layers` groups, each with the first `choices` of the widths {2,3,4,5,6,7,8,10,12,16};
//  - per layer a parameter count (log-uniform 1e3..2e6) and output pixels (1 for a dense
//    layer, 1..784 for a convolution), so MACs = params x pixels;
//  - costs that are sums over layers, as qdse's metrics count them: model size in bits
//    (params x width) and BitOPs (MACs x width x 8-bit activations), whole numbers;
//  - damage = sensitivity x 4^-width (quantization noise power) x a +-20% factor, with a
//    log-uniform per-layer sensitivity: what a sensitivity pass would predict.
//
// BM_FrontSize:       the whole size front, no other budget (Auto: the dynamic program);
// BM_SolveTwoBudgets: one CBC solve, least damage under a size and a BitOPs budget, each
//                     halfway between its least and largest total (two budgeted costs).
// Counters: points of the front. Seeded; the instance is fixed for given (layers, choices).
#include <benchmark/benchmark.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "qdse/search/budget_solver.hpp"

namespace {

using namespace qdse::search;

BudgetProblem network_problem(std::size_t layers, std::size_t choices) {
  const double widths[] = {2, 3, 4, 5, 6, 7, 8, 10, 12, 16};
  std::mt19937_64 rng(1000 * layers + choices);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  BudgetProblem p;
  p.cost_names = {"size_bits", "bitops"};
  p.costs.assign(2, {});
  for (std::size_t l = 0; l < layers; ++l) {
    const double params = std::round(std::exp(std::log(1e3) + unit(rng) * std::log(2e3)));
    const double pixels = unit(rng) < 0.3 ? 1.0 : std::round(1.0 + unit(rng) * 783.0);
    const double sensitivity = std::exp(std::log(1e-2) + unit(rng) * std::log(1e3));
    std::vector<double> damage, size, bitops;
    for (std::size_t c = 0; c < choices; ++c) {
      const double w = widths[c];
      damage.push_back(sensitivity * std::pow(4.0, -w) * (0.8 + 0.4 * unit(rng)));
      size.push_back(params * w);
      bitops.push_back(params * pixels * w * 8.0);
    }
    p.group_names.push_back("layer" + std::to_string(l));
    p.damage.push_back(damage);
    p.costs[0].push_back(size);
    p.costs[1].push_back(bitops);
  }
  return p;
}

// Halfway between the least and the largest total of cost k (widths are ascending).
double halfway(const BudgetProblem& p, std::size_t k) {
  double least = 0.0, most = 0.0;
  for (const auto& row : p.costs[k]) {
    least += row.front();
    most += row.back();
  }
  return std::round(0.5 * (least + most));
}

void BM_FrontSize(benchmark::State& state) {
  const BudgetProblem p = network_problem(static_cast<std::size_t>(state.range(0)),
                                          static_cast<std::size_t>(state.range(1)));
  const std::vector<double> budgets(2, std::numeric_limits<double>::infinity());
  std::size_t points = 0;
  for (auto _ : state) {
    const auto front = solve_front(p, 0, budgets);
    points = front.size();
    benchmark::DoNotOptimize(front.data());
  }
  state.counters["points"] = static_cast<double>(points);
}

void BM_SolveTwoBudgets(benchmark::State& state) {
  const BudgetProblem p = network_problem(static_cast<std::size_t>(state.range(0)),
                                          static_cast<std::size_t>(state.range(1)));
  const std::vector<double> budgets{halfway(p, 0), halfway(p, 1)};
  for (auto _ : state) benchmark::DoNotOptimize(solve_budget(p, budgets).damage);
}

#define QDSE_NETWORKS                                                                                   \
  ->Args({20, 6})->Args({20, 10})->Args({40, 6})->Args({40, 10})->Args({60, 6})->Args({60, 10}) \
      ->Unit(benchmark::kMillisecond)
BENCHMARK(BM_FrontSize) QDSE_NETWORKS;
BENCHMARK(BM_SolveTwoBudgets) QDSE_NETWORKS;

}  // namespace

BENCHMARK_MAIN();
