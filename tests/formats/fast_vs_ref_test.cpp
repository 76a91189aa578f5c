// The fast (tensor-op) path equals the loop reference exactly, for every format
// over a sweep of parameters, on adversarial inputs: wide magnitudes, exact ties
// on dyadic grids, neighbours of powers of two, signed zeros, Inf, NaN, extremes.
#include <gtest/gtest.h>
#include <torch/types.h>
#include <torch/utils.h>

#include <cmath>
#include <limits>
#include <vector>

#include "qdse/quant/formats/quantize.hpp"

namespace qdse::quant {
namespace {

torch::Tensor nasty_inputs(torch::ScalarType dtype, int64_t n = 4096) {
  torch::manual_seed(1234);
  std::vector<torch::Tensor> parts;
  // Gaussian values over 16 decades.
  parts.push_back(torch::randn({n}, torch::kDouble) *
                  torch::pow(10.0, torch::rand({n}, torch::kDouble) * 16 - 8));
  // Exact ties (k + 1/2) * 2^s on many grids.
  torch::Tensor k = torch::randint(-600, 600, {n}, torch::kDouble) + 0.5;
  parts.push_back(k * torch::pow(2.0, torch::randint(-40, 40, {n}, torch::kDouble)));
  // Powers of two and their float32 neighbours.
  torch::Tensor p2 = torch::pow(2.0, torch::randint(-140, 127, {n / 4}, torch::kDouble)).to(torch::kFloat);
  parts.push_back(p2.to(torch::kDouble));
  parts.push_back(torch::nextafter(p2, torch::full_like(p2, 0.0f)).to(torch::kDouble));
  parts.push_back(torch::nextafter(p2, torch::full_like(p2, 1e38f)).to(torch::kDouble));
  parts.push_back(-p2.to(torch::kDouble) * 1.5);
  const double inf = std::numeric_limits<double>::infinity();
  parts.push_back(torch::tensor({0.0, -0.0, inf, -inf, std::nan(""), 3.4028234663852886e38,
                                 -3.4028234663852886e38, 1.401298464324817e-45, 1.1754943508222875e-38,
                                 2147483648.0, -2147483648.0, 2147483520.0, 4294967296.0},
                                torch::kDouble));
  return torch::cat(parts).to(dtype);
}

void expect_fast_equals_ref(const Format& f) {
  for (auto dtype : {torch::kFloat, torch::kDouble}) {
    torch::Tensor x = nasty_inputs(dtype);
    if (f.is<BlockFpFormat>()) {
      // Rows of 13 (ragged last block for most block sizes), special values first.
      x = x.flip(0);
      x = x.narrow(0, 0, (x.numel() / 13) * 13).reshape({-1, 13});
    }
    torch::Tensor fast = quantize(x, f);
    torch::Tensor ref = quantize_ref(x, f);
    ASSERT_EQ(fast.scalar_type(), dtype);
    if (!same_values(fast, ref)) {
      torch::Tensor bad = ((fast != ref) & ~(fast.isnan() & ref.isnan())).nonzero();
      const int64_t i = bad[0].item<int64_t>();
      ADD_FAILURE() << describe(f) << " dtype " << dtype << ": " << bad.size(0) << " mismatches, first x="
                    << x.flatten()[i].item<double>() << " fast=" << fast.flatten()[i].item<double>()
                    << " ref=" << ref.flatten()[i].item<double>();
    }
  }
}

TEST(FastVsRef, IntegerSweep) {
  for (int w : {1, 2, 3, 4, 8, 12, 16, 24, 25, 26, 31, 32}) {
    for (int frac : {-32, -3, 0, 1, 4, 7, 16, 33, 64}) {
      for (auto r : {Rounding::NearestEven, Rounding::NearestAway, Rounding::Floor, Rounding::TowardZero}) {
        for (auto o : {Overflow::Saturate, Overflow::Wrap}) {
          for (bool s : {true, false}) {
            expect_fast_equals_ref(Format{IntegerFormat{.width = w, .frac_width = frac, .is_signed = s,
                                                        .rounding = r, .overflow = o}});
          }
        }
      }
    }
  }
}

TEST(FastVsRef, MinifloatSweep) {
  for (int e = 1; e <= 8; ++e) {
    for (int m : {1, 2, 3, 5, 10, 23}) {
      for (bool ieee : {false, true}) {
        for (bool denorm : {true, false}) {
          MinifloatFormat f{.exponent_width = e, .mantissa_width = m, .denormals = denorm, .ieee_like = ieee};
          if (e == 8 && !ieee) f.exponent_bias = 128;  // default bias would exceed float32
          if (e == 1 && ieee) continue;
          expect_fast_equals_ref(Format{f});
        }
      }
    }
  }
  expect_fast_equals_ref(Format{MinifloatFormat{.exponent_width = 4, .mantissa_width = 3, .exponent_bias = -100}});
  expect_fast_equals_ref(Format{MinifloatFormat{.exponent_width = 4, .mantissa_width = 3, .exponent_bias = 120}});
}

TEST(FastVsRef, BlockFpSweep) {
  for (int m : {1, 3, 7, 15, 22}) {
    for (int e : {2, 5, 8}) {
      for (int bs : {1, 2, 8, 16, 32}) {
        for (int dim : {-1, 0}) {
          expect_fast_equals_ref(Format{BlockFpFormat{.mantissa_width = m, .exponent_width = e,
                                                      .block_size = bs, .block_dim = dim}});
        }
      }
    }
  }
}

TEST(FastVsRef, LogSweep) {
  for (int e = 1; e <= 7; ++e) {
    for (bool zero : {false, true}) expect_fast_equals_ref(Format{LogFormat{.exponent_width = e, .has_zero = zero}});
  }
  expect_fast_equals_ref(Format{LogFormat{.exponent_width = 8, .exponent_bias = 140}});
  expect_fast_equals_ref(Format{LogFormat{.exponent_width = 3, .exponent_bias = -20}});
}

TEST(FastVsRef, BinaryTernaryOnFiniteInputs) {
  // Inf/NaN would make the tensor statistics Inf/NaN; use finite data here.
  for (auto dtype : {torch::kFloat, torch::kDouble}) {
    torch::manual_seed(7);
    torch::Tensor x = (torch::randn({1000}) * 3).to(dtype);
    for (const Format& f : {Format{BinaryFormat{}}, Format{BinaryFormat{.scaled = true}}, Format{TernaryFormat{}},
                            Format{TernaryFormat{.scaled = true}}, Format{TernaryFormat{.threshold = 0.5}},
                            Format{TernaryFormat{.threshold = 0.5, .scaled = true}}}) {
      EXPECT_TRUE(same_values(quantize(x, f), quantize_ref(x, f))) << describe(f);
    }
  }
}

TEST(FastVsRef, FloatFormatIsIdentity) {
  torch::Tensor x = nasty_inputs(torch::kFloat);
  EXPECT_TRUE(same_values(quantize(x, Format{FloatFormat{}}), x));
}

}  // namespace
}  // namespace qdse::quant
