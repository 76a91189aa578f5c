// The straight-through gradients fine-tuning trains with (train/ste.hpp), one test per
// format kind on hand-made tensors: the forward values are the format's, and the gradient
// that reaches the input is the upstream gradient times the format's STE rule (clipped:
// 1 inside the representable range, 0 outside; identity: 1 everywhere). Also the learned
// step (LSQ) gradient against its definition, and the refusal of formats without an STE.
#include <gtest/gtest.h>

#include <torch/types.h>

#include <cmath>

#include "../support/errors.hpp"
#include "qdse/core/error.hpp"
#include "qdse/quant/formats/quantize.hpp"
#include "qdse/train/finetune.hpp"
#include "qdse/train/ste.hpp"

namespace qdse::train {
namespace {

// The upstream gradient every case back-propagates: 1, 2, ..., 8.
at::Tensor ste_upstream() { return torch::arange(1, 9, torch::kFloat); }

// Back-propagates ste_upstream() through ste_quantize(x, f); checks the forward values are
// quantize()'s and returns dL/dx.
at::Tensor ste_input_grad(const std::vector<float>& values, const quant::Format& f) {
  const at::Tensor x = torch::tensor(values).set_requires_grad(true);
  const at::Tensor q = ste_quantize(x, f);
  EXPECT_TRUE(quant::same_values(q.detach(), quant::quantize(x.detach(), f))) << quant::describe(f);
  (q * ste_upstream()).sum().backward();
  return x.grad();
}

// mask (0/1 per element) times the upstream gradient.
at::Tensor ste_expected(const std::vector<float>& mask) { return torch::tensor(mask) * ste_upstream(); }

TEST(SteGradient, IntegerIsClippedToItsRange) {
  // integer<4,2>: codes -8..7, values -2.0 .. 1.75; the ends themselves pass the gradient.
  const auto g = ste_input_grad({-3.0f, -2.0f, -0.3f, 0.0f, 1.6f, 1.75f, 1.8f, 9.0f},
                                quant::Format{quant::IntegerFormat{4, 2}});
  EXPECT_TRUE(torch::equal(g, ste_expected({0, 1, 1, 1, 1, 1, 0, 0}))) << g;
  // Unsigned integer<3,0>: 0 .. 7.
  const auto u = ste_input_grad({-1.0f, -0.2f, 0.0f, 3.4f, 7.0f, 7.4f, 8.0f, 2.0f},
                                quant::Format{quant::IntegerFormat{3, 0, false}});
  EXPECT_TRUE(torch::equal(u, ste_expected({0, 0, 1, 1, 1, 0, 0, 1}))) << u;
}

TEST(SteGradient, MinifloatIsClippedToItsLargestFiniteValue) {
  // e2m1, bias 1, no IEEE reserved code: largest value 2^(3-1) * 1.5 = 6.
  const quant::Format f{quant::MinifloatFormat{2, 1}};
  ASSERT_DOUBLE_EQ(quant::representable_range(f).hi, 6.0);
  const auto g = ste_input_grad({-7.0f, -6.0f, -1.3f, 0.0f, 2.2f, 6.0f, 6.5f, 100.0f}, f);
  EXPECT_TRUE(torch::equal(g, ste_expected({0, 1, 1, 1, 1, 1, 0, 0}))) << g;
}

TEST(SteGradient, BlockFpLogBinaryTernaryAndFloatPassTheGradientThrough) {
  // Values far outside anything the format represents still get the upstream gradient.
  const std::vector<float> x = {-50.0f, -1.0f, -0.2f, 0.0f, 0.01f, 0.7f, 3.0f, 1e4f};
  const at::Tensor all = ste_expected({1, 1, 1, 1, 1, 1, 1, 1});
  for (const quant::Format& f :
       {quant::Format{quant::BlockFpFormat{3, 4, std::nullopt, 4, -1}}, quant::Format{quant::LogFormat{3}},
        quant::Format{quant::BinaryFormat{true}}, quant::Format{quant::TernaryFormat{0.5, false}},
        quant::Format{quant::TernaryFormat{}}, quant::Format{quant::FloatFormat{}}}) {
    ASSERT_EQ(ste_rule(f), quant::SteGradient::Identity) << quant::describe(f);
    const auto g = ste_input_grad(x, f);
    EXPECT_TRUE(torch::equal(g, all)) << quant::describe(f) << ": " << g;
  }
}

TEST(SteGradient, WrappingIntegerHasNoneAndIsRefusedNamingTheLayer) {
  quant::IntegerFormat w{4, 2};
  w.overflow = quant::Overflow::Wrap;
  const quant::Format f{w};
  EXPECT_FALSE(ste_rule(f).has_value());
  EXPECT_CONTAINS(testing::error_of([&] { ste_quantize(torch::ones({3}), f); }), "no straight-through gradient");
  quant::NodeQuantConfig c;
  c.weight = quant::SlotFormat{quant::Format{quant::IntegerFormat{4, 2}}, false};
  c.data_in = quant::SlotFormat{f, false};
  const quant::QuantConfig config{{{"fc1", c}}};
  const std::string msg = testing::error_of([&] { check_ste(config, "trial 3"); });
  EXPECT_CONTAINS(msg, "layer 'fc1': data_in format");
  EXPECT_CONTAINS(msg, "overflow = wrap");
  EXPECT_CONTAINS(msg, "(trial 3)");
  EXPECT_EQ(msg.find('\n'), std::string::npos);
  c.data_in = quant::SlotFormat{quant::Format{quant::IntegerFormat{4, 2}}, false};
  EXPECT_NO_THROW(check_ste(quant::QuantConfig{{{"fc1", c}}}, "trial 3"));
}

TEST(SteGradient, LearnedStepFollowsLsq) {
  // integer<3,1>: codes -4..3, step 0.5. x/s = -6, -4, -1.4, 0.4, 1.52, 3, 3.2, 8.
  const quant::IntegerFormat f{3, 1};
  const at::Tensor x = torch::tensor({-3.0f, -2.0f, -0.7f, 0.2f, 0.76f, 1.5f, 1.6f, 4.0f}).set_requires_grad(true);
  const at::Tensor s = torch::full({}, 0.5f).set_requires_grad(true);
  const double gs = lsq_grad_scale(8, f);
  EXPECT_DOUBLE_EQ(gs, 1.0 / std::sqrt(8.0 * 3.0));  // 1 / sqrt(N * Qp)
  const at::Tensor q = lsq_quantize(x, s, f, gs);
  // At the searched step the values are the format's.
  EXPECT_TRUE(quant::same_values(q.detach(), quant::quantize(x.detach(), quant::Format{f}))) << q;
  (q * ste_upstream()).sum().backward();
  // dq/dx: 1 where Qn <= x/s <= Qp.
  EXPECT_TRUE(torch::equal(x.grad(), ste_expected({0, 1, 1, 1, 1, 1, 0, 0}))) << x.grad();
  // dq/ds: Qn below, round(x/s) - x/s inside, Qp above:
  //   -4, 0, 0.4, -0.4, 0.48, 0, 3, 3 against upstream 1..8 -> 43, times the gradient scale.
  EXPECT_NEAR(s.grad().item<double>(), 43.0 * gs, 1e-5) << s.grad();
}

TEST(SteGradient, LearnedStepMapsToTheNearestPowerOfTwo) {
  EXPECT_EQ(frac_width_of_step(0.125), 3);
  EXPECT_EQ(frac_width_of_step(0.09), 3);   // log2 = -3.47
  EXPECT_EQ(frac_width_of_step(0.08), 4);   // log2 = -3.64
  EXPECT_EQ(frac_width_of_step(3.0), -2);   // log2 = 1.58
  EXPECT_EQ(frac_width_of_step(1e-30), quant::kMaxFracWidth);
  EXPECT_EQ(frac_width_of_step(0.0), quant::kMaxFracWidth);
}

}  // namespace
}  // namespace qdse::train
