// Overflow certification by interval arithmetic (hw/overflow_bounds.hpp): every figure
// below is computed by hand from the rule lo_j = b_j + sum_i min(w*in_lo, w*in_hi).
#include <gtest/gtest.h>

#include "../support/errors.hpp"
#include "qdse/hw/overflow_bounds.hpp"

namespace qdse::hw {
namespace {

TEST(OverflowBounds, CodeRangesOfFixedFormats) {
  const CodeRange s = fixed_code_range(8, 5, true);
  EXPECT_EQ(s.lo, -128);
  EXPECT_EQ(s.hi, 127);
  EXPECT_EQ(s.frac, 5);
  const CodeRange u = fixed_code_range(4, 0, false);
  EXPECT_EQ(u.lo, 0);
  EXPECT_EQ(u.hi, 15);
}

TEST(OverflowBounds, SignedWidthCoversTheRangeExactly) {
  EXPECT_EQ(signed_width_for(0, 0), 1);
  EXPECT_EQ(signed_width_for(-1, 0), 1);
  EXPECT_EQ(signed_width_for(0, 1), 2);
  EXPECT_EQ(signed_width_for(-128, 127), 8);
  EXPECT_EQ(signed_width_for(-128, 128), 9);  // +128 needs the ninth bit
  EXPECT_EQ(signed_width_for(-129, 0), 9);
  EXPECT_EQ(signed_width_for(-(int64_t{1} << 40), 5), 41);
}

// Two outputs of three inputs, 4-bit signed input codes [-8, 7], input frac 1, weight frac 2,
// bias frac 4 (so F = max(1 + 2, 4) = 4, products scaled by 2^(4-3) = 2).
//   row 0: w = (3, -2, 1): min terms -24, -14, -8 -> -46; max 21, 16, 7 -> 44; x2 -> [-92, 88]
//          bias 10: [min(-92, -82), max(88, 98)] = [-92, 98]
//   row 1: w = (0, 0, -5): min -35, max 40; x2 -> [-70, 80]; bias -100 -> [-170, 80]
//   all: [-170, 98] -> 9 bits (-256..255), 9 - 4 = 5 integer bits.
TEST(OverflowBounds, HandComputedDenseInterval) {
  const CodeRange in{-8, 7, 1};
  const auto b = dense_accumulator_bound("fc", {3, -2, 1, 0, 0, -5}, 2, 3, 2, {10, -100}, 4, in);
  EXPECT_EQ(b.frac, 4);
  EXPECT_EQ(b.lo, -170);
  EXPECT_EQ(b.hi, 98);
  EXPECT_EQ(b.width, 9);
  EXPECT_EQ(b.integer(), 5);
  // Without a bias: F = 3, no scaling: row 0 [-46, 44], row 1 [-35, 40] -> 7 bits.
  const auto nb = dense_accumulator_bound("fc", {3, -2, 1, 0, 0, -5}, 2, 3, 2, {}, 0, in);
  EXPECT_EQ(nb.frac, 3);
  EXPECT_EQ(nb.lo, -46);
  EXPECT_EQ(nb.hi, 44);
  EXPECT_EQ(nb.width, 7);
}

// A bias coarser than the products keeps F = product frac and is scaled up: bias frac 0,
// products frac 3: bias code 1 is 8 units. One weight 1, unsigned input [0, 3]:
// products [0, 3], with the bias [0, 11] (the product-only partial sums start at 0).
TEST(OverflowBounds, CoarseBiasAndUnsignedInput) {
  const auto b = dense_accumulator_bound("fc", {1}, 1, 1, 3, {1}, 0, CodeRange{0, 3, 0});
  EXPECT_EQ(b.frac, 3);
  EXPECT_EQ(b.lo, 0);
  EXPECT_EQ(b.hi, 11);
  EXPECT_EQ(b.width, 5);
}

// The worst case of hls4ml's `auto` rule (every weight at its extreme) is an upper bound:
// 784 inputs, 8-bit data and weights at -128: 784 * 128 * 128 = 12845056 -> 25 bits.
TEST(OverflowBounds, WorstCaseWeightsReachTheAutoRule) {
  const std::vector<int64_t> w(784, -128);
  const auto b = dense_accumulator_bound("fc", w, 1, 784, 7, {}, 0, fixed_code_range(8, 4, true));
  EXPECT_EQ(b.hi, 784 * 128 * 128);
  EXPECT_EQ(b.lo, -784 * 128 * 127);
  EXPECT_EQ(b.width, 25);  // 2^23 < 12845056 < 2^24 - 1
}

TEST(OverflowBounds, InconsistentInputsAreErrorsNamingTheLayer) {
  const CodeRange in{-8, 7, 0};
  EXPECT_CONTAINS(qdse::testing::error_of([&] { dense_accumulator_bound("fc9", {1, 2, 3}, 2, 2, 0, {}, 0, in); }),
                  "fc9");
  EXPECT_CONTAINS(qdse::testing::error_of([&] { dense_accumulator_bound("fc9", {1, 2}, 1, 2, 0, {1, 2}, 0, in); }),
                  "bias codes");
  EXPECT_CONTAINS(
      qdse::testing::error_of([&] { dense_accumulator_bound("fc9", {1}, 1, 1, 0, {}, 0, CodeRange{1, 7, 0}); }),
      "does not contain 0");
  EXPECT_CONTAINS(qdse::testing::error_of([&] {
                    dense_accumulator_bound("fc9", {int64_t{1} << 40}, 1, 1, 0, {}, 0, CodeRange{-(int64_t{1} << 30), 0, 0});
                  }),
                  "62 bits");
}

}  // namespace
}  // namespace qdse::hw
