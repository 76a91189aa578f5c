// Depthwise and grouped integer convolutions: int16_depthwise_conv2d against an exact
// reference on the codes (vectorized and portable loop, extreme codes), IntegerConv2d
// of depthwise and grouped nodes against the float emulation bit for bit, the fan-in
// rule (kh * kw for a depthwise conv), and the incremental executor on a small
// mobilenet-like network giving the plain path's numbers.
#include <gtest/gtest.h>
#include <torch/types.h>
#include <torch/utils.h>

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "../support/graph_nodes.hpp"
#include "../support/quant_configs.hpp"
#include "int_gemm_problem.hpp"
#include "plain_forward.hpp"
#include "integer_conv_check.hpp"
#include "qdse/exec/buffer_pool.hpp"
#include "qdse/exec/executor.hpp"
#include "qdse/exec/int_depthwise_conv2d.hpp"
#include "qdse/lower/incremental_executor.hpp"
#include "qdse/lower/integer_conv2d.hpp"
#include "qdse/lower/transform.hpp"

namespace qdse::exec {
namespace {

// c input channels, channel multiplier; per axis (h, w): input size, kernel, stride,
// zero padding, dilation.
struct DepthwiseCase {
  int64_t c, mult;
  std::array<int64_t, 2> size, kernel, stride, pad, dilation;
};

// Ragged on purpose: channels not a multiple of the 8-lane block, multipliers 1-3,
// unequal kernel/stride/padding/dilation per axis, one-pixel outputs.
const std::vector<DepthwiseCase>& depthwise_test_cases() {
  static const std::vector<DepthwiseCase> cases = {
      {32, 1, {14, 14}, {3, 3}, {1, 1}, {1, 1}, {1, 1}},  // mobilenet_v2's stride-1 depthwise conv
      {16, 1, {14, 14}, {3, 3}, {2, 2}, {1, 1}, {1, 1}},  // and its stride-2 one
      {13, 1, {9, 11}, {3, 3}, {2, 1}, {0, 1}, {1, 1}},
      {5, 2, {8, 7}, {5, 5}, {1, 2}, {2, 2}, {1, 1}},     // 5x5 (mnasnet, efficientnet), multiplier 2
      {9, 3, {10, 10}, {3, 2}, {1, 1}, {2, 0}, {2, 3}},   // dilation, kernel 3x2
      {24, 1, {2, 2}, {3, 3}, {2, 2}, {1, 1}, {1, 1}},    // one output pixel
      {3, 1, {6, 6}, {1, 1}, {1, 1}, {0, 0}, {1, 1}},     // 1x1
  };
  return cases;
}

ConvGeometry depthwise_geometry(const DepthwiseCase& k) {
  return ConvGeometry{.channels = k.c, .height = k.size[0], .width = k.size[1],
                      .kernel_h = k.kernel[0], .kernel_w = k.kernel[1],
                      .stride_h = k.stride[0], .stride_w = k.stride[1], .pad_h = k.pad[0], .pad_w = k.pad[1],
                      .dilation_h = k.dilation[0], .dilation_w = k.dilation[1]};
}

TEST(IntDepthwiseConv2d, MatchesTheExactConvolutionOfTheCodes) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(31);
  int checked = 0;
  for (const DepthwiseCase& k : depthwise_test_cases()) {
    const ConvGeometry g = depthwise_geometry(k);
    const int64_t n = 5, m = k.c * k.mult;
    // Full-range int16 codes on one side, 8-bit on the other (|sum| < 2^15 * 2^7 * 25 <
    // 2^30: exact in int32 and in the double reference), both ways round, with the
    // extreme codes -32768 and 32767 planted.
    for (bool wide_data : {true, false}) {
      const int64_t dmax = wide_data ? 32768 : 128, wmax = wide_data ? 128 : 32768;
      at::Tensor codes = torch::randint(-dmax, dmax, {n, k.c, k.size[0], k.size[1]}, gen, torch::kShort);
      at::Tensor w = torch::randint(-wmax, wmax, {m, 1, k.kernel[0], k.kernel[1]}, gen, torch::kShort);
      codes.index_put_({0, 0}, static_cast<int64_t>(-dmax));
      codes.index_put_({n - 1, k.c - 1}, static_cast<int64_t>(dmax - 1));
      w.index_put_({0}, static_cast<int64_t>(-wmax));
      w.index_put_({m - 1}, static_cast<int64_t>(wmax - 1));
      const at::Tensor exact =
          torch::conv2d(codes.to(torch::kDouble), w.to(torch::kDouble), {}, k.stride, k.pad, k.dilation, k.c);
      const at::Tensor bias = torch::randint(-64, 64, {m}, gen, torch::kFloat) / 8;
      const PackedDepthwise packed(w, k.c);
      for (bool with_bias : {false, true}) {
        for (bool relu : {false, true}) {
          for (bool wide : {false, true}) {
            const IntEpilogue e =
                testing::gemm_test_epilogue(1.0 / 64, wide, with_bias ? bias.data_ptr<float>() : nullptr, relu);
            at::Tensor want;
            if (wide) {  // float64 then one rounding, as the float64 emulation path
              at::Tensor d = exact * e.scale;
              if (with_bias) d = d + bias.to(torch::kDouble).view({1, m, 1, 1});
              want = d.to(torch::kFloat);
            } else {
              want = exact.to(torch::kFloat) * static_cast<float>(e.scale);
              if (with_bias) want = want + bias.view({1, m, 1, 1});
            }
            if (relu) want = torch::relu(want);
            for (bool vectorize : {true, false}) {
              const at::Tensor got = int16_depthwise_conv2d(codes, g, packed, e, {}, vectorize);
              ASSERT_EQ(got.sizes(), want.sizes());
              EXPECT_TRUE(torch::equal(got, want))
                  << "C" << k.c << " x" << k.mult << " " << k.size[0] << "x" << k.size[1] << " k" << k.kernel[0]
                  << "x" << k.kernel[1]
                  << " vectorize " << vectorize << " bias " << with_bias << " relu " << relu << " wide " << wide
                  << " wide data " << wide_data;
              ++checked;
            }
          }
        }
      }
    }
  }
  EXPECT_EQ(checked, 7 * 2 * 16);
}

ir::Node grouped_test_node(int64_t c, int64_t m, int64_t groups, int64_t k, int64_t stride, int64_t pad,
                           uint64_t seed, bool bias) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  ir::Node n;
  n.name = "grouped";
  n.op = ir::OpKind::Conv2d;
  n.inputs = {ir::kGraphInput};
  n.attrs.stride = {stride, stride};
  n.attrs.padding = {pad, pad};
  n.attrs.dilation = {1, 1};
  n.attrs.groups = groups;
  n.params["weight"] = torch::randn({m, c / groups, k, k}, gen) * 0.4;
  if (bias) n.params["bias"] = torch::randn({m}, gen);
  return n;
}

