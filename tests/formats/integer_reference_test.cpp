// Bit-accurate fixed-point linear layer vs the fake-quantized float GEMM, and the
// exactness rule deciding when float32 / float64 accumulation is exact.
#include "qdse/quant/formats/integer_reference.hpp"

#include <gtest/gtest.h>
#include <torch/types.h>
#include <torch/utils.h>

#include "qdse/core/error.hpp"
#include "qdse/quant/formats/quantize.hpp"

namespace qdse::quant {
namespace {

Format integer(int w, int f) { return Format{IntegerFormat{.width = w, .frac_width = f}}; }

TEST(AccumulationExact, Rule) {
  // 2^7 * 2^7 * 64 = 2^20 <= 2^24.
  EXPECT_TRUE(float32_accumulation_exact(8, 4, 8, 6, 64));
  EXPECT_TRUE(float32_accumulation_exact(8, 4, 8, 4, 1024));   // 2^24 exactly
  EXPECT_FALSE(float32_accumulation_exact(8, 4, 8, 4, 1025));
  EXPECT_FALSE(float32_accumulation_exact(16, 0, 16, 0, 41));  // 2^30 * 41
  EXPECT_TRUE(float64_accumulation_exact(16, 0, 16, 0, 41));
  // Bias with more fractional bits than the accumulator moves the common scale:
  // 2^14 * 64 * 2^(12-10) + 2^11 = 2^22 + 2^11.
  EXPECT_TRUE(float32_accumulation_exact(8, 4, 8, 6, 64, 12, 12));
  EXPECT_FALSE(float32_accumulation_exact(8, 4, 8, 6, 64, 12, 20));  // 2^30 + ...
}

TEST(IntegerLinearRef, Float32GemmIsExactWhenRuleHolds) {
  torch::manual_seed(42);
  const Format fx = integer(8, 4), fw = integer(8, 6), fb = integer(12, 12);
  for (int64_t k : {1, 7, 64}) {
    ASSERT_TRUE(float32_accumulation_exact(8, 4, 8, 6, k, 12, 12));
    for (int trial = 0; trial < 20; ++trial) {
      torch::Tensor x = torch::randn({5, k}) * 4;
      torch::Tensor w = torch::randn({3, k});
      torch::Tensor b = torch::randn({3}) * 0.3;
      torch::Tensor fake = torch::linear(quantize(x, fx), quantize(w, fw), quantize(b, fb));
      torch::Tensor exact = integer_linear_ref(x, w, b, fx, fw, fb);
      ASSERT_TRUE(torch::equal(fake, exact)) << "k=" << k << "\n" << (fake - exact);
    }
  }
  // Without bias too.
  torch::Tensor x = torch::randn({4, 32}) * 4, w = torch::randn({6, 32});
  EXPECT_TRUE(torch::equal(torch::linear(quantize(x, fx), quantize(w, fw)),
                           integer_linear_ref(x, w, torch::Tensor(), fx, fw, fb)));
}

TEST(IntegerLinearRef, Float32NotExactButFloat64Is) {
  // codes 32767 and forty 1s: exact sum 32767^2 + 40 = 1073676329 needs 30 bits
  // and is odd, so no float32 holds it; float64 does.
  const Format f16 = integer(16, 0);
  ASSERT_FALSE(float32_accumulation_exact(16, 0, 16, 0, 41));
  ASSERT_TRUE(float64_accumulation_exact(16, 0, 16, 0, 41));
  torch::Tensor x = torch::ones({1, 41}, torch::kDouble);
  x[0][0] = 32767.0;
  torch::Tensor w = x.clone();
  const double exact = 32767.0 * 32767.0 + 40.0;
  torch::Tensor f64 = torch::linear(quantize(x, f16), quantize(w, f16));
  torch::Tensor f32 = torch::linear(quantize(x.to(torch::kFloat), f16), quantize(w.to(torch::kFloat), f16));
  EXPECT_EQ(f64.item<double>(), exact);
  EXPECT_NE(static_cast<double>(f32.item<float>()), exact);
  // The reference is the exact value rounded once to float32.
  torch::Tensor ref = integer_linear_ref(x, w, torch::Tensor(), f16, f16, f16);
  EXPECT_EQ(ref.item<float>(), static_cast<float>(exact));
}

TEST(IntegerLinearRef, RejectsBadInputs) {
  torch::Tensor x = torch::ones({2, 3}), w = torch::ones({4, 3}), b = torch::ones({4});
  EXPECT_THROW(integer_linear_ref(x, w, b, Format{MinifloatFormat{}}, integer(8, 4), integer(8, 4)), Error);
  EXPECT_THROW(integer_linear_ref(x, torch::ones({4, 2}), b, integer(8, 4), integer(8, 4), integer(8, 4)), Error);
  EXPECT_THROW(integer_linear_ref(x, w, b, integer(32, 0), integer(32, 0), integer(8, 4)), Error);  // int64
}

}  // namespace
}  // namespace qdse::quant
