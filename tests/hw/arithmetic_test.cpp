// The shared arithmetic rules against values worked out by hand from their sources
// (docs/hardware.md): DSP slices per product at the slice widths (the "DSP cliff"),
// FINN-R's LUT multiplier, hls4ml's auto accumulator.
#include <gtest/gtest.h>

#include "../support/errors.hpp"
#include "qdse/hw/arithmetic.hpp"

namespace qdse::hw {
namespace {

using qdse::testing::error_of;

const DspSlice kE1{"DSP48E1", 25, 18};
const DspSlice kE2{"DSP48E2", 27, 18};
const DspSlice k58{"DSP58", 27, 24};

TEST(HwArithmetic, CeilLog2CountsAdderTreeLevels) {
  EXPECT_EQ(ceil_log2(1), 0);
  EXPECT_EQ(ceil_log2(2), 1);
  EXPECT_EQ(ceil_log2(16), 4);
  EXPECT_EQ(ceil_log2(17), 5);
  EXPECT_CONTAINS(error_of([] { ceil_log2(0); }), "n >= 1");
}

// One product's DSP slices on one slice type, with why (hand-computed from the rule).
struct SliceCase {
  int a, b;
  const DspSlice* slice;
  int slices;
  const char* why;
};

const SliceCase kSliceCases[] = {
    {18, 18, &kE1, 1, "fits DSP48E1's 25x18 ports"},
    {25, 18, &kE1, 1, "exactly the ports"},
    {18, 25, &kE1, 1, "either orientation"},
    {27, 18, &kE2, 1, "exactly DSP48E2's ports"},
    {27, 24, &k58, 1, "exactly DSP58's ports"},
    {1, 1, &kE1, 1, "the narrowest product still takes a slice"},
    // The cliff: one bit past a port, a signed top part plus an unsigned part, 2 slices.
    {26, 18, &kE1, 2, "26 bits on a 25-bit port"},
    {18, 26, &kE1, 2, "the same, other orientation"},
    {28, 18, &kE2, 2, "28 bits on a 27-bit port"},
    {27, 25, &k58, 2, "25 > 24 on the short port: ceil(24/23)"},
    {19, 19, &kE1, 2, "one side must take the 18-bit port: ceil(18/17)"},
    // Wide products: the partial-product grid.
    {32, 32, &kE1, 4, "ceil(31/24) * ceil(31/17) = 2 * 2"},
    {32, 32, &kE2, 4, "ceil(31/26) * ceil(31/17) = 2 * 2"},
    {50, 18, &kE1, 3, "ceil(49/24) along the long port"},
    {18, 36, &kE1, 2, "36 on the 25-bit port (ceil(35/24)) beats the 18-bit one (ceil(35/17))"},
};

TEST(HwArithmetic, DspSlicesPerProductAtAndPastTheCliffs) {
  for (const SliceCase& c : kSliceCases)
    EXPECT_EQ(dsp_slices_per_product(c.a, c.b, *c.slice), c.slices)
        << c.a << " x " << c.b << " on " << c.slice->name << ": " << c.why;
  EXPECT_CONTAINS(error_of([] { dsp_slices_per_product(0, 8, kE1); }), "widths >= 1");
}

TEST(HwArithmetic, LutMultiplierFollowsFinnR) {
  // (2 * ceil((w + a) / 6) - 1) * (w + a)
  EXPECT_EQ(lut_multiplier_luts(2, 2), 4);    // 4 bits: 1 * 4
  EXPECT_EQ(lut_multiplier_luts(1, 5), 6);    // 6 bits: 1 * 6
  EXPECT_EQ(lut_multiplier_luts(1, 6), 21);   // 7 bits: 3 * 7, the step past one LUT6
  EXPECT_EQ(lut_multiplier_luts(4, 4), 24);   // 8 bits: 3 * 8
  EXPECT_EQ(lut_multiplier_luts(8, 16), 168); // 24 bits: 7 * 24
}

TEST(HwArithmetic, Hls4mlAutoAccumulatorWithoutBias) {
  // ap_fixed<16,6> x ap_fixed<8,3> over 16 products: 8+16+4 bits, 3+6+4 integer bits.
  const FixedType acc = hls4ml_auto_accumulator({16, 6, true}, {8, 3, true}, std::nullopt, 16);
  EXPECT_EQ(acc.width, 28);
  EXPECT_EQ(acc.integer, 13);
  EXPECT_TRUE(acc.is_signed);
  // One product: no growth.
  EXPECT_EQ(hls4ml_auto_accumulator({8, 3, true}, {4, 1, true}, std::nullopt, 1).width, 12);
}

TEST(HwArithmetic, Hls4mlAutoAccumulatorAlignsTheBias) {
  // As above plus bias ap_fixed<8,3>: integer max(13, 3) + 1 = 14, fraction max(15, 5).
  const FixedType acc = hls4ml_auto_accumulator({16, 6, true}, {8, 3, true}, FixedType{8, 3, true}, 16);
  EXPECT_EQ(acc.integer, 14);
  EXPECT_EQ(acc.width, 29);
  // Signed product (ap_ufixed<8,0> x ap_fixed<4,1>, 17 products -> 5 bits of growth:
  // ap_fixed<17,6>) with an unsigned bias ap_ufixed<10,4>: the bias needs a sign bit,
  // integer max(6, 4 + 1) + 1 = 7, fraction max(11, 6) = 11.
  const FixedType mixed = hls4ml_auto_accumulator({8, 0, false}, {4, 1, true}, FixedType{10, 4, false}, 17);
  EXPECT_EQ(mixed.integer, 7);
  EXPECT_EQ(mixed.width, 18);
  EXPECT_TRUE(mixed.is_signed);
  // All unsigned (ap_ufixed<14,3> product over 4 terms) with bias ap_ufixed<6,6>: no sign
  // bit anywhere; integer max(3, 6) + 1 = 7, fraction max(11, 0) = 11.
  const FixedType uns = hls4ml_auto_accumulator({8, 0, false}, {4, 1, false}, FixedType{6, 6, false}, 4);
  EXPECT_EQ(uns.integer, 7);
  EXPECT_EQ(uns.width, 18);
  EXPECT_FALSE(uns.is_signed);
}

}  // namespace
}  // namespace qdse::hw