TEST(IntegerConv2d, DepthwiseAndGroupedEqualTheFloatEmulationBitForBit) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(17);
  using F = quant::IntegerFormat;
  struct GroupedCase {
    int64_t c, m, groups, k, stride, pad, h;
  };
  const std::vector<GroupedCase> cases = {
      {16, 16, 16, 3, 1, 1, 9},  // depthwise
      {12, 12, 12, 3, 2, 1, 9},  // depthwise, stride 2
      {6, 12, 6, 5, 1, 2, 7},    // depthwise, multiplier 2
      {8, 12, 4, 3, 1, 1, 8},    // grouped: 2 channels in, 3 out per group
      {6, 4, 2, 1, 2, 0, 7},     // grouped 1x1, stride 2
  };
  auto pool = BufferPool::create(int64_t{16} << 20, /*min_bytes=*/0);
  int checked = 0, wide = 0;
  for (const GroupedCase& k : cases) {
    const at::Tensor x = torch::randn({3, k.c, k.h, k.h}, gen) * 2;
    for (int dw : {4, 8, 16}) {  // 16-bit data: float32 inexact at fan-in 9+, the float64 path
      for (int ww : {2, 8}) {
        const F d{.width = dw, .frac_width = dw / 2};
        const F w{.width = ww, .frac_width = ww - 1};
        const F b{.width = 16, .frac_width = 12};
        for (bool with_bias : {false, true}) {
          const ir::Node node = grouped_test_node(k.c, k.m, k.groups, k.k, k.stride, k.pad, 300 + dw + ww, with_bias);
          const auto c = testing::integer_formats_node(d, w, with_bias ? std::optional<F>(b) : std::nullopt);
          // A max pooling after the ReLU (fused by the incremental executor), with and
          // without padding.
          const auto pools = [](const IntegerConv2d& l, const at::Tensor& codes, BufferPool* p, const at::Tensor& want) {
            FusedMaxPool mp;
            mp.kernel_h = mp.kernel_w = mp.stride_h = mp.stride_w = 2;
            EXPECT_TRUE(torch::equal(l.forward(codes, true, p, mp), torch::max_pool2d(torch::relu(want), {2, 2})));
            mp.kernel_h = mp.kernel_w = 3;
            mp.pad_h = mp.pad_w = 1;
            EXPECT_TRUE(torch::equal(l.forward(codes, true, p, mp),
                                     torch::max_pool2d(torch::relu(want), {3, 3}, {2, 2}, {1, 1})));
          };
          const std::string what = " groups " + std::to_string(k.groups);
          wide += testing::expect_integer_conv_matches(node, c, x, pool.get(), what, pools) ? 1 : 0;
          ++checked;
        }
      }
    }
  }
  EXPECT_EQ(checked, 5 * 3 * 2 * 2);
  EXPECT_GT(wide, 0);  // the float64 epilogue is exercised too
}

