// Minifloat, block_fp and log: hand-computed values, both paths.
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

void expect_quantizes(const Format& f, const torch::Tensor& x, const torch::Tensor& expected) {
  torch::Tensor fast = quantize(x, f);
  torch::Tensor ref = quantize_ref(x, f);
  EXPECT_TRUE(same_values(fast, expected)) << describe(f) << "\nfast " << fast << "\nwant " << expected;
  EXPECT_TRUE(same_values(ref, expected)) << describe(f) << "\nref " << ref << "\nwant " << expected;
}
void expect_quantizes(const Format& f, const std::vector<float>& in, const std::vector<float>& want) {
  expect_quantizes(f, torch::tensor(in), torch::tensor(want));
}

// e4m3, bias 7, top exponent finite: normals 2^-6 .. 2^8 * 1.875 = 480,
// subnormal step 2^-9.
const Format kE4M3{MinifloatFormat{.exponent_width = 4, .mantissa_width = 3}};

TEST(Minifloat, RoundsToNearestEvenWithCarry) {
  // 1.0625 is halfway between 1.0 (M=0) and 1.125 (M=1) -> 1.0;
  // 1.1875 between 1.125 and 1.25 -> 1.25; 1.97 carries into the next binade.
  expect_quantizes(kE4M3, {1.0f, 1.0625f, 1.1875f, 1.97f, -3.3f, 0.1f},
                   {1.0f, 1.0f, 1.25f, 2.0f, -3.25f, 0.1015625f});
}

TEST(Minifloat, SaturatesAndSpecials) {
  expect_quantizes(kE4M3, {480.0f, 500.0f, 1e9f, -500.0f, kInf, -kInf, kNaN},
                   {480.0f, 480.0f, 480.0f, -480.0f, 480.0f, -480.0f, kNaN});
}

TEST(Minifloat, Subnormals) {
  // 0.001 / 2^-9 = 0.512 -> 1 step; 2^-10 is half a step -> 0 (even).
  expect_quantizes(kE4M3, {0.001f, 0.0009765625f, 0.0029296875f, 0.0f, -0.0f},
                   {0.001953125f, 0.0f, 0.00390625f, 0.0f, 0.0f});
}

TEST(Minifloat, NoDenormalsFlushesAfterRounding) {
  const Format f{MinifloatFormat{.exponent_width = 4, .mantissa_width = 3, .denormals = false}};
  // 0.0155 rounds up to the smallest normal 2^-6 and is kept.
  expect_quantizes(f, {0.001f, 0.01f, 0.0155f, 0.015625f}, {0.0f, 0.0f, 0.015625f, 0.015625f});
}

TEST(Minifloat, IeeeLikeReservesTopExponent) {
  const Format f{MinifloatFormat{.exponent_width = 4, .mantissa_width = 3, .ieee_like = true}};
  expect_quantizes(f, {240.0f, 300.0f, kInf, -kInf, kNaN}, {240.0f, 240.0f, kInf, -kInf, kNaN});
  // fp8 E5M2: max 57344.
  const Format e5m2{MinifloatFormat{.exponent_width = 5, .mantissa_width = 2, .ieee_like = true}};
  expect_quantizes(e5m2, {60000.0f, 57344.0f, 1e-7f}, {57344.0f, 57344.0f, 0.0f});
}

TEST(Minifloat, CustomBias) {
  // bias 3: min normal 2^-2, max 2^12 * 1.875 = 7680.
  const Format f{MinifloatFormat{.exponent_width = 4, .mantissa_width = 3, .exponent_bias = 3}};
  expect_quantizes(f, {1e5f, 0.03f}, {7680.0f, 0.03125f});
}

// block_fp with m=3 (codes 0..7), default e=8 bias 127, blocks of 4.
const Format kBfp{BlockFpFormat{.mantissa_width = 3, .exponent_width = 8, .block_size = 4}};

