// Integer convolution: int16_conv2d against an exact reference on the codes (both the
// vectorized and the portable tile), IntegerConv2d against the float emulation of the
// same quantized layer (bit for bit), and what it refuses.
#include <gtest/gtest.h>
#include <torch/types.h>

#include <limits>
#include <optional>
#include <vector>

#include "../support/quant_configs.hpp"
#include "int_gemm_problem.hpp"
#include "integer_conv_check.hpp"
#include "qdse/exec/buffer_pool.hpp"
#include "qdse/exec/executor.hpp"
#include "qdse/exec/int_conv2d.hpp"
#include "qdse/lower/integer_conv2d.hpp"
#include "qdse/lower/transform.hpp"

namespace qdse::exec {
namespace {

struct ConvCase {
  int64_t c, m, h, w, kh, kw, sh, sw, ph, pw, dh, dw;
};

// Ragged on purpose: M not a multiple of 16, odd depths, pixels not a multiple of the
// 6-row tile or 48-row chunk, unequal h/w kernel, stride, padding and dilation.
const std::vector<ConvCase>& conv_test_cases() {
  static const std::vector<ConvCase> cases = {
      {1, 8, 28, 28, 3, 3, 1, 1, 1, 1, 1, 1},   // fmnist-cnn's first conv
      {8, 16, 14, 14, 3, 3, 1, 1, 1, 1, 1, 1},  // and its second
      {3, 20, 11, 9, 3, 2, 2, 1, 1, 0, 1, 2},
      {5, 7, 6, 13, 1, 5, 1, 3, 0, 2, 1, 1},
      {2, 33, 9, 9, 3, 3, 2, 2, 2, 2, 2, 2},
      {6, 19, 2, 2, 3, 3, 2, 2, 1, 1, 1, 1},  // one output pixel: rows span samples (resnet's layer4)
      {3, 17, 4, 4, 3, 3, 2, 2, 1, 1, 1, 1},  // 2x2 outputs
  };
  return cases;
}

ConvGeometry geometry_of(const ConvCase& k) {
  ConvGeometry g;
  g.channels = k.c;
  g.height = k.h;
  g.width = k.w;
  g.kernel_h = k.kh;
  g.kernel_w = k.kw;
  g.stride_h = k.sh;
  g.stride_w = k.sw;
  g.pad_h = k.ph;
  g.pad_w = k.pw;
  g.dilation_h = k.dh;
  g.dilation_w = k.dw;
  return g;
}

ir::Node conv_test_node(const ConvCase& k, uint64_t seed, bool bias) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  ir::Node n;
  n.name = "conv";
  n.op = ir::OpKind::Conv2d;
  n.inputs = {ir::kGraphInput};
  n.attrs.stride = {k.sh, k.sw};
  n.attrs.padding = {k.ph, k.pw};
  n.attrs.dilation = {k.dh, k.dw};
  n.params["weight"] = torch::randn({k.m, k.c, k.kh, k.kw}, gen) * 0.4;
  if (bias) n.params["bias"] = torch::randn({k.m}, gen);
  return n;
}

quant::NodeQuantConfig conv_test_config(quant::IntegerFormat d, quant::IntegerFormat w,
                                        std::optional<quant::IntegerFormat> b) {
  return testing::integer_formats_node(d, w, b);
}

TEST(IntConv2d, MatchesTheExactConvolutionOfTheCodes) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(5);
  for (const ConvCase& k : conv_test_cases()) {
    const ConvGeometry g = geometry_of(k);
    const int64_t n = 61;  // more than one 48-row chunk when rows span samples
    const at::Tensor codes = torch::randint(-128, 128, {n, k.c, k.h, k.w}, gen, torch::kShort);
    const at::Tensor w = torch::randint(-128, 128, {k.m, k.c, k.kh, k.kw}, gen, torch::kShort);
    const at::Tensor bias = torch::randint(-64, 64, {k.m}, gen, torch::kFloat) / 8;
    // Products < 2^14, sums < 2^24: double convolution of the codes is exact.
    const at::Tensor exact = torch::conv2d(codes.to(torch::kDouble), w.to(torch::kDouble), {}, {k.sh, k.sw},
                                           {k.ph, k.pw}, {k.dh, k.dw});
    const PackedInt16 packed(conv_weight_rows(w));
    const at::Tensor padded = pad_channels_last(codes, g);
    for (bool with_bias : {false, true}) {
      for (bool relu : {false, true}) {
        const IntEpilogue e =
            testing::gemm_test_epilogue(1.0 / 64, false, with_bias ? bias.data_ptr<float>() : nullptr, relu);
        at::Tensor want = (exact.to(torch::kFloat) * static_cast<float>(e.scale));
        if (with_bias) want = want + bias.view({1, k.m, 1, 1});
        if (relu) want = torch::relu(want);
        for (bool vectorize : {true, false}) {
          const at::Tensor got = int16_conv2d(padded, g, packed, e, {}, vectorize);
          EXPECT_TRUE(torch::equal(got, want))
              << "C" << k.c << " M" << k.m << " " << k.h << "x" << k.w << " vectorize " << vectorize << " bias "
              << with_bias << " relu " << relu;
        }
      }
    }
  }
}