// A depthwise conv sums kh * kw products per output, not C * kh * kw: 12-bit data and
// weights over 3x3 taps stay within int32 (2^22 * 9 < 2^30) where the same kernel
// over 64 channels at once (groups 1) does not.
TEST(IntegerConv2d, DepthwiseFanInIsTheKernelArea) {
  using F = quant::IntegerFormat;
  const F i12{.width = 12, .frac_width = 6};
  const F b16{.width = 16, .frac_width = 8};
  const auto c = testing::integer_formats_node(i12, i12, b16);
  EXPECT_TRUE(IntegerConv2d::make(grouped_test_node(64, 64, 64, 3, 1, 1, 3, true), c).has_value());
  EXPECT_FALSE(IntegerConv2d::make(grouped_test_node(64, 64, 1, 3, 1, 1, 3, true), c).has_value());
  // 16-bit data and weights: 2^30 * 9 exceeds int32 even over 3x3 taps.
  const F i16{.width = 16, .frac_width = 8};
  EXPECT_FALSE(IntegerConv2d::make(grouped_test_node(64, 64, 64, 3, 1, 1, 3, true), testing::integer_formats_node(i16, i16, b16))
                   .has_value());
  // Outputs not divisible by the groups: not a convolution libtorch runs either.
  ir::Node ragged = grouped_test_node(8, 8, 4, 3, 1, 1, 3, false);
  ragged.params["weight"] = torch::ones({6, 2, 3, 3});
  ragged.attrs.groups = 4;
  EXPECT_FALSE(IntegerConv2d::make(ragged, testing::integer_formats_node(i12, i12, std::nullopt)).has_value());
}

}  // namespace
}  // namespace qdse::exec

