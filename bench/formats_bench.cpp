// Quantize throughput per format on a 1M-element float32 tensor: fast path
// (quantize) vs loop reference (quantize_ref). Reported as bytes of input per
// second (SetBytesProcessed), so "GB/s" reads directly from the output.
#include <benchmark/benchmark.h>
#include <torch/types.h>
#include <torch/utils.h>

#include <vector>

#include "qdse/quant/formats/quantize.hpp"

namespace {

using qdse::quant::Format;

constexpr int64_t kElements = 1 << 20;

const std::vector<Format>& bench_formats() {
  using namespace qdse::quant;
  static const std::vector<Format> formats{
      Format{IntegerFormat{.width = 8, .frac_width = 4}},
      Format{IntegerFormat{.width = 8, .frac_width = 4, .rounding = Rounding::NearestAway,
                           .overflow = Overflow::Wrap}},
      Format{MinifloatFormat{.exponent_width = 4, .mantissa_width = 3}},
      Format{BlockFpFormat{.mantissa_width = 7, .exponent_width = 8, .block_size = 16}},
      Format{LogFormat{.exponent_width = 4}},
      Format{BinaryFormat{.scaled = true}},
      Format{TernaryFormat{.scaled = true}},
  };
  return formats;
}

void run(benchmark::State& state, bool reference) {
  torch::set_num_threads(1);  // comparable numbers on a shared machine
  const Format& f = bench_formats()[static_cast<size_t>(state.range(0))];
  torch::manual_seed(0);
  const torch::Tensor x = torch::randn({kElements}) * 3;
  for (auto _ : state) {
    torch::Tensor q = reference ? qdse::quant::quantize_ref(x, f) : qdse::quant::quantize(x, f);
    benchmark::DoNotOptimize(q.data_ptr());
  }
  state.SetBytesProcessed(state.iterations() * kElements * static_cast<int64_t>(sizeof(float)));
  state.SetLabel(qdse::quant::describe(f));
}

void BM_QuantizeFast(benchmark::State& state) { run(state, false); }
void BM_QuantizeRef(benchmark::State& state) { run(state, true); }

BENCHMARK(BM_QuantizeFast)->DenseRange(0, 6)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_QuantizeRef)->DenseRange(0, 6)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