TEST(IntegerConv2d, EqualsTheFloatEmulationBitForBit) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(12);
  using F = quant::IntegerFormat;
  int checked = 0, wide = 0;
  auto pool = BufferPool::create(int64_t{16} << 20, /*min_bytes=*/0);
  for (const ConvCase& k : conv_test_cases()) {
    const at::Tensor x = torch::randn({4, k.c, k.h, k.w}, gen) * 2;
    for (int dw : {4, 8, 14}) {  // 14-bit data: float32 inexact on the larger depths, float64 path
      for (int ww : {2, 8}) {
        const F d{.width = dw, .frac_width = dw / 2};
        const F w{.width = ww, .frac_width = ww - 1};
        const F b{.width = 16, .frac_width = 12};
        for (bool with_bias : {false, true}) {
          const ir::Node node = conv_test_node(k, 200 + dw * 10 + ww, with_bias);
          const auto c = conv_test_config(d, w, with_bias ? std::optional<F>(b) : std::nullopt);
          wide += testing::expect_integer_conv_matches(node, c, x, pool.get(), "", [](auto&&...) {}) ? 1 : 0;
          ++checked;
        }
      }
    }
  }
  EXPECT_EQ(checked, 84);
  EXPECT_GT(wide, 0);  // the float64 epilogue is exercised too
}

TEST(IntegerConv2d, RefusesWhatItCannotReproduce) {
  using F = quant::IntegerFormat;
  const ConvCase k{4, 8, 10, 10, 3, 3, 1, 1, 1, 1, 1, 1};
  const F i8{.width = 8, .frac_width = 4};
  const ir::Node node = conv_test_node(k, 1, true);
  ASSERT_TRUE(IntegerConv2d::make(node, conv_test_config(i8, i8, i8)).has_value());
  // A float bias: the float convolution's rounding order would matter.
  EXPECT_FALSE(IntegerConv2d::make(node, conv_test_config(i8, i8, std::nullopt)).has_value());
  // Grouped (here depthwise, multiplier 2) convolutions have their own kernels
  // (int_depthwise_conv2d_test.cpp).
  ir::Node grouped = node;
  grouped.attrs.groups = 4;
  grouped.params["weight"] = torch::ones({8, 1, 3, 3});
  EXPECT_TRUE(IntegerConv2d::make(grouped, conv_test_config(i8, i8, i8)).has_value());
  // An accumulator beyond int32.
  const F i16{.width = 16, .frac_width = 8};
  EXPECT_FALSE(IntegerConv2d::make(node, conv_test_config(i16, i16, i8)).has_value());
  // Padding given per side (four values) is not a geometry it knows.
  ir::Node four_pads = node;
  four_pads.attrs.padding = {1, 1, 1, 1};
  EXPECT_FALSE(IntegerConv2d::make(four_pads, conv_test_config(i8, i8, i8)).has_value());
  // NaN inputs have no codes, nor do inputs with other channels: the float path decides.
  const auto l = IntegerConv2d::make(node, conv_test_config(i8, i8, i8));
  at::Tensor x = torch::zeros({2, 4, 10, 10});
  x[1][2][3][4] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_FALSE(l->input_codes(x).defined());
  EXPECT_FALSE(l->input_codes(torch::zeros({2, 3, 10, 10})).defined());
  EXPECT_TRUE(l->input_codes(torch::zeros({2, 4, 10, 10})).defined());
}

}  // namespace
}  // namespace qdse::exec
