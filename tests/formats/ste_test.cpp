// Straight-through estimator: forward equals quantize(), gradient is identity or
// clipped to the representable range; quantize() itself records no history.
#include <gtest/gtest.h>
#include <torch/types.h>

#include "qdse/core/error.hpp"
#include "qdse/quant/formats/quantize.hpp"

namespace qdse::quant {
namespace {

const Format kInt84{IntegerFormat{.width = 8, .frac_width = 4}};  // range [-8, 7.9375]

TEST(Ste, ForwardEqualsQuantize) {
  torch::Tensor x = torch::randn({64}).mul_(5).requires_grad_();
  torch::Tensor y = quantize_ste(x, kInt84);
  EXPECT_TRUE(y.requires_grad());
  EXPECT_TRUE(same_values(y.detach(), quantize(x.detach(), kInt84)));
}

TEST(Ste, IdentityGradient) {
  torch::Tensor x = torch::tensor({-10.0f, 0.3f, 10.0f}).requires_grad_();
  torch::Tensor w = torch::tensor({1.0f, 2.0f, 3.0f});
  (quantize_ste(x, kInt84) * w).sum().backward();
  EXPECT_TRUE(torch::equal(x.grad(), w));
}

TEST(Ste, ClippedGradientZeroOutsideRange) {
  torch::Tensor x = torch::tensor({-10.0f, -8.0f, 0.3f, 7.9375f, 7.95f, 10.0f}).requires_grad_();
  quantize_ste(x, kInt84, SteGradient::Clipped).sum().backward();
  EXPECT_TRUE(torch::equal(x.grad(), torch::tensor({0.0f, 1.0f, 1.0f, 1.0f, 0.0f, 0.0f})));
}

TEST(Ste, ClippedMinifloatAndUnsupported) {
  const Format e4m3{MinifloatFormat{}};  // max 480
  torch::Tensor x = torch::tensor({-500.0f, 1.0f, 480.0f}).requires_grad_();
  quantize_ste(x, e4m3, SteGradient::Clipped).sum().backward();
  EXPECT_TRUE(torch::equal(x.grad(), torch::tensor({0.0f, 1.0f, 1.0f})));
  EXPECT_THROW(quantize_ste(x, Format{LogFormat{}}, SteGradient::Clipped), Error);
}

TEST(Ste, EveryFormatHasIdentityGradient) {
  for (const Format& f : {Format{MinifloatFormat{}}, Format{BlockFpFormat{}}, Format{LogFormat{}},
                          Format{BinaryFormat{.scaled = true}}, Format{TernaryFormat{}}}) {
    torch::Tensor x = torch::randn({4, 32}, torch::kDouble).requires_grad_();
    quantize_ste(x, f).sum().backward();
    EXPECT_TRUE(torch::equal(x.grad(), torch::ones_like(x))) << describe(f);
  }
}

TEST(Ste, QuantizeRecordsNoHistory) {
  torch::Tensor x = torch::randn({8}).requires_grad_();
  EXPECT_FALSE(quantize(x, kInt84).requires_grad());
}

}  // namespace
}  // namespace qdse::quant
