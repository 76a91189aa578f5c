// Fixed-point quantization: hand-computed values for every rounding/overflow mode,
// edges, special values, widths 1 and 32. Every case runs the fast and ref paths.
#include <gtest/gtest.h>
#include <torch/types.h>

#include <cmath>
#include <limits>
#include <vector>

#include "qdse/quant/formats/quantize.hpp"

namespace qdse::quant {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

Format integer(int w, std::optional<int> f, Rounding r = Rounding::NearestEven,
               Overflow o = Overflow::Saturate, bool is_signed = true) {
  return Format{IntegerFormat{.width = w, .frac_width = f, .is_signed = is_signed, .rounding = r,
                              .overflow = o}};
}

// Checks both paths against the expected values (NaN == NaN, sign of 0 ignored).
template <class T>
void expect_quantizes(const Format& f, const std::vector<T>& in, const std::vector<T>& want) {
  const auto dtype = std::is_same_v<T, float> ? torch::kFloat : torch::kDouble;
  torch::Tensor x = torch::tensor(in, dtype);
  torch::Tensor expected = torch::tensor(want, dtype);
  torch::Tensor fast = quantize(x, f);
  torch::Tensor ref = quantize_ref(x, f);
  EXPECT_TRUE(same_values(fast, expected)) << describe(f) << "\nfast " << fast << "\nwant " << expected;
  EXPECT_TRUE(same_values(ref, expected)) << describe(f) << "\nref " << ref << "\nwant " << expected;
}

const std::vector<float> kTies{0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 0.49999997f, -0.49999997f};

TEST(Integer, TiesNearestEven) {
  expect_quantizes<float>(integer(8, 0), kTies, {0, 2, 2, 0, -2, -2, 0, 0});
}
TEST(Integer, TiesNearestAway) {
  expect_quantizes<float>(integer(8, 0, Rounding::NearestAway), kTies, {1, 2, 3, -1, -2, -3, 0, 0});
}
TEST(Integer, TiesFloor) {
  expect_quantizes<float>(integer(8, 0, Rounding::Floor), kTies, {0, 1, 2, -1, -2, -3, 0, -1});
}
TEST(Integer, TiesTowardZero) {
  expect_quantizes<float>(integer(8, 0, Rounding::TowardZero), kTies, {0, 1, 2, 0, -1, -2, 0, 0});
}

TEST(Integer, FractionalTiesAtStep) {
  // integer<8,4>: step 1/16. 1/32 is half a step -> 0 (even); 3/32 -> 2/16.
  expect_quantizes<float>(integer(8, 4), {0.03125f, 0.09375f, -0.09375f, 1.03f},
                          {0.0f, 0.125f, -0.125f, 1.0f});
}

TEST(Integer, SaturationEdges) {
  // integer<8,4>: codes [-128, 127] -> values [-8, 7.9375].
  expect_quantizes<float>(integer(8, 4), {7.9375f, 7.96875f, 7.97f, 100.0f, -8.0f, -8.03f, -1e30f},
                          {7.9375f, 7.9375f, 7.9375f, 7.9375f, -8.0f, -8.0f, -8.0f});
}

TEST(Integer, Wrap) {
  // integer<4,0>: codes [-8, 7]; out-of-range codes keep their low 4 bits.
  expect_quantizes<float>(integer(4, 0, Rounding::NearestEven, Overflow::Wrap),
                          {7, 8, 9, 16, 23, -8, -9, -17, 1e9f}, {7, -8, -7, 0, 7, -8, 7, -1, 0});
  // 1e9 = 2^9 * 1953125: low 4 bits 0. Inf has no low bits: saturates.
  expect_quantizes<float>(integer(4, 0, Rounding::NearestEven, Overflow::Wrap), {kInf, -kInf, kNaN},
                          {7, -8, kNaN});
}

TEST(Integer, UnsignedSaturateAndWrap) {
  expect_quantizes<float>(integer(4, 0, Rounding::NearestEven, Overflow::Saturate, false),
                          {-3, 0, 3.5f, 15, 16, 1e9f, -kInf}, {0, 0, 4, 15, 15, 15, 0});
  expect_quantizes<float>(integer(4, 0, Rounding::NearestEven, Overflow::Wrap, false),
                          {-1, 15, 16, 17, -16}, {15, 15, 0, 1, 0});
}

TEST(Integer, NanPropagatesInfSaturates) {
  expect_quantizes<float>(integer(8, 4), {kNaN, kInf, -kInf}, {kNaN, 7.9375f, -8.0f});
  expect_quantizes<double>(integer(8, 4), {std::nan(""), HUGE_VAL, -HUGE_VAL}, {std::nan(""), 7.9375, -8.0});
}

TEST(Integer, NegativeZeroKeepsSignLikeMase) {
  // MASE: round(-0.3) = -0.0 and clamp keeps it; we match on the signed path.
  const torch::Tensor x = torch::tensor({-0.0f, -0.3f, 0.0f});
  for (const torch::Tensor& q : {quantize(x, integer(8, 0)), quantize_ref(x, integer(8, 0))}) {
    EXPECT_TRUE(std::signbit(q[0].item<float>()));
    EXPECT_TRUE(std::signbit(q[1].item<float>()));
    EXPECT_FALSE(std::signbit(q[2].item<float>()));
    EXPECT_EQ(q[1].item<float>(), 0.0f);
  }
}

TEST(Integer, WidthOneSigned) {
  // Signed width 1: codes {-1, 0}; frac NA = 1 / 2 = 0.
  expect_quantizes<float>(integer(1, std::nullopt), {0.7f, -0.7f, 5.0f, -5.0f, 0.4f}, {0, -1, 0, -1, 0});
  expect_quantizes<float>(integer(1, 2), {0.1f, -0.2f, -1.0f}, {0, -0.25f, -0.25f});
  expect_quantizes<float>(integer(1, 0, Rounding::NearestEven, Overflow::Saturate, false),
                          {0.7f, -3.0f, 9.0f}, {1, 0, 1});
}

TEST(Integer, Width32Float32) {
  // hi = 2^31 - 1 is not a float32; the correctly rounded result is 2^31.
  const float two31 = 2147483648.0f;
  expect_quantizes<float>(integer(32, 0), {two31, 3e9f, -two31, -3e9f, 2147483520.0f},
                          {two31, two31, -two31, -two31, 2147483520.0f});
  expect_quantizes<float>(integer(32, 0, Rounding::NearestEven, Overflow::Wrap), {two31, -two31, 4294967296.0f},
                          {-two31, -two31, 0.0f});
}

TEST(Integer, Width32Float64IsExact) {
  expect_quantizes<double>(integer(32, 0), {2147483647.0, 2147483647.6, 3e9, -2147483648.6, -3e9},
                           {2147483647.0, 2147483647.0, 2147483647.0, -2147483648.0, -2147483648.0});
  expect_quantizes<double>(integer(32, 0, Rounding::NearestEven, Overflow::Saturate, false), {5e9, -1.0},
                           {4294967295.0, 0.0});
  expect_quantizes<double>(integer(32, 0, Rounding::NearestEven, Overflow::Wrap),
                           {2147483648.0, 4294967301.0, -2147483649.0}, {-2147483648.0, 5.0, 2147483647.0});
  expect_quantizes<double>(integer(32, 0, Rounding::NearestEven, Overflow::Wrap, false),
                           {-1.0, 4294967296.0}, {4294967295.0, 0.0});
}

TEST(Integer, FracNaMeansHalfWidth) {
  // integer<8,NA> = integer<8,4>; integer<7,NA> = integer<7,3>.
  expect_quantizes<float>(integer(8, std::nullopt), {0.03f, 1.03f, 100.0f}, {0.0f, 1.0f, 7.9375f});
  expect_quantizes<float>(integer(7, std::nullopt), {0.07f, 100.0f}, {0.125f, 7.875f});
}

TEST(Integer, NegativeAndLargeFrac) {
  // frac -2: step 4. 6 = 1.5 steps -> 2 steps (even) = 8. Max 7 * 4 = 28.
  expect_quantizes<float>(integer(4, -2), {5, 6, 10, 100, -100}, {4, 8, 8, 28, -32});
  // frac 6 > width 4: step 1/64, max 7/64.
  expect_quantizes<float>(integer(4, 6), {0.2f, 0.05f, -1.0f}, {7.0f / 64, 3.0f / 64, -8.0f / 64});
  // Extremes of the valid frac range stay exact.
  expect_quantizes<float>(integer(8, 64), {1e-19f, 1.0f}, {std::ldexp(2.0f, -64), std::ldexp(127.0f, -64)});
  expect_quantizes<float>(integer(8, -32), {1e10f, 1e12f}, {std::ldexp(2.0f, 32), std::ldexp(127.0f, 32)});
}

TEST(Integer, Float64InFloat64Out) {
  torch::Tensor x = torch::tensor({0.1, 0.2}, torch::kDouble);
  EXPECT_EQ(quantize(x, integer(8, 4)).scalar_type(), torch::kDouble);
  EXPECT_EQ(quantize(x.to(torch::kFloat), integer(8, 4)).scalar_type(), torch::kFloat);
  EXPECT_THROW(quantize(x.to(torch::kInt), integer(8, 4)), std::exception);
}

TEST(Integer, NonContiguousInputKeepsShape) {
  torch::Tensor x = torch::randn({4, 6}).t();
  torch::Tensor q = quantize(x, integer(8, 4));
  EXPECT_EQ(q.sizes(), x.sizes());
  EXPECT_TRUE(same_values(q, quantize_ref(x, integer(8, 4))));
  EXPECT_TRUE(same_values(q, quantize(x.contiguous(), integer(8, 4))));
}

}  // namespace
}  // namespace qdse::quant
