// The FINN MVAU model against FINN's own estimator rules worked out by hand
// (docs/hardware.md#finn): LUTs (FINN-R constants), DSPs, the RAMB18 width/depth table,
// URAM, cycles, and the folding factors FINN refuses.
#include <gtest/gtest.h>

#include "../support/errors.hpp"
#include "qdse/hw/finn_cost.hpp"

namespace qdse::hw {
namespace {

using qdse::testing::error_of;

Device device_with_uram(int64_t uram) {
  Device d;
  d.name = uram ? "big" : "small";
  d.dsp_slice = {"DSP48E2", 27, 18};
  d.lut = 1000000;
  d.uram = uram;
  d.clock_ns = 5;
  return d;
}
const Device kNoUram = device_with_uram(0);
const Device kWithUram = device_with_uram(100);

// W-bit weights, A-bit signed data (FINN INT types).
LayerFormats ints(int w, int a, bool data_signed = true) {
  LayerFormats f;
  f.weight = {w, w, true};
  f.data = {a, a, data_signed};
  f.bias = {8, 8, true};
  f.output = {a, a, data_signed};
  return f;
}

FinnImpl fold(int64_t pe, int64_t simd, FinnResType res = FinnResType::Lut, FinnWeightRam ram = FinnWeightRam::Block) {
  FinnImpl i;
  i.pe = pe;
  i.simd = simd;
  i.res_type = res;
  i.weight_ram = ram;
  return i;
}

// MW 64, MH 32, W = A = 4, PE 4, SIMD 8: WMEM = 64*32 / 32 = 64 words of 8*4*4 = 128 bits.
const LayerShape kFc = dense_shape("fc1", 64, 32);

TEST(FinnCost, MvauLutDspBramCycles) {
  const Cost c = finn_mvau_cost(kFc, ints(4, 4), fold(4, 8), kNoUram);
  // Per PE: multipliers 8 * (2*ceil(8/6) - 1) * 8 = 192, adder tree 8 * (2*8 - 1) = 120,
  // accumulator ceil(alpha + log2(1 + 2^-alpha) + 1) with alpha = 6 + 4 + 4 - 1 - 1 = 12 -> 14.
  // int(300 + 1.1 * 4 * 326) = int(1734.4).
  EXPECT_EQ(finn_accumulator_bits(kFc, ints(4, 4)), 14);
  EXPECT_EQ(c.lut, 1734);
  EXPECT_EQ(c.dsp, 0);
  EXPECT_EQ(c.bram18, 4);  // 128 bits > 36, 64 deep: ceil(64/512) * ceil(128/36)
  EXPECT_EQ(c.uram, 0);
  EXPECT_EQ(c.latency_cycles, (32 / 4) * (64 / 8));
  EXPECT_EQ(c.ii, 64);
  EXPECT_FALSE(c.ff_estimated);
  EXPECT_EQ(c.ff, 0);
}

TEST(FinnCost, DspMultipliersDropTheirLuts) {
  const Cost c = finn_mvau_cost(kFc, ints(4, 4), fold(4, 8, FinnResType::Dsp), kNoUram);
  EXPECT_EQ(c.dsp, 4 * 8 * 1);  // P * Q * ceil(8 / 48)
  EXPECT_EQ(c.lut, 889);        // int(300 + 1.1 * 4 * (120 + 14)) = int(889.6)
  // 25 + 24 = 49 bits: ceil(49/48) = 2 per lane.
  EXPECT_EQ(finn_mvau_cost(kFc, ints(25, 24), fold(4, 8, FinnResType::Dsp), kNoUram).dsp, 4 * 8 * 2);
}

TEST(FinnCost, WeightMemoryStyles) {
  // LUTRAM: + P*Q*W*ceil(WMEM/64) = 128 LUTs, no BRAM.
  const Cost lutram = finn_mvau_cost(kFc, ints(4, 4), fold(4, 8, FinnResType::Lut, FinnWeightRam::Distributed), kNoUram);
  EXPECT_EQ(lutram.lut, 1862);  // int(1734.4 + 128)
  EXPECT_EQ(lutram.bram18, 0);
  // URAM: ceil(128/72) * ceil(64/4096) = 2.
  const Cost uram = finn_mvau_cost(kFc, ints(4, 4), fold(4, 8, FinnResType::Lut, FinnWeightRam::Ultra), kWithUram);
  EXPECT_EQ(uram.uram, 2);
  EXPECT_EQ(uram.bram18, 0);
  EXPECT_EQ(uram.lut, 1734);
  EXPECT_CONTAINS(error_of([] {
                    finn_mvau_cost(kFc, ints(4, 4), fold(4, 8, FinnResType::Lut, FinnWeightRam::Ultra), kNoUram);
                  }),
                  "layer `fc1`: weights in URAM, but device `small` has no URAM");
}

TEST(FinnCost, BramTableRows) {
  // PE = SIMD = 1 on 128 x 256: 32768 words of W bits.
  const LayerShape big = dense_shape("big", 128, 256);
  auto bram = [](const LayerShape& l, int w, int64_t pe, int64_t simd) {
    return finn_mvau_cost(l, ints(w, 4), fold(pe, simd), kNoUram).bram18;
  };
  EXPECT_EQ(bram(big, 1, 1, 1), 2);    // 1 bit: 16K x 1 per RAMB18
  EXPECT_EQ(bram(big, 2, 1, 1), 4);    // 2 bits: 8K x 2
  EXPECT_EQ(bram(big, 4, 1, 1), 8);    // 4 bits: 4K x 4
  EXPECT_EQ(bram(big, 9, 1, 1), 16);   // 9 bits: 2K x 9
  EXPECT_EQ(bram(big, 18, 1, 1), 32);  // 18 bits: 1K x 18
  // 6 bits (SIMD 2 x 3-bit weights), 128 x 64 / 2 = 4096 deep: 2K x 9 rows, ceil(4096/2048).
  EXPECT_EQ(bram(dense_shape("mid", 128, 64), 3, 1, 2), 2);
  // 36 bits (PE 2 x SIMD 2 x 9 bits): 64 deep -> one 512 x 36; 1536 deep (> 512) -> 1K x 18
  // columns, ceil(1536/1024) * ceil(36/18) = 4 (512 x 36 blocks would give 3).
  EXPECT_EQ(bram(dense_shape("s", 16, 16), 9, 2, 2), 1);
  EXPECT_EQ(bram(dense_shape("d", 96, 64), 9, 2, 2), 4);
}

TEST(FinnCost, AccumulatorBoundAndCap) {
  // Unsigned data: alpha = 6 + 4 + 4 - 1 = 13 -> 15 bits; int(300 + 1.1*4*(192+120+15)) = int(1738.8).
  EXPECT_EQ(finn_accumulator_bits(kFc, ints(4, 4, false)), 15);
  EXPECT_EQ(finn_mvau_cost(kFc, ints(4, 4, false), fold(4, 8), kNoUram).lut, 1738);
  // A narrower set accumulator caps the bound: int(300 + 1.1*4*(312+12)) = int(1725.6).
  LayerFormats capped = ints(4, 4);
  capped.accumulator = FixedType{12, 12, true};
  EXPECT_EQ(finn_accumulator_bits(kFc, capped), 12);
  EXPECT_EQ(finn_mvau_cost(kFc, capped, fold(4, 8), kNoUram).lut, 1725);
}

TEST(FinnCost, ThresholdsInLutram) {
  // 2-bit output: 3 thresholds per channel of 14 bits, TMEM = 32/4 = 8 (one 64-deep LUTRAM),
  // + 3*14 comparator LUTs: int(300 + 1.1*4*(326 + 42 + 42)) = 2104.
  FinnImpl i = fold(4, 8);
  i.activation_bits = 2;
  i.thresholds_in_lutram = true;
  EXPECT_EQ(finn_mvau_cost(kFc, ints(4, 4), i, kNoUram).lut, 2104);
  i.thresholds_in_lutram = false;  // FINN counts nothing for thresholds elsewhere
  EXPECT_EQ(finn_mvau_cost(kFc, ints(4, 4), i, kNoUram).lut, 1734);
}

TEST(FinnCost, Conv2dIsAnMvauPerPixel) {
  // 3x3 conv 4 -> 8 channels, 6x6 output: MW = 36, MH = 8, 36 vectors.
  const LayerShape conv = conv2d_shape("conv1", 4, 8, 3, 3, 6, 6);
  const MvauShape m = finn_mvau_shape(conv);
  EXPECT_EQ(m.mw, 36);
  EXPECT_EQ(m.mh, 8);
  EXPECT_EQ(m.vectors, 36);
  const Cost c = finn_mvau_cost(conv, ints(4, 4), fold(2, 6), kNoUram);
  EXPECT_EQ(c.latency_cycles, (8 / 2) * (36 / 6) * 36);
  // alpha = log2(36) + 6 = 11.17 -> 13 bits; int(300 + 1.1*2*(6*3*8 + 8*11 + 13)) = int(839.0...).
  EXPECT_EQ(c.lut, 839);
  EXPECT_EQ(c.bram18, 2);  // 48 bits, 24 deep: ceil(24/512) * ceil(48/36)
}

TEST(FinnCost, FoldingFinnRefuses) {
  EXPECT_CONTAINS(error_of([] { finn_mvau_cost(kFc, ints(4, 4), fold(4, 3), kNoUram); }),
                  "layer `fc1`: simd 3 does not divide MW = 64");
  EXPECT_CONTAINS(error_of([] { finn_mvau_cost(kFc, ints(4, 4), fold(5, 8), kNoUram); }),
                  "layer `fc1`: pe 5 does not divide MH = 32");
  EXPECT_CONTAINS(error_of([] { finn_mvau_cost(kFc, ints(4, 4), fold(0, 8), kNoUram); }), "pe must be >= 1");
  EXPECT_CONTAINS(error_of([] { finn_mvau_cost(dense_shape("wide", 2048, 4), ints(4, 4), fold(1, 1), kNoUram); }),
                  "layer `wide`: simd 1 is below MW/1024 = 2048/1024");
  EXPECT_CONTAINS(error_of([] { check_finn_impl(dense_shape("huge", 4, int64_t{1} << 30), fold(1, 1), kNoUram); }),
                  "layer `huge`: out_features must be in [1, 1048576]");
  FinnImpl bad = fold(4, 8);
  bad.activation_bits = 31;
  EXPECT_CONTAINS(error_of([&] { finn_mvau_cost(kFc, ints(4, 4), bad, kNoUram); }), "activation_bits must be in [0, 30]");
}

}  // namespace
}  // namespace qdse::hw