TEST(BlockFp, SharedExponentFromBlockMax) {
  // Block 1 max 1.0 -> E = 1, step 2^-2. Block 2 max 3.9 -> E = 2, step 0.5; 3.9
  // rounds to code 8 which saturates to 7 -> 3.5.
  expect_quantizes(kBfp, {1.0f, 0.3f, -0.1f, 0.55f, 3.9f, -1.2f, 0.2f, 0.0f},
                   {1.0f, 0.25f, 0.0f, 0.5f, 3.5f, -1.0f, 0.0f, 0.0f});
}

TEST(BlockFp, RaggedLastBlockAndRows) {
  // Rows of 6: blocks [0..4) and [4..6) per row; block 2 max 0.2 -> E = -2, step 2^-5.
  torch::Tensor x = torch::tensor({1.0f, 0.3f, -0.1f, 0.55f, 0.1f, 0.2f}).repeat({2, 1});
  torch::Tensor want = torch::tensor({1.0f, 0.25f, 0.0f, 0.5f, 0.09375f, 0.1875f}).repeat({2, 1});
  expect_quantizes(kBfp, x, want);
}

TEST(BlockFp, BlockAlongDimZero) {
  const Format f{BlockFpFormat{.mantissa_width = 3, .exponent_width = 8, .block_size = 2, .block_dim = 0}};
  torch::Tensor x = torch::tensor({1.0f, 0.1f, 0.3f, 0.2f}).reshape({2, 2});
  torch::Tensor want = torch::tensor({1.0f, 0.09375f, 0.25f, 0.1875f}).reshape({2, 2});
  expect_quantizes(f, x, want);
}

TEST(BlockFp, ZeroNanInfBlocks) {
  expect_quantizes(kBfp, {0, 0, 0, 0, kNaN, 1.0f, -1.0f, 2.0f}, {0, 0, 0, 0, kNaN, 0, 0, 0});
  // Inf forces E = emax = 128: Inf saturates to 7 * 2^125, the rest vanish.
  const float big = std::ldexp(7.0f, 125);
  expect_quantizes(kBfp, {kInf, 1.0f, -kInf, 3.0f}, {big, 0.0f, -big, 0.0f});
}

TEST(BlockFp, ScalarAndFloat64) {
  expect_quantizes(kBfp, torch::tensor(0.3f), torch::tensor(0.3125f));  // E = -1, step 2^-4
  torch::Tensor x = torch::tensor({1.0, 0.3}, torch::kDouble);
  expect_quantizes(kBfp, x, torch::tensor({1.0, 0.25}, torch::kDouble));
}

// log e4, bias 7: exponents [-7, 8].
const Format kLog{LogFormat{.exponent_width = 4}};

TEST(Log, RoundsInLogDomain) {
  // Threshold between 2^k and 2^(k+1) is sqrt(2) * 2^k.
  expect_quantizes(kLog, {1.0f, 1.41f, 1.42f, 3.0f, 2.8f, -3.0f, 0.3f},
                   {1.0f, 1.0f, 2.0f, 4.0f, 2.0f, -4.0f, 0.25f});
}

TEST(Log, SaturatesAndZeroLikeMase) {
  const float min = std::ldexp(1.0f, -7);
  expect_quantizes(kLog, {1000.0f, -1000.0f, kInf, 0.0f, -0.0f, 1e-5f, -1e-5f, kNaN},
                   {256.0f, -256.0f, 256.0f, min, min, min, -min, kNaN});
  // +-0 map to +2^e_min (MASE cannot represent zero).
  EXPECT_GT(quantize(torch::tensor({-0.0f}), kLog)[0].item<float>(), 0.0f);
}

TEST(Log, HasZeroFlushesUnderflow) {
  const Format f{LogFormat{.exponent_width = 4, .has_zero = true}};  // exponents [-6, 8]
  expect_quantizes(f, {0.0f, 1e-5f, 0.0156f, 0.0101f, 1.0f},
                   {0.0f, 0.0f, 0.015625f, 0.0f, 1.0f});
}

}  // namespace
}  // namespace qdse::quant
