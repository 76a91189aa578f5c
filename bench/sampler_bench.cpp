// Ask latency of the samplers with a history already in storage: TPE (univariate,
// multivariate) single-objective and NSGA-II two-objective, on a 6-param categorical
// space of bit widths, with 100 / 1000 / 5000 finished trials. Reports time per ask.
// Histories are identical across runs (fixed seed), so numbers compare across commits.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>

#include "qdse/search/sampler_factory.hpp"
#include "qdse/search/space.hpp"
#include "qdse/search/trial.hpp"

namespace {

using namespace qdse::search;

SearchSpace bit_width_space() {
  SearchSpace s;
  for (int p = 0; p < 6; ++p) {
    s.add("layer" + std::to_string(p),
          p % 2 == 0 ? make_ordered_categorical({2, 3, 4, 5, 6, 8}) : make_ordered_categorical({3, 4, 5, 6, 8}));
  }
  return s;
}

// Synthetic accuracy/size trade-off: more bits -> lower error, bigger model.
std::vector<double> objectives(const SearchSpace& s, const ParamVector& x) {
  double error = 0.0, size = 0.0;
  for (std::size_t p = 0; p < x.size(); ++p) {
    const auto& cat = std::get<CategoricalDistribution>(s.distribution(p));
    const double bits = cat.values[static_cast<std::size_t>(x[p])];
    error += 1.0 / (bits * bits) * static_cast<double>(p + 1);
    size += bits;
  }
  return {error, size};
}

std::vector<FrozenTrial> history(const SearchSpace& s, int n, std::size_t n_objectives) {
  Rng rng(42);
  std::vector<FrozenTrial> trials;
  trials.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    FrozenTrial t;
    t.number = i;
    t.state = TrialState::Complete;
    t.params = sample_uniform(s, rng);
    t.values = objectives(s, t.params);
    t.values.resize(n_objectives);
    trials.push_back(std::move(t));
  }
  return trials;
}

void run(benchmark::State& state, const std::string& sampler, bool multivariate, std::size_t n_objectives) {
  const SearchSpace space = bit_width_space();
  const auto trials = history(space, static_cast<int>(state.range(0)), n_objectives);
  const std::vector<Direction> dirs(n_objectives, Direction::Minimize);
  SamplerOptions o;
  o.seed = 1;
  o.tpe.multivariate = multivariate;
  auto s = make_sampler(sampler, o);
  for (auto _ : state) benchmark::DoNotOptimize(s->ask(space, dirs, trials));
  state.SetLabel(std::to_string(state.range(0)) + " finished trials");
}

void BM_TpeUnivariateAsk(benchmark::State& state) { run(state, "tpe", false, 1); }
void BM_TpeMultivariateAsk(benchmark::State& state) { run(state, "tpe", true, 1); }
void BM_MotpeAsk(benchmark::State& state) { run(state, "tpe", false, 2); }
void BM_NsgaIIAsk(benchmark::State& state) { run(state, "nsgaii", false, 2); }

BENCHMARK(BM_TpeUnivariateAsk)->Arg(100)->Arg(1000)->Arg(5000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_TpeMultivariateAsk)->Arg(100)->Arg(1000)->Arg(5000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MotpeAsk)->Arg(100)->Arg(1000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_NsgaIIAsk)->Arg(100)->Arg(1000)->Arg(5000)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
