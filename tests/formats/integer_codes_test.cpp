// integer_codes(): the int16 codes equal quantize() * 2^frac for every rounding and
// overflow mode, columns beyond K are zero, and inputs without codes are refused.
#include <gtest/gtest.h>
#include <torch/types.h>

#include <cmath>
#include <limits>

#include "qdse/quant/formats/integer_codes.hpp"
#include "qdse/quant/formats/quantize.hpp"

namespace qdse::quant {
namespace {

TEST(IntegerCodes, EqualQuantizeTimesScaleInEveryMode) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(7);
  at::Tensor x = torch::randn({13, 37}, gen) * 3;
  // Ties, saturation, tiny and huge values, signed zero, infinities.
  const float specials[] = {0.5f, -0.5f, 1.5f, -2.5f, 0.49999997f, 1e-30f, -1e-30f, -0.0f,
                            1e30f, -1e30f, std::numeric_limits<float>::infinity(),
                            -std::numeric_limits<float>::infinity(), 7.96875f, -8.0f};
  for (int i = 0; i < 14; ++i) x[i % 13][i] = specials[i];
  int cases = 0;
  for (int width : {1, 2, 4, 8, 15}) {
    for (int frac : {-2, 0, 3, width / 2}) {
      for (auto rounding : {Rounding::NearestEven, Rounding::NearestAway, Rounding::Floor, Rounding::TowardZero}) {
        for (auto overflow : {Overflow::Saturate, Overflow::Wrap}) {
          for (bool is_signed : {true, false}) {
            const IntegerFormat f{.width = width, .frac_width = frac, .is_signed = is_signed,
                                  .rounding = rounding, .overflow = overflow};
            const at::Tensor codes = integer_codes(x, f, 38);
            ASSERT_TRUE(codes.defined()) << describe(Format{f});
            ASSERT_EQ(codes.sizes(), (std::vector<int64_t>{13, 38}));
            const at::Tensor want =
                quantize(x, Format{f}).to(torch::kDouble).mul(std::ldexp(1.0, frac)).to(torch::kShort);
            EXPECT_TRUE(torch::equal(codes.narrow(1, 0, 37), want)) << describe(Format{f});
            EXPECT_EQ(codes.narrow(1, 37, 1).abs().sum().item<int64_t>(), 0);
            ++cases;
          }
        }
      }
    }
  }
  EXPECT_EQ(cases, 5 * 4 * 4 * 2 * 2);
}

TEST(IntegerCodes, NonContiguousInputAndLongRows) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(8);
  const at::Tensor x = (torch::randn({70, 40}, gen) * 5).t();  // [40, 70], strided
  const IntegerFormat f{.width = 8, .frac_width = 4};
  const at::Tensor want = quantize(x, Format{f}).mul(16).to(torch::kShort);
  EXPECT_TRUE(torch::equal(integer_codes(x, f, 70), want));
}

TEST(IntegerCodes, RefusesNaNAndWideFormats) {
  at::Tensor x = torch::zeros({3, 20});
  EXPECT_TRUE(integer_codes(x, IntegerFormat{.width = 16}, 20).defined());
  EXPECT_FALSE(integer_codes(x, IntegerFormat{.width = 16, .is_signed = false}, 20).defined());
  EXPECT_FALSE(integer_codes(x, IntegerFormat{.width = 17}, 20).defined());
  x[2][19] = std::numeric_limits<float>::quiet_NaN();  // in the scalar tail
  EXPECT_FALSE(integer_codes(x, IntegerFormat{.width = 8}, 20).defined());
  x[2][19] = 0;
  x[1][3] = std::numeric_limits<float>::quiet_NaN();  // in a vector body
  EXPECT_FALSE(integer_codes(x, IntegerFormat{.width = 8}, 20).defined());
  EXPECT_FALSE(integer_codes(x, IntegerFormat{.width = 8, .rounding = Rounding::Floor}, 20).defined());
}

}  // namespace
}  // namespace qdse::quant