namespace qdse::lower {
namespace {

// A small mobilenet-like network: 0 conv 1->8 3x3, 1 relu, 2 depthwise 3x3 stride 2,
// 3 clamp (ReLU6), 4 conv 1x1 8->16, 5 grouped conv 16->16 (4 groups), 6 relu,
// 7 max pool, 8 depthwise 3x3 multiplier 2, 9 relu, 10 flatten, 11 linear.
ir::Graph depthwise_test_graph() {
  using namespace qdse::testing;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(23);
  ir::Graph g("depthwise_net", {1, 12, 12});
  int last = ir::kGraphInput;
  const auto conv = [&](const std::string& name, int64_t c, int64_t m, int64_t groups, int64_t k, int64_t stride) {
    const at::Tensor weight = torch::randn({m, c / groups, k, k}, gen) * 0.5;
    last = g.add(conv2d_node(name, {last}, weight, torch::randn({m}, gen) * 0.1, stride, k / 2, groups));
  };
  const auto simple = [&](const std::string& name, ir::OpKind op) {
    ir::Node n = op_node(name, op, {last});
    if (op == ir::OpKind::Clamp) {
      n.attrs.clamp_min = 0;
      n.attrs.clamp_max = 6;
    }
    if (op == ir::OpKind::MaxPool2d) n.attrs.kernel = {2, 2};
    last = g.add(n);
  };
  conv("conv0", 1, 8, 1, 3, 1);
  simple("relu1", ir::OpKind::Relu);
  conv("dw2", 8, 8, 8, 3, 2);
  simple("relu6_3", ir::OpKind::Clamp);
  conv("pw4", 8, 16, 1, 1, 1);
  conv("grouped5", 16, 16, 4, 3, 1);
  simple("relu6", ir::OpKind::Relu);
  simple("pool7", ir::OpKind::MaxPool2d);
  conv("dw8", 16, 32, 16, 3, 1);
  simple("relu9", ir::OpKind::Relu);
  simple("flatten10", ir::OpKind::Flatten);
  g.add(linear_node("fc11", {last}, torch::randn({10, 32 * 3 * 3}, gen) * 0.1, torch::randn({10}, gen) * 0.1));
  return g;
}

quant::QuantConfig depthwise_net_config(int d, int w_dw2, int w_grouped5, int w_dw8) {
  quant::QuantConfig qc;
  qc.nodes["conv0"] = testing::integer_node(8, 4);
  qc.nodes["dw2"] = testing::integer_node(d, w_dw2);
  qc.nodes["pw4"] = testing::integer_node(8, 4);
  qc.nodes["grouped5"] = testing::integer_node(d, w_grouped5);
  qc.nodes["dw8"] = testing::integer_node(d, w_dw8);
  qc.nodes["fc11"] = testing::integer_node(8, 4);
  return qc;
}

TEST(IncrementalExecutor, DepthwiseAndGroupedIntegerConvolutionsGiveThePlainPathsNumbers) {
  const ir::Graph g = depthwise_test_graph();
  const at::Tensor x = torch::randn({20, 1, 12, 12}, at::make_generator<at::CPUGeneratorImpl>(29));
  const auto plain = [&](const quant::QuantConfig& qc) { return testing::plain_quantized_forward(g, x, qc); };
  std::vector<quant::QuantConfig> configs;
  for (int d : {4, 8})
    for (int w : {2, 6}) configs.push_back(depthwise_net_config(d, w, 4, w));
  configs.push_back(depthwise_net_config(8, 2, 6, 2));
  configs.push_back(depthwise_net_config(16, 16, 16, 16));  // refused: int32 bound, float path
  configs.push_back(quant::QuantConfig{});
  for (int64_t budget : {int64_t{16} << 20, int64_t{0}}) {
    IncrementalOptions integer_options, float_options;
    integer_options.memo_budget_bytes = float_options.memo_budget_bytes = budget;
    integer_options.integer_kernels = true;
    float_options.integer_kernels = false;
    IncrementalExecutor integer(g, x, integer_options);
    IncrementalExecutor float_only(g, x, float_options);
    for (const quant::QuantConfig& qc : configs) {
      const at::Tensor want = plain(qc);
      EXPECT_TRUE(torch::equal(integer.forward(qc), want)) << quant::describe(qc.nodes.begin()->second);
      EXPECT_TRUE(torch::equal(float_only.forward(qc), want));
    }
    EXPECT_EQ(float_only.integer_nodes(), 0);
  }
  // Only the depthwise and grouped convs quantized: they run on the integer kernels.
  quant::QuantConfig only_grouped;
  only_grouped.nodes["dw2"] = testing::integer_node(8, 4);
  only_grouped.nodes["grouped5"] = testing::integer_node(8, 4);
  only_grouped.nodes["dw8"] = testing::integer_node(8, 4);
  IncrementalOptions o;
  o.memo_budget_bytes = int64_t{16} << 20;
  o.integer_kernels = true;
  IncrementalExecutor ex(g, x, o);
  EXPECT_TRUE(torch::equal(ex.forward(only_grouped), plain(only_grouped)));
  EXPECT_EQ(ex.integer_nodes(), 3);
}

}  // namespace
}  // namespace qdse::lower
