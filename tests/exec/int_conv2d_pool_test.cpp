// A max pooling with padding fused into the integer convolution (resnet's stem:
// conv -> ReLU -> MaxPool2d(3, 2, padding 1)): int16_conv2d with a padded FusedMaxPool
// against torch::max_pool2d of its unpooled output, and the incremental executor on a
// resnet-like stem against the plain path, bit for bit.
#include <gtest/gtest.h>
#include <torch/types.h>
#include <torch/utils.h>

#include <string>
#include <vector>

#include "../support/graph_nodes.hpp"
#include "../support/quant_configs.hpp"
#include "qdse/exec/executor.hpp"
#include "qdse/exec/int_conv2d.hpp"
#include "qdse/lower/incremental_executor.hpp"
#include "qdse/lower/transform.hpp"

namespace qdse::exec {
namespace {

struct PaddedPoolCase {
  int64_t kh, kw, sh, sw, ph, pw;
};

TEST(IntConv2dPool, PaddedFusedPoolEqualsTorchMaxPool) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(31);
  ConvGeometry g;
  g.channels = 3;
  g.height = 14;
  g.width = 11;
  g.kernel_h = g.kernel_w = 3;
  g.pad_h = g.pad_w = 1;
  const int64_t m = 20, n = 5;
  const at::Tensor codes = torch::randint(-100, 100, {n, g.channels, g.height, g.width}, gen, torch::kShort);
  const at::Tensor wcodes = torch::randint(-100, 100, {m, g.channels, 3, 3}, gen, torch::kShort);
  const at::Tensor bias = torch::randn({m}, gen);
  const at::Tensor padded = pad_channels_last(codes, g);
  const PackedInt16 packed(conv_weight_rows(wcodes));
  IntEpilogue e;
  e.scale = 1.0 / 128;
  e.bias = bias.data_ptr<float>();
  const std::vector<PaddedPoolCase> cases = {
      {3, 3, 2, 2, 1, 1},  // resnet's stem
      {2, 2, 2, 2, 1, 1},  // odd output sizes, a window per border pixel
      {3, 3, 1, 1, 1, 1},  // overlapping, same size out
      {3, 2, 2, 1, 1, 0},  // per-axis kernel, stride, padding
      {5, 3, 3, 2, 2, 1},
  };
  for (bool relu : {true, false}) {
    e.relu = relu;
    const at::Tensor unpooled = int16_conv2d(padded, g, packed, e);
    for (const PaddedPoolCase& p : cases) {
      const FusedMaxPool pool{.kernel_h = p.kh, .kernel_w = p.kw, .stride_h = p.sh, .stride_w = p.sw,
                              .pad_h = p.ph, .pad_w = p.pw};
      const at::Tensor want = torch::max_pool2d(unpooled, {p.kh, p.kw}, {p.sh, p.sw}, {p.ph, p.pw});
      for (bool vectorize : {true, false}) {
        const at::Tensor got = int16_conv2d(padded, g, packed, e, {}, vectorize, pool);
        ASSERT_EQ(got.sizes(), want.sizes()) << p.kh << "x" << p.kw << " pad " << p.ph << "," << p.pw;
        EXPECT_TRUE(torch::equal(got, want))
            << p.kh << "x" << p.kw << " stride " << p.sh << "," << p.sw << " pad " << p.ph << "," << p.pw
            << " relu " << relu << " vectorize " << vectorize;
      }
    }
  }
}

// conv 3x3 pad 1 -> ReLU -> MaxPool2d(3, 2, 1) -> conv 3x3 -> ReLU -> flatten -> linear:
// the padded pooling is computed inside the first convolution.
ir::Graph padded_pool_stem(at::Generator& gen) {
  using namespace qdse::testing;
  ir::Graph g("padded_pool_stem", {1, 12, 12});
  g.add(conv2d_node("conv1", {ir::kGraphInput}, torch::randn({8, 1, 3, 3}, gen) * 0.4,
                    torch::randn({8}, gen) * 0.1, 1, 1));
  g.add(op_node("relu", ir::OpKind::Relu, {0}));
  g.add(max_pool_node("maxpool", 1, 3, 2, 1));
  g.add(conv2d_node("conv2", {2}, torch::randn({6, 8, 3, 3}, gen) * 0.2, torch::randn({6}, gen) * 0.1, 1, 1));
  g.add(op_node("relu2", ir::OpKind::Relu, {3}));
  g.add(op_node("flatten", ir::OpKind::Flatten, {4}));
  g.add(linear_node("fc", {5}, torch::randn({10, 6 * 6 * 6}, gen) * 0.1, torch::randn({10}, gen) * 0.1));
  return g;
}

TEST(IntConv2dPool, IncrementalExecutorFusesAPaddedPoolWithThePlainPathsNumbers) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(32);
  const ir::Graph g = padded_pool_stem(gen);
  const at::Tensor x = torch::randn({30, 1, 12, 12}, gen);
  lower::IncrementalOptions o;
  o.memo_budget_bytes = int64_t{16} << 20;
  o.integer_kernels = true;
  lower::IncrementalExecutor ex(g, x, o);
  for (int w1 : {4, 8}) {
    for (int w2 : {3, 6}) {
      quant::QuantConfig qc;
      qc.nodes["conv1"] = testing::integer_node(8, w1);
      qc.nodes["conv2"] = testing::integer_node(8, w2);
      qc.nodes["fc"] = testing::integer_node(8, 8);
      torch::NoGradGuard no_grad;
      const exec::Plan plan = quant::quantize(g, qc);
      const at::Tensor want = exec::Executor(g).forward(x, &plan);
      const at::Tensor got = ex.forward(qc);
      ASSERT_EQ(got.sizes(), want.sizes());
      EXPECT_TRUE(torch::equal(got, want)) << "w1 " << w1 << " w2 " << w2;
    }
  }
  EXPECT_GT(ex.integer_nodes(), 0);
}

}  // namespace
}  // namespace qdse::exec
