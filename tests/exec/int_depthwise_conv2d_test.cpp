// Depthwise and grouped integer convolutions: int16_depthwise_conv2d against an exact
// reference on the codes (vectorized and portable loop, extreme codes), IntegerConv2d
// of depthwise and grouped nodes against the float emulation bit for bit, the fan-in
// rule (kh * kw for a depthwise conv), and the incremental executor on a small
// mobilenet-like network giving the plain path's numbers.
#include <gtest/gtest.h>
#include <torch/types.h>
#include <torch/utils.h>

#include <optional>
#include <string>
#include <vector>

#include "../support/quant_configs.hpp"
#include "qdse/exec/buffer_pool.hpp"
#include "qdse/exec/executor.hpp"
#include "qdse/exec/int_depthwise_conv2d.hpp"
#include "qdse/lower/incremental_executor.hpp"
#include "qdse/lower/integer_conv2d.hpp"
#include "qdse/lower/transform.hpp"

namespace qdse::exec {
namespace {

// c input channels, multiplier, input h x w, kernel, stride, padding, dilation.
struct DepthwiseCase {
  int64_t c, mult, h, w, kh, kw, sh, sw, ph, pw, dh, dw;
};

// Ragged on purpose: channels not a multiple of the 8-lane block, multipliers 1-3,
// unequal kernel/stride/padding/dilation per axis, one-pixel outputs.
const std::vector<DepthwiseCase>& depthwise_test_cases() {
  static const std::vector<DepthwiseCase> cases = {
      {32, 1, 14, 14, 3, 3, 1, 1, 1, 1, 1, 1},  // mobilenet_v2's stride-1 depthwise conv
      {16, 1, 14, 14, 3, 3, 2, 2, 1, 1, 1, 1},  // and its stride-2 one
      {13, 1, 9, 11, 3, 3, 2, 1, 0, 1, 1, 1},
      {5, 2, 8, 7, 5, 5, 1, 2, 2, 2, 1, 1},     // 5x5 (mnasnet, efficientnet), multiplier 2
      {9, 3, 10, 10, 3, 2, 1, 1, 2, 0, 2, 3},   // dilation, kernel 3x2
      {24, 1, 2, 2, 3, 3, 2, 2, 1, 1, 1, 1},    // one output pixel
      {3, 1, 6, 6, 1, 1, 1, 1, 0, 0, 1, 1},     // 1x1
  };
  return cases;
}

ConvGeometry depthwise_geometry(const DepthwiseCase& k) {
  return ConvGeometry{.channels = k.c, .height = k.h, .width = k.w, .kernel_h = k.kh, .kernel_w = k.kw,
                      .stride_h = k.sh, .stride_w = k.sw, .pad_h = k.ph, .pad_w = k.pw,
                      .dilation_h = k.dh, .dilation_w = k.dw};
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
      at::Tensor codes = torch::randint(-dmax, dmax, {n, k.c, k.h, k.w}, gen, torch::kShort);
      at::Tensor w = torch::randint(-wmax, wmax, {m, 1, k.kh, k.kw}, gen, torch::kShort);
      codes.index_put_({0, 0}, static_cast<int64_t>(-dmax));
      codes.index_put_({n - 1, k.c - 1}, static_cast<int64_t>(dmax - 1));
      w.index_put_({0}, static_cast<int64_t>(-wmax));
      w.index_put_({m - 1}, static_cast<int64_t>(wmax - 1));
      const at::Tensor exact = torch::conv2d(codes.to(torch::kDouble), w.to(torch::kDouble), {}, {k.sh, k.sw},
                                             {k.ph, k.pw}, {k.dh, k.dw}, k.c);
      const at::Tensor bias = torch::randint(-64, 64, {m}, gen, torch::kFloat) / 8;
      const PackedDepthwise packed(w, k.c);
      for (bool with_bias : {false, true}) {
        for (bool relu : {false, true}) {
          for (bool wide : {false, true}) {
            IntEpilogue e;
            e.scale = 1.0 / 64;
            e.bias = with_bias ? bias.data_ptr<float>() : nullptr;
            e.relu = relu;
            e.wide = wide;
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
                  << "C" << k.c << " x" << k.mult << " " << k.h << "x" << k.w << " k" << k.kh << "x" << k.kw
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
          const auto l = IntegerConv2d::make(node, c);
          ASSERT_TRUE(l.has_value()) << quant::describe(c) << " groups " << k.groups;
          const NodeOverride o = quant::build_node_override(node, c);
          const at::Tensor want = run_node(node, {x}, &o, false);
          for (BufferPool* p : {static_cast<BufferPool*>(nullptr), pool.get()}) {
            const at::Tensor codes = l->input_codes(x, p);
            ASSERT_TRUE(codes.defined());
            const at::Tensor got = l->forward(codes, false, p);
            ASSERT_EQ(got.sizes(), want.sizes());
            EXPECT_TRUE(torch::equal(got, want)) << quant::describe(c) << " groups " << k.groups << "\n"
                                                 << (got - want).abs().max();
            EXPECT_TRUE(torch::equal(l->forward(codes, true, p), torch::relu(want)));
            // A max pooling after the ReLU (fused by the incremental executor), with and
            // without padding.
            FusedMaxPool mp;
            mp.kernel_h = mp.kernel_w = mp.stride_h = mp.stride_w = 2;
            EXPECT_TRUE(torch::equal(l->forward(codes, true, p, mp), torch::max_pool2d(torch::relu(want), {2, 2})));
            mp.kernel_h = mp.kernel_w = 3;
            mp.pad_h = mp.pad_w = 1;
            EXPECT_TRUE(torch::equal(l->forward(codes, true, p, mp),
                                     torch::max_pool2d(torch::relu(want), {3, 3}, {2, 2}, {1, 1})));
          }
          ++checked;
          wide += o.float64 ? 1 : 0;
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
  auto gen = at::make_generator<at::CPUGeneratorImpl>(23);
  ir::Graph g("depthwise_net", {1, 12, 12});
  int last = ir::kGraphInput;
  const auto conv = [&](const std::string& name, int64_t c, int64_t m, int64_t groups, int64_t k, int64_t stride) {
    ir::Node n;
    n.name = name;
    n.op = ir::OpKind::Conv2d;
    n.inputs = {last};
    n.attrs.in_channels = c;
    n.attrs.out_channels = m;
    n.attrs.kernel = {k, k};
    n.attrs.stride = {stride, stride};
    n.attrs.padding = {k / 2, k / 2};
    n.attrs.dilation = {1, 1};
    n.attrs.groups = groups;
    n.params["weight"] = torch::randn({m, c / groups, k, k}, gen) * 0.5;
    n.params["bias"] = torch::randn({m}, gen) * 0.1;
    last = g.add(n);
  };
  const auto simple = [&](const std::string& name, ir::OpKind op) {
    ir::Node n;
    n.name = name;
    n.op = op;
    n.inputs = {last};
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
  ir::Node fc;
  fc.name = "fc11";
  fc.op = ir::OpKind::Linear;
  fc.inputs = {last};
  fc.params["weight"] = torch::randn({10, 32 * 3 * 3}, gen) * 0.1;
  fc.params["bias"] = torch::randn({10}, gen) * 0.1;
  g.add(fc);
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
  const auto plain = [&](const quant::QuantConfig& qc) {
    torch::NoGradGuard no_grad;
    const exec::Plan plan = quant::quantize(g, qc);
    return exec::Executor(g).forward(x, &plan);
  };
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

// A depthwise conv reads NCHW codes, a groups-1 conv with the same padding padded
// channels-last ones: two readers of one value in one data format keep their own codes.
TEST(IncrementalExecutor, DepthwiseAndDenseConvolutionsKeepTheirOwnCodes) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(37);
  ir::Graph g("dense_and_depthwise", {8, 6, 6});
  const auto conv_node = [&](const std::string& name, int64_t groups) {
    ir::Node n;
    n.name = name;
    n.op = ir::OpKind::Conv2d;
    n.inputs = {ir::kGraphInput};
    n.attrs.kernel = {3, 3};
    n.attrs.stride = {1, 1};
    n.attrs.padding = {1, 1};
    n.attrs.dilation = {1, 1};
    n.attrs.groups = groups;
    n.params["weight"] = torch::randn({8, 8 / groups, 3, 3}, gen) * 0.3;
    return n;
  };
  g.add(conv_node("dense", 1));
  g.add(conv_node("depthwise", 8));
  ir::Node add;
  add.name = "join";
  add.op = ir::OpKind::Add;
  add.inputs = {0, 1};
  g.add(add);
  const at::Tensor x = torch::randn({5, 8, 6, 6}, gen);
  quant::QuantConfig qc;
  qc.nodes["dense"] = testing::integer_node(8, 4);
  qc.nodes["depthwise"] = testing::integer_node(8, 6);
  torch::NoGradGuard no_grad;
  const exec::Plan plan = quant::quantize(g, qc);
  const at::Tensor want = exec::Executor(g).forward(x, &plan);
  IncrementalOptions o;
  o.memo_budget_bytes = int64_t{16} << 20;
  o.integer_kernels = true;
  IncrementalExecutor ex(g, x, o);
  const at::Tensor got = ex.forward(qc);
  EXPECT_EQ(ex.integer_nodes(), 2);
  EXPECT_TRUE(torch::equal(got, want));
}

}  // namespace
}  // namespace qdse::lower
