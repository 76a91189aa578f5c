// Binary and ternary quantization: hand-computed values, both paths.
#include <gtest/gtest.h>
#include <torch/types.h>

#include <limits>
#include <vector>

#include "qdse/quant/formats/quantize.hpp"

namespace qdse::quant {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

void expect_quantizes(const Format& f, const std::vector<float>& in, const std::vector<float>& want) {
  torch::Tensor x = torch::tensor(in);
  torch::Tensor expected = torch::tensor(want);
  torch::Tensor fast = quantize(x, f);
  torch::Tensor ref = quantize_ref(x, f);
  EXPECT_TRUE(same_values(fast, expected)) << describe(f) << "\nfast " << fast;
  EXPECT_TRUE(same_values(ref, expected)) << describe(f) << "\nref " << ref;
}

TEST(Binary, SignWithZeroPositive) {
  expect_quantizes(Format{BinaryFormat{}}, {0.5f, -2.0f, 0.0f, -0.0f, 3.0f, kNaN},
                   {1, -1, 1, 1, 1, kNaN});
}

TEST(Binary, ScaledByMeanAbs) {
  // mean |x| = (0.5 + 2 + 0 + 3 + 0.5) / 5 = 1.2
  expect_quantizes(Format{BinaryFormat{.scaled = true}}, {0.5f, -2.0f, 0.0f, 3.0f, -0.5f},
                   {1.2f, -1.2f, 1.2f, 1.2f, -1.2f});
}

TEST(Ternary, ExplicitThreshold) {
  expect_quantizes(Format{TernaryFormat{.threshold = 0.5}}, {0.6f, 0.5f, -0.5f, -0.7f, 0.0f, kNaN},
                   {1, 0, 0, -1, 0, kNaN});
}

TEST(Ternary, DefaultThresholdIsThreeQuartersMeanAbs) {
  // mean |x| = 0.8 -> delta 0.6.
  expect_quantizes(Format{TernaryFormat{}}, {2.0f, -1.0f, 0.1f, 0.1f}, {1, -1, 0, 0});
  // scaled: alpha = mean |x| above delta = (2 + 1) / 2.
  expect_quantizes(Format{TernaryFormat{.scaled = true}}, {2.0f, -1.0f, 0.1f, 0.1f}, {1.5f, -1.5f, 0, 0});
}

TEST(Ternary, ScaledWithNothingAboveThresholdIsZero) {
  expect_quantizes(Format{TernaryFormat{.threshold = 10.0, .scaled = true}}, {1.0f, -2.0f}, {0, 0});
}

}  // namespace
}  // namespace qdse::quant
