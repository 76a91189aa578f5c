// Sampler latency with a history of 100 / 1000 / 5000 finished trials, on the shape of
// the fmnist-mlp "large" search space (3 layers x weight_width {2,3,4,5,6,8} x
// data_in_width {3,4,5,6,8}, 27 000 configurations; params named as qdse names them).
//
//  - BM_<Sampler>Ask: Sampler::ask() alone, the history fixed (the sampler's own cost);
//  - BM_<Sampler>AskTell: Study::ask() + Study::tell() through an InMemoryStorage that
//    starts with the history (what one trial of `qdse search` pays besides evaluating;
//    every trial carries the 13 metrics a search records, as storage copies them; the
//    history grows by one per iteration, so the iteration count is fixed and small).
// bench/optuna_sampler_bench.py measures Optuna's ask + suggest + tell on the same space
// and the same synthetic objective; bench/sampler_vs_optuna.sh prints both side by side.
// Histories are uniformly random with a fixed seed, so numbers compare across commits.
#include <benchmark/benchmark.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "qdse/search/sampler_factory.hpp"
#include "qdse/search/space.hpp"
#include "qdse/search/storage.hpp"
#include "qdse/search/study.hpp"
#include "qdse/search/trial.hpp"

namespace {

using namespace qdse::search;

constexpr int kAskTellIterations = 20;

SearchSpace large_space() {
  SearchSpace s;
  for (const char* layer : {"seq_blocks_1", "seq_blocks_3", "seq_blocks_5"}) {
    s.add(std::string(layer) + "/config/weight_width", make_ordered_categorical({2, 3, 4, 5, 6, 8}));
    s.add(std::string(layer) + "/config/data_in_width", make_ordered_categorical({3, 4, 5, 6, 8}));
  }
  return s;
}

// Synthetic accuracy/size trade-off (the same formula as optuna_sampler_bench.py):
// error falls with the bits (later layers weigh more), size grows with them.
// Single objective: error + 0.01 * size (minimised); two objectives: {error, size}.
std::vector<double> objectives(const SearchSpace& s, const ParamVector& x, std::size_t n_objectives) {
  double error = 0.0, size = 0.0;
  for (std::size_t p = 0; p < x.size(); ++p) {
    const auto& cat = std::get<CategoricalDistribution>(s.distribution(p));
    const double bits = cat.values[static_cast<std::size_t>(x[p])];
    error += 1.0 / (bits * bits) * static_cast<double>(p + 1);
    size += bits;
  }
  if (n_objectives == 1) return {error + 0.01 * size};
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
    t.values = objectives(s, t.params, n_objectives);
    trials.push_back(std::move(t));
  }
  return trials;
}

// The metrics `qdse search` records per trial (values do not matter, their copying does).
std::map<std::string, double> search_metrics(double v) {
  std::map<std::string, double> m;
  for (const char* k : {"accuracy", "average_bitwidth", "bitops", "cached", "first_recomputed_node", "flops", "loss",
                        "macro_accuracy", "macs", "memory_density", "model_size", "model_size_bits",
                        "model_size_bytes"})
    m[k] = v;
  return m;
}

SamplerOptions options(bool multivariate) {
  SamplerOptions o;
  o.seed = 1;
  o.tpe.multivariate = multivariate;
  return o;
}

void ask_only(benchmark::State& state, const std::string& sampler, bool multivariate, std::size_t n_objectives) {
  const SearchSpace space = large_space();
  const auto trials = history(space, static_cast<int>(state.range(0)), n_objectives);
  const std::vector<Direction> dirs(n_objectives, Direction::Minimize);
  auto s = make_sampler(sampler, options(multivariate));
  for (auto _ : state) benchmark::DoNotOptimize(s->ask(space, dirs, trials));
  state.SetLabel(std::to_string(state.range(0)) + " finished trials");
}

void ask_tell(benchmark::State& state, const std::string& sampler, bool multivariate, std::size_t n_objectives) {
  const SearchSpace space = large_space();
  auto storage = std::make_shared<InMemoryStorage>();
  for (const FrozenTrial& t : history(space, static_cast<int>(state.range(0)), n_objectives)) {
    const int number = storage->create_trial(t.params);
    TrialResult r;
    r.values = t.values;
    r.metrics = search_metrics(t.values[0]);
    storage->finish_trial(number, r);
  }
  Study study(space, std::vector<Direction>(n_objectives, Direction::Minimize), storage,
              make_sampler(sampler, options(multivariate)));
  for (auto _ : state) {
    auto t = study.ask();
    if (!t) {
      state.SkipWithError("sampler exhausted");
      break;
    }
    const auto values = objectives(space, t->params, n_objectives);
    study.tell(t->number, values, {}, search_metrics(values[0]));
  }
  state.SetLabel(std::to_string(state.range(0)) + " finished trials at start");
}

void BM_TpeAsk(benchmark::State& state) { ask_only(state, "tpe", false, 1); }
void BM_TpeMultivariateAsk(benchmark::State& state) { ask_only(state, "tpe", true, 1); }
void BM_MotpeAsk(benchmark::State& state) { ask_only(state, "tpe", false, 2); }
void BM_NsgaIIAsk(benchmark::State& state) { ask_only(state, "nsgaii", false, 2); }
void BM_RandomAsk(benchmark::State& state) { ask_only(state, "random", false, 1); }

void BM_TpeAskTell(benchmark::State& state) { ask_tell(state, "tpe", false, 1); }
void BM_TpeMultivariateAskTell(benchmark::State& state) { ask_tell(state, "tpe", true, 1); }
void BM_MotpeAskTell(benchmark::State& state) { ask_tell(state, "tpe", false, 2); }
void BM_NsgaIIAskTell(benchmark::State& state) { ask_tell(state, "nsgaii", false, 2); }
void BM_RandomAskTell(benchmark::State& state) { ask_tell(state, "random", false, 1); }

#define QDSE_SIZES ->Arg(100)->Arg(1000)->Arg(5000)->Unit(benchmark::kMicrosecond)
BENCHMARK(BM_TpeAsk) QDSE_SIZES;
BENCHMARK(BM_TpeMultivariateAsk) QDSE_SIZES;
BENCHMARK(BM_MotpeAsk) QDSE_SIZES;
BENCHMARK(BM_NsgaIIAsk) QDSE_SIZES;
BENCHMARK(BM_RandomAsk) QDSE_SIZES;
BENCHMARK(BM_TpeAskTell) QDSE_SIZES->Iterations(kAskTellIterations);
BENCHMARK(BM_TpeMultivariateAskTell) QDSE_SIZES->Iterations(kAskTellIterations);
BENCHMARK(BM_MotpeAskTell) QDSE_SIZES->Iterations(kAskTellIterations);
BENCHMARK(BM_NsgaIIAskTell) QDSE_SIZES->Iterations(kAskTellIterations);
BENCHMARK(BM_RandomAskTell) QDSE_SIZES->Iterations(kAskTellIterations);
#undef QDSE_SIZES

}  // namespace

BENCHMARK_MAIN();
