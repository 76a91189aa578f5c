// Issue 16: qdse's hls4ml estimate of the hls4ml jet tagger (16-64-32-32-5, the hls4ml
// tutorial's part 1 model; qdse's jsc-s is the same MLP with one more 32x32 layer and batch
// norms) beside a retrieved synthesis report of it, as docs/hardware.md ("Against published
// synthesis figures") tabulates them.
//
// Source of the synthesized figures (Vivado HLS 2019.2 C-synthesis estimates, hls4ml 1.2.0,
// xcu250-figd2104-2L-e at 5 ns, every type ap_fixed<16,6> (granularity='model'), Latency,
// ReuseFactor 1, io_parallel): github.com/Liu-Zhiheng/hls4ml-pynqz2-vivado2019-2-results,
// notebooks/part1_getting_started_vivado2019_2.ipynb (commit f181cc4f), the output of
// `hls4ml.report.read_vivado_report('model_1/hls4ml_prj/')`, "Utilization Estimates", and
// results/RESULTS_VIVADO2019_2.md, "Tutorial 1 HLS 结果".
//
// The test recomputes qdse's column from the documented rules (so the doc's qdse figures are
// what the hw layer returns) and prints the comparison; the published numbers are data.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "qdse/hw/hls4ml_cost.hpp"
#include "qdse/hw/network_cost.hpp"

namespace qdse::hw {
namespace {

// ap_fixed<16,6> everywhere, the tutorial's model-level default precision (hls4ml's
// config_from_*_model(granularity='model') gives the accumulator that type too).
LayerFormats tutorial_formats() {
  const FixedType t{16, 6, true};
  LayerFormats f;
  f.data = f.weight = f.bias = f.output = t;
  f.accumulator = t;
  return f;
}

Device tutorial_xcu250() {
  Device d;
  d.name = "xcu250";
  d.dsp_slice = {"DSP48E2", 27, 18};
  return d;
}

// The report's per-instance rows (DSP, FF, LUT). fc1 and fc3 both have 1024 products and
// the report names their instances only by number, so they are compared as a pair.
struct PublishedRow {
  const char* layers;
  int64_t dsp, ff, lut;
};
const PublishedRow kJetTaggerPublished[] = {
    {"fc1 + fc3 (16x64, 32x32)", 650 + 495, 2423 + 2353, 27185 + 24303},
    {"fc2 (64x32)", 850, 3837, 50347},
    {"output (32x5)", 118, 417, 4031},
};

double published_relative_error(int64_t estimate, int64_t published) {
  return (static_cast<double>(estimate) - static_cast<double>(published)) / static_cast<double>(published);
}

TEST(Hls4mlPublishedFigures, JetTagger16x64x32x32x5AtApFixed16_6ReuseFactor1) {
  const Hls4mlImpl impl{Hls4mlStrategy::Latency, 1, 1};
  const std::vector<LayerShape> shapes = {dense_shape("fc1", 16, 64), dense_shape("fc2", 64, 32),
                                          dense_shape("fc3", 32, 32), dense_shape("output", 32, 5)};
  std::vector<Cost> costs;
  std::vector<LayerCost> named;
  for (const LayerShape& s : shapes) {
    const Cost c = hls4ml_layer_cost(s, tutorial_formats(), impl, tutorial_xcu250());
    const int64_t n = s.dot_length() * s.dot_count();
    // The documented rules for w_w = w_a = 16 at R = 1 (docs/hardware.md#hls4ml): one DSP48E2
    // per product, n_out * n_in accumulator-wide (16-bit) adders, weights and outputs in
    // registers, one cycle of multipliers plus ceil(log2(n_in + 1)) adder levels.
    EXPECT_EQ(c.dsp, n) << s.name;
    EXPECT_EQ(c.lut, n * 16) << s.name;
    EXPECT_EQ(c.ff, n * 16 + s.dot_count() * 16) << s.name;
    EXPECT_EQ(c.bram18, 0) << s.name;
    EXPECT_EQ(c.latency_cycles, 1 + static_cast<int64_t>(std::ceil(std::log2(s.dot_length() + 1.0)))) << s.name;
    costs.push_back(c);
    named.push_back({s.name, c});
  }
  const NetworkCost net = network_cost(named);
  EXPECT_EQ(net.total.dsp, 4256);
  EXPECT_EQ(net.total.latency_cycles, 6 + 8 + 7 + 7);
  EXPECT_EQ(net.total.ii, 1);

  // Every product is a DSP in qdse's model; synthesis can only remove some (constant
  // coefficients), so the estimate bounds the published DSP count from above.
  const Cost est_rows[] = {
      {costs[0].lut + costs[2].lut, costs[0].ff + costs[2].ff, costs[0].dsp + costs[2].dsp, 0, 0, 0, 0, true},
      costs[1], costs[3]};
  std::printf("%-26s %22s %22s %22s\n", "layers", "DSP qdse/pub (err)", "FF qdse/pub (err)", "LUT qdse/pub (err)");
  for (std::size_t i = 0; i < std::size(kJetTaggerPublished); ++i) {
    const PublishedRow& p = kJetTaggerPublished[i];
    const Cost& e = est_rows[i];
    EXPECT_GE(e.dsp, p.dsp) << p.layers;
    std::printf("%-26s %7lld/%-6lld (%+5.0f%%) %7lld/%-6lld (%+5.0f%%) %7lld/%-6lld (%+5.0f%%)\n", p.layers,
                static_cast<long long>(e.dsp), static_cast<long long>(p.dsp), 100 * published_relative_error(e.dsp, p.dsp),
                static_cast<long long>(e.ff), static_cast<long long>(p.ff), 100 * published_relative_error(e.ff, p.ff),
                static_cast<long long>(e.lut), static_cast<long long>(p.lut), 100 * published_relative_error(e.lut, p.lut));
  }
  // Whole design as reported (dense layers, three ReLUs and the softmax): DSP 2118, FF 12562,
  // LUT 109753, BRAM18 4, latency 12 cycles, II 1.
  std::printf("network: DSP %lld/2118 (%+.0f%%), FF %lld/12562 (%+.0f%%), LUT %lld/109753 (%+.0f%%), "
              "BRAM18 %lld/4, latency %lld/12 cycles (%+.0f%%), II %lld/1\n",
              static_cast<long long>(net.total.dsp), 100 * published_relative_error(net.total.dsp, 2118),
              static_cast<long long>(net.total.ff), 100 * published_relative_error(net.total.ff, 12562),
              static_cast<long long>(net.total.lut), 100 * published_relative_error(net.total.lut, 109753),
              static_cast<long long>(net.total.bram18), static_cast<long long>(net.total.latency_cycles),
              100 * published_relative_error(net.total.latency_cycles, 12), static_cast<long long>(net.total.ii));
}

}  // namespace
}  // namespace qdse::hw
