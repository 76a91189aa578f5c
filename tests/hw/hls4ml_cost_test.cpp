// The hls4ml io_parallel model against figures worked out by hand from its rules
// (docs/hardware.md#hls4ml), and its refusals of reuse and parallelization factors
// hls4ml cannot build.
#include <gtest/gtest.h>

#include "../support/errors.hpp"
#include "qdse/hw/hls4ml_cost.hpp"

namespace qdse::hw {
namespace {

using qdse::testing::error_of;

Device test_device(DspSlice slice) {
  Device d;
  d.name = "test";
  d.dsp_slice = std::move(slice);
  d.lut = 100000;
  d.ff = 200000;
  d.dsp = 1000;
  d.bram18 = 500;
  d.clock_ns = 5;
  return d;
}
const Device kUltraScale = test_device({"DSP48E2", 27, 18});
const Device kSeries7 = test_device({"DSP48E1", 25, 18});

// data ap_fixed<16,6>, weight ap_fixed<weight_width, 3>, bias ap_fixed<8,3>, output ap_fixed<16,6>.
LayerFormats formats(int weight_width, int data_width = 16) {
  LayerFormats f;
  f.data = {data_width, 6, true};
  f.weight = {weight_width, 3, true};
  f.bias = {8, 3, true};
  f.output = {16, 6, true};
  return f;
}

Hls4mlImpl impl(Hls4mlStrategy s, int64_t rf, int64_t pf = 1) { return Hls4mlImpl{s, rf, pf}; }

TEST(Hls4mlCost, DenseLatencyNarrowWeightsUseLuts) {
  // fc1 16 -> 64, 8-bit weights (< 9: LUT multipliers), R = 1.
  const Cost c = hls4ml_layer_cost(dense_shape("fc1", 16, 64), formats(8), impl(Hls4mlStrategy::Latency, 1),
                                   kUltraScale);
  // 1024 multipliers * (2*ceil(24/6) - 1) * 24 = 1024 * 168; accumulator (auto, with bias)
  // ap_fixed<29,14>; 64 * 16 adders (15 products + bias each) of 29 bits.
  EXPECT_EQ(c.lut, 1024 * 168 + 1024 * 29);
  EXPECT_EQ(c.dsp, 0);
  EXPECT_EQ(c.ff, 64 * 16 + 1024 * 8);  // outputs and weights in registers
  EXPECT_EQ(c.bram18, 0);
  EXPECT_EQ(c.uram, 0);
  EXPECT_EQ(c.latency_cycles, 1 + 5);  // R, then ceil(log2(16 + 1)) adder levels
  EXPECT_EQ(c.ii, 1);
  EXPECT_TRUE(c.ff_estimated);
}

TEST(Hls4mlCost, DenseLatencyNineBitWeightsUseDsps) {
  const Cost c = hls4ml_layer_cost(dense_shape("fc1", 16, 64), formats(9), impl(Hls4mlStrategy::Latency, 1),
                                   kUltraScale);
  EXPECT_EQ(c.dsp, 1024);  // 9 x 16 fits one DSP48E2
  // Only the adders are LUTs: accumulator 9+16+4 = 29 bits, 13 integer, with bias 14 + 16 = 30.
  EXPECT_EQ(c.lut, 1024 * 30);
  EXPECT_EQ(c.ff, 64 * 16 + 1024 * 9);
}

TEST(Hls4mlCost, DenseLatencyReuseSharesMultipliers) {
  // R = 4: 256 multipliers, II 4, latency 4 + 5.
  const Cost c = hls4ml_layer_cost(dense_shape("fc1", 16, 64), formats(10), impl(Hls4mlStrategy::Latency, 4),
                                   kUltraScale);
  EXPECT_EQ(c.dsp, 256);
  EXPECT_EQ(c.lut, 256 * 31);  // 1024 adders shared by 4; accumulator 31 bits
  EXPECT_EQ(c.ii, 4);
  EXPECT_EQ(c.latency_cycles, 9);
}

TEST(Hls4mlCost, DspCliffAtTheSliceWidth) {
  // 4 -> 2 dense, weight 18 bits: 8 multipliers.
  auto dsp = [](int data_width, const Device& d) {
    return hls4ml_layer_cost(dense_shape("fc", 4, 2), formats(18, data_width), impl(Hls4mlStrategy::Latency, 1), d)
        .dsp;
  };
  EXPECT_EQ(dsp(25, kSeries7), 8);       // 25 x 18: one DSP48E1 each
  EXPECT_EQ(dsp(26, kSeries7), 16);      // 26 x 18: two
  EXPECT_EQ(dsp(27, kUltraScale), 8);    // 27 x 18: one DSP48E2
  EXPECT_EQ(dsp(28, kUltraScale), 16);   // 28 x 18: two
}

TEST(Hls4mlCost, DenseResourceKeepsWeightsInBram) {
  // R = 4 on 16 x 64: block_factor 256, 10-bit weights -> ceil(1024*10 / (4*36)) = 72 BRAM18.
  const Cost c = hls4ml_layer_cost(dense_shape("fc1", 16, 64), formats(10), impl(Hls4mlStrategy::Resource, 4),
                                   kUltraScale);
  EXPECT_EQ(c.bram18, 72);
  EXPECT_EQ(c.dsp, 256);
  EXPECT_EQ(c.lut, 256 * 31);
  EXPECT_EQ(c.ff, 64 * 16);  // outputs only
  EXPECT_EQ(c.ii, 4);
  // 4 pipelined iterations, each adding 16/4 = 4 products to the running sum: 4 + ceil(log2 5).
  EXPECT_EQ(c.latency_cycles, 4 + 3);
}

TEST(Hls4mlCost, BramRoundsUpAndDeepMemoriesStack) {
  // R = 8: ceil(10240 / 288) = ceil(35.6) = 36.
  EXPECT_EQ(hls4ml_layer_cost(dense_shape("fc1", 16, 64), formats(10), impl(Hls4mlStrategy::Resource, 8),
                              kUltraScale)
                .bram18,
            36);
  // R = 1024: one 10-bit word per cycle, 1024 deep: ceil(10240 / 36864) = 1 column, two 512-deep banks.
  const Cost deep = hls4ml_layer_cost(dense_shape("fc1", 16, 64), formats(10),
                                      impl(Hls4mlStrategy::Resource, 1024), kUltraScale);
  EXPECT_EQ(deep.bram18, 2);
  EXPECT_EQ(deep.dsp, 1);
  EXPECT_EQ(deep.latency_cycles, 1024 + 1);  // R > n_in: one product per iteration
  // Resource with R = 1 keeps the weights in registers, like Latency.
  EXPECT_EQ(hls4ml_layer_cost(dense_shape("fc1", 16, 64), formats(10), impl(Hls4mlStrategy::Resource, 1),
                              kUltraScale)
                .bram18,
            0);
}

TEST(Hls4mlCost, ValidReuseFactorsFollowHls4mlsRule) {
  // n_in 6, n_out 4: R = 4 gives ceil(24/4) = 6 multipliers, 6 % 4 != 0; R = 8 > 6 but 8 % 6 != 0.
  EXPECT_EQ(hls4ml_valid_reuse_factors(6, 4), (std::vector<int64_t>{1, 2, 3, 6, 12, 24}));
  EXPECT_FALSE(hls4ml_reuse_factor_valid(6, 4, 4));
  EXPECT_TRUE(hls4ml_reuse_factor_valid(6, 4, 12));
  EXPECT_FALSE(hls4ml_reuse_factor_valid(6, 4, 5));
}

TEST(Hls4mlCost, InvalidReuseFactorsNameTheLayer) {
  const std::string not_dividing = error_of([] {
    hls4ml_layer_cost(dense_shape("fc1", 16, 64), formats(8), impl(Hls4mlStrategy::Latency, 3), kUltraScale);
  });
  EXPECT_CONTAINS(not_dividing, "layer `fc1`");
  EXPECT_CONTAINS(not_dividing, "reuse_factor 3 does not divide n_in*n_out = 16*64 = 1024");
  EXPECT_CONTAINS(not_dividing, "valid: 1, 2, 4, 8");
  // R = 4 divides 6*4 but breaks the Resource rule; Latency takes it.
  const std::string rule = error_of([] {
    hls4ml_layer_cost(dense_shape("fc2", 6, 4), formats(8), impl(Hls4mlStrategy::Resource, 4), kUltraScale);
  });
  EXPECT_CONTAINS(rule, "layer `fc2`: reuse_factor 4 breaks hls4ml's reuse-factor rule");
  EXPECT_CONTAINS(rule, "valid: 1, 2, 3, 6, 12, 24");
  EXPECT_EQ(error_of([] {
              hls4ml_layer_cost(dense_shape("fc2", 6, 4), formats(8), impl(Hls4mlStrategy::Latency, 4), kUltraScale);
            }),
            "");
  EXPECT_CONTAINS(error_of([] {
                    hls4ml_layer_cost(dense_shape("fc1", 16, 64), formats(8), impl(Hls4mlStrategy::Latency, 0),
                                      kUltraScale);
                  }),
                  "reuse_factor must be >= 1, got 0");
  EXPECT_CONTAINS(error_of([] {
                    hls4ml_layer_cost(dense_shape("fc1", 16, 64), formats(8), impl(Hls4mlStrategy::Latency, 2048),
                                      kUltraScale);
                  }),
                  "reuse_factor 2048 does not divide");
}

TEST(Hls4mlCost, Conv2dComputesEveryPixelWithTheDenseKernel) {
  // 3x3 conv, 4 -> 8 channels, 6x6 output: n_in = 36, n_out = 8, 36 pixels.
  // Weights ap_fixed<6,1> (LUT multipliers, 14-bit products: 5 * 14 = 70 LUTs), data ap_fixed<8,3>;
  // auto accumulator 6+8+6 = 20 bits, 10 integer, with the bias ap_fixed<8,3>: ap_fixed<21,11>.
  LayerFormats f = formats(6, 8);
  f.weight = {6, 1, true};
  f.data = {8, 3, true};
  f.output = {8, 3, true};
  const LayerShape conv = conv2d_shape("conv1", 4, 8, 3, 3, 6, 6);
  const Cost c = hls4ml_layer_cost(conv, f, impl(Hls4mlStrategy::Latency, 1), kUltraScale);
  EXPECT_EQ(c.lut, 288 * 70 + 288 * 21);
  EXPECT_EQ(c.ff, 36 * 8 * 8 + 288 * 6);
  EXPECT_EQ(c.ii, 36);                     // 36 partitions of one pixel at II = R = 1
  EXPECT_EQ(c.latency_cycles, 35 + 1 + 6);  // + one pixel: R + ceil(log2 37)
  // Four pixels at once: 4x the arithmetic, 9 partitions.
  const Cost pf4 = hls4ml_layer_cost(conv, f, impl(Hls4mlStrategy::Latency, 1, 4), kUltraScale);
  EXPECT_EQ(pf4.lut, 4 * 288 * 70 + 4 * 288 * 21);
  EXPECT_EQ(pf4.ii, 9);
  EXPECT_EQ(pf4.latency_cycles, 8 + 7);
  // Resource R = 36: 8 multipliers; each partition 36 iterations + 1 adder level, not overlapped.
  const Cost res = hls4ml_layer_cost(conv, f, impl(Hls4mlStrategy::Resource, 36), kUltraScale);
  EXPECT_EQ(res.lut, 8 * 70 + 8 * 21);
  EXPECT_EQ(res.bram18, 2);  // ceil(288*6 / (36*36)) = ceil(1.33)
  EXPECT_EQ(res.latency_cycles, 36 * 37);
  EXPECT_EQ(res.ii, 36 * 37);
}

TEST(Hls4mlCost, Conv2dRefusesWhatHls4mlCannotBuild) {
  LayerFormats f = formats(6, 8);
  const LayerShape conv = conv2d_shape("conv1", 4, 8, 3, 3, 6, 6);
  EXPECT_CONTAINS(error_of([&] { hls4ml_layer_cost(conv, f, impl(Hls4mlStrategy::Latency, 1, 5), kUltraScale); }),
                  "layer `conv1`: parallelization_factor 5 does not divide the 36 output pixels");
  // R = 72 passes hls4ml's rule for 36 x 8 but its Resource conv2d asserts R <= n_in.
  EXPECT_TRUE(hls4ml_reuse_factor_valid(36, 8, 72));
  EXPECT_CONTAINS(error_of([&] { hls4ml_layer_cost(conv, f, impl(Hls4mlStrategy::Resource, 72), kUltraScale); }),
                  "layer `conv1`: reuse_factor 72 exceeds n_in = 36");
  EXPECT_CONTAINS(error_of([&] {
                    hls4ml_layer_cost(dense_shape("fc1", 16, 64), f, impl(Hls4mlStrategy::Latency, 1, 2), kUltraScale);
                  }),
                  "layer `fc1`: parallelization_factor applies to conv2d layers only");
}

TEST(Hls4mlCost, ShapesAndWidthsMustBeInRange) {
  auto latency_cost = [](const LayerShape& l, const LayerFormats& f) {
    return error_of([&] { hls4ml_layer_cost(l, f, impl(Hls4mlStrategy::Latency, 1), kUltraScale); });
  };
  EXPECT_CONTAINS(latency_cost(dense_shape("fc0", 0, 4), formats(8)),
                  "layer `fc0`: in_features must be in [1, 1048576], got 0");
  EXPECT_CONTAINS(latency_cost(dense_shape("fc0", 4, 4), formats(0)), "layer `fc0`: weight width must be in [1, 128], got 0");
  EXPECT_CONTAINS(latency_cost(dense_shape("fc0", 4, 4), formats(129)), "weight width must be in [1, 128], got 129");
  EXPECT_CONTAINS(latency_cost(dense_shape("huge", int64_t{1} << 21, 4), formats(8)),
                  "layer `huge`: in_features must be in [1, 1048576], got 2097152");
  // 9216 * 1024 * 65536 multiply-accumulates: beyond 2^36, refused rather than overflowed.
  EXPECT_CONTAINS(latency_cost(conv2d_shape("big", 1024, 1024, 3, 3, 256, 256), formats(8)),
                  "layer `big`: 618475290624 multiply-accumulates exceed the cost models' range");
  EXPECT_CONTAINS(latency_cost(conv2d_shape("deep", 1 << 20, 4, 3, 3, 1, 1), formats(8)),
                  "layer `deep`: in_channels * kernel_h * kernel_w must be in [1, 1048576]");
  EXPECT_FALSE(hls4ml_reuse_factor_valid(int64_t{1} << 40, 4, 1));
  EXPECT_TRUE(hls4ml_valid_reuse_factors(int64_t{1} << 40, 4).empty());
}

TEST(Hls4mlCost, ExplicitAccumulatorOverridesAuto) {
  LayerFormats f = formats(10);
  f.accumulator = FixedType{18, 8, true};
  EXPECT_EQ(hls4ml_layer_cost(dense_shape("fc1", 16, 64), f, impl(Hls4mlStrategy::Latency, 1), kUltraScale).lut,
            1024 * 18);
}

}  // namespace
}  // namespace qdse::hw
