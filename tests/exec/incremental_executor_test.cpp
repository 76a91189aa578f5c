// lower::IncrementalExecutor on its own: a configuration recomputes from the first node
// whose prefix is new, the memo evicts least-recently-used entries within its budget,
// and every shortcut (memo, integer kernels, fused ReLU) gives the plain path's numbers.
// Costs are counted (MACs, bytes, first recomputed node), never timed.
#include <gtest/gtest.h>
#include <torch/types.h>
#include <torch/utils.h>

#include "../support/graph_nodes.hpp"
#include "../support/quant_configs.hpp"
#include "plain_forward.hpp"
#include "qdse/exec/executor.hpp"
#include "qdse/ir/op_shape.hpp"
#include "qdse/ir/zoo.hpp"
#include "qdse/lower/incremental_executor.hpp"
#include "qdse/lower/transform.hpp"

namespace qdse::lower {
namespace {

constexpr int64_t kIncrementalSamples = 128;

// fmnist-mlp: 0 flatten, 1 linear, 2 relu, 3 linear, 4 relu, 5 linear (the output).
quant::QuantConfig incremental_test_config(int w1, int w3, int w5) {
  quant::QuantConfig qc;
  qc.nodes["seq_blocks_1"] = testing::integer_node(8, w1);
  qc.nodes["seq_blocks_3"] = testing::integer_node(8, w3);
  qc.nodes["seq_blocks_5"] = testing::integer_node(8, w5);
  return qc;
}

struct IncrementalMlp {
  ir::Graph g = ir::build_zoo_model("fmnist-mlp", 6);
  at::Tensor x = torch::randn({kIncrementalSamples, 1, 28, 28}, at::make_generator<at::CPUGeneratorImpl>(11));
  std::vector<int64_t> macs = ir::node_macs(g);

  // The plain path: a full forward pass of the quantized plan.
  at::Tensor plain(const quant::QuantConfig& qc) const {
    torch::NoGradGuard no_grad;
    const exec::Plan plan = quant::quantize(g, qc);
    return exec::Executor(g).forward(x, &plan);
  }
};

IncrementalOptions incremental_test_options(int64_t budget, bool integer_kernels) {
  IncrementalOptions o;
  o.memo_budget_bytes = budget;
  o.integer_kernels = integer_kernels;
  return o;
}

TEST(IncrementalExecutor, RecomputesFromTheFirstChangedNode) {
  IncrementalMlp m;
  for (bool integer : {true, false}) {
    IncrementalExecutor ex(m.g, m.x, incremental_test_options(int64_t{64} << 20, integer));
    int first = -1;
    ex.forward(incremental_test_config(4, 4, 4), &first);
    EXPECT_EQ(first, 0);
    const int64_t before = ex.macs_computed();
    const quant::QuantConfig changed = incremental_test_config(4, 8, 4);  // node 3 onwards is new
    const at::Tensor out = ex.forward(changed, &first);
    EXPECT_EQ(first, 3) << "integer kernels " << integer;
    EXPECT_EQ(ex.macs_computed() - before, kIncrementalSamples * (m.macs[3] + m.macs[4] + m.macs[5]));
    EXPECT_TRUE(torch::equal(out, m.plain(changed))) << "integer kernels " << integer;
    // The same configuration again: only the output layer is not memoized.
    const at::Tensor again = ex.forward(changed, &first);
    EXPECT_EQ(first, 5);
    EXPECT_TRUE(torch::equal(again, out));
  }
}

TEST(IncrementalExecutor, EvictsLeastRecentlyUsedEntriesWithinItsBudget) {
  IncrementalMlp m;
  // Float kernels: entries are node outputs only (float32), kept before each quantized
  // node: the flatten output and a configuration's two ReLU outputs (nodes 2 and 4).
  const int64_t flatten_bytes = kIncrementalSamples * 784 * 4;
  const int64_t per_config = kIncrementalSamples * (256 + 128) * 4;  // nodes 2 and 4 of one config
  // Room for the flatten output and one configuration's nodes, not for two.
  const int64_t limit = flatten_bytes + per_config + per_config / 4;
  const int64_t budget = limit / 3 * 4;  // the pool keeps a quarter of the budget idle
  IncrementalExecutor ex(m.g, m.x, incremental_test_options(budget, false));
  ASSERT_EQ(ex.memo_limit(), budget - budget / 4);
  ASSERT_GE(ex.memo_limit(), flatten_bytes + per_config);
  ASSERT_LT(ex.memo_limit(), flatten_bytes + per_config + kIncrementalSamples * 256 * 4);
  IncrementalExecutor roomy(m.g, m.x, incremental_test_options(int64_t{64} << 20, false));

  int first = -1, roomy_first = -1;
  const auto run = [&](const quant::QuantConfig& qc) {
    ex.forward(qc, &first);
    roomy.forward(qc, &roomy_first);
    EXPECT_LE(ex.memo_bytes(), ex.memo_limit());
  };
  run(incremental_test_config(2, 2, 2));  // A: flatten output, then A's nodes 2 and 4
  EXPECT_EQ(first, 0);
  run(incremental_test_config(4, 2, 2));  // B: reuses the flatten output, evicts A's oldest
  EXPECT_EQ(first, 1);
  run(incremental_test_config(4, 2, 2));  // B is the most recent: all but the output kept
  EXPECT_EQ(first, 5);
  // The flatten output is the oldest entry but was used by B, so it outlived A's
  // entries: a new first layer still starts at node 1.
  run(incremental_test_config(8, 2, 2));
  EXPECT_EQ(first, 1);
  // A with another third layer: A's node 2 was evicted (nodes 1-2 are recomputed),
  // where an unbounded memo starts at node 3.
  run(incremental_test_config(2, 4, 2));
  EXPECT_EQ(first, 1);
  EXPECT_EQ(roomy_first, 3);
  EXPECT_GT(ex.memo_bytes(), 0);
}

TEST(IncrementalExecutor, FusedAndUnfusedOutputsAreEqual) {
  IncrementalMlp m;
  IncrementalExecutor fused(m.g, m.x, incremental_test_options(int64_t{64} << 20, true));
  IncrementalExecutor unfused(m.g, m.x, incremental_test_options(int64_t{64} << 20, false));
  IncrementalExecutor no_memo(m.g, m.x, incremental_test_options(0, true));
  quant::QuantConfig relu_quantized = incremental_test_config(8, 4, 8);
  relu_quantized.nodes["seq_blocks_2"].data_in =
      quant::SlotFormat{quant::Format{quant::IntegerFormat{.width = 6, .frac_width = 3}}, false};
  for (const quant::QuantConfig& qc : {incremental_test_config(8, 8, 8), incremental_test_config(4, 2, 8),
                                        relu_quantized, quant::QuantConfig{}}) {
    const at::Tensor want = m.plain(qc);
    EXPECT_TRUE(torch::equal(fused.forward(qc), want));
    EXPECT_TRUE(torch::equal(unfused.forward(qc), want));
    EXPECT_TRUE(torch::equal(no_memo.forward(qc), want));
  }
  // Three integer linears per quantized configuration (the float one has none).
  EXPECT_EQ(fused.integer_nodes(), 9);
  EXPECT_EQ(no_memo.integer_nodes(), 9);
  EXPECT_EQ(unfused.integer_nodes(), 0);
  EXPECT_EQ(no_memo.memo_bytes(), 0);
}

TEST(IncrementalExecutor, MemoOffEvaluatesInBatchesWithTheSameScores) {
  IncrementalMlp m;
  const at::Tensor y = torch::randint(0, 10, {kIncrementalSamples}, at::make_generator<at::CPUGeneratorImpl>(5), torch::kLong);
  IncrementalOptions batched = incremental_test_options(0, true);
  batched.batch_size = 48;  // ragged last batch
  IncrementalExecutor memo(m.g, m.x, incremental_test_options(int64_t{64} << 20, true));
  IncrementalExecutor plain(m.g, m.x, batched);
  const quant::QuantConfig qc = incremental_test_config(8, 4, 8);
  int first = -1;
  const exec::EvalResult a = memo.evaluate(qc, y, &first);
  const exec::EvalResult b = plain.evaluate(qc, y, &first);
  EXPECT_EQ(first, 0);
  EXPECT_EQ(a.accuracy, b.accuracy);
  EXPECT_EQ(a.macro_accuracy, b.macro_accuracy);
  EXPECT_EQ(a.loss, b.loss);
  EXPECT_EQ(memo.macs_computed(), plain.macs_computed());
}

// fmnist-cnn: 0 conv, 1 relu, 2 max pool, 3 conv, 4 relu, 5 max pool, 6 flatten, 7 linear.
quant::QuantConfig incremental_cnn_config(int d0, int w0, int d3, int w3, int d7, int w7) {
  quant::QuantConfig qc;
  qc.nodes["seq_blocks_0"] = testing::integer_node(d0, w0);
  qc.nodes["seq_blocks_3"] = testing::integer_node(d3, w3);
  qc.nodes["seq_blocks_7"] = testing::integer_node(d7, w7);
  return qc;
}

TEST(IncrementalExecutor, CnnIntegerConvolutionsGiveThePlainPathsNumbers) {
  const ir::Graph g = ir::build_zoo_model("fmnist-cnn", 7);
  const at::Tensor x = torch::randn({40, 1, 28, 28}, at::make_generator<at::CPUGeneratorImpl>(12));
  const std::vector<int64_t> macs = ir::node_macs(g);
  const auto plain = [&](const quant::QuantConfig& qc) { return testing::plain_quantized_forward(g, x, qc); };
  // The brute-force order (last layer fastest), a repeat, a conv config after the
  // linear ones, and configurations the integer kernels refuse (16-bit data: int32
  // accumulator bound) or only partly take (a quantized ReLU between conv and pool).
  std::vector<quant::QuantConfig> configs;
  for (int d0 : {4, 8})
    for (int w3 : {2, 8})
      for (int w7 : {2, 4}) configs.push_back(incremental_cnn_config(d0, 4, 8, w3, 4, w7));
  configs.push_back(incremental_cnn_config(4, 4, 8, 2, 4, 2));
  configs.push_back(incremental_cnn_config(16, 16, 16, 16, 8, 8));
  quant::QuantConfig relu_quantized = incremental_cnn_config(8, 4, 8, 4, 8, 4);
  relu_quantized.nodes["seq_blocks_4"].data_in =
      quant::SlotFormat{quant::Format{quant::IntegerFormat{.width = 6, .frac_width = 3}}, false};
  configs.push_back(relu_quantized);
  configs.push_back(quant::QuantConfig{});
  for (int64_t budget : {int64_t{64} << 20, int64_t{600} << 10, int64_t{0}}) {
    IncrementalExecutor integer(g, x, incremental_test_options(budget, true));
    IncrementalExecutor float_only(g, x, incremental_test_options(budget, false));
    for (const quant::QuantConfig& qc : configs) {
      const at::Tensor want = plain(qc);
      EXPECT_TRUE(torch::equal(integer.forward(qc), want)) << quant::describe(qc.nodes.begin()->second);
      EXPECT_TRUE(torch::equal(float_only.forward(qc), want));
    }
    EXPECT_GT(integer.integer_nodes(), 0);
    EXPECT_EQ(float_only.integer_nodes(), 0);
    EXPECT_LE(integer.memo_bytes(), integer.memo_limit());
  }
  // With room: a new last layer recomputes only node 7, a new second conv from node 3
  // (its pooling fused in: no MACs counted twice).
  IncrementalExecutor ex(g, x, incremental_test_options(int64_t{64} << 20, true));
  int first = -1;
  ex.forward(incremental_cnn_config(8, 4, 8, 4, 8, 4), &first);
  EXPECT_EQ(first, 0);
  ex.forward(incremental_cnn_config(8, 4, 8, 4, 8, 2), &first);
  EXPECT_EQ(first, 7);
  const int64_t before = ex.macs_computed();
  ex.forward(incremental_cnn_config(8, 4, 8, 8, 8, 2), &first);
  EXPECT_EQ(first, 3);
  int64_t from3 = 0;
  for (int i = 3; i < 8; ++i) from3 += macs[i];
  EXPECT_EQ(ex.macs_computed() - before, x.size(0) * from3);
}

// Graph input -> convolutions a and b (8 outputs each) -> their sum, a and b in integer
// formats: the incremental executor runs both on integer kernels and gives the plain
// executor's numbers. Two readers of one value in one data format whose kernels lay
// the codes out differently must each get their own codes.
void expect_two_conv_readers_match(const std::string& name, const std::vector<int64_t>& sample_shape,
                                   const ir::Node& a, const ir::Node& b, const at::Tensor& x) {
  ir::Graph g(name, sample_shape);
  g.add(a);
  g.add(b);
  g.add(testing::op_node("join", ir::OpKind::Add, {0, 1}));
  quant::QuantConfig qc;
  qc.nodes[a.name] = testing::integer_node(8, 4);
  qc.nodes[b.name] = testing::integer_node(8, 6);
  const at::Tensor want = testing::plain_quantized_forward(g, x, qc);
  torch::NoGradGuard no_grad;
  IncrementalExecutor ex(g, x, incremental_test_options(int64_t{16} << 20, true));
  const at::Tensor got = ex.forward(qc);
  EXPECT_EQ(ex.integer_nodes(), 2);
  ASSERT_EQ(got.sizes(), want.sizes());
  EXPECT_TRUE(torch::equal(got, want));
}

// resnet's 3x3 conv and 1x1 downsample: different zero paddings need differently laid
// out codes; sharing one memo entry gave the 1x1 conv the padded codes (a 5x5 output, not 4x4).
TEST(IncrementalExecutor, ConvolutionsWithDifferentPaddingsKeepTheirOwnCodes) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(21);
  const auto conv = [&](const std::string& name, int64_t k, int64_t pad) {
    return testing::conv2d_node(name, {ir::kGraphInput}, torch::randn({8, 4, k, k}, gen) * 0.3,
                                torch::randn({8}, gen) * 0.1, 2, pad);
  };
  const ir::Node conv3x3 = conv("conv3x3", 3, 1), conv1x1 = conv("conv1x1", 1, 0);
  expect_two_conv_readers_match("two_paddings", {4, 7, 7}, conv3x3, conv1x1, torch::randn({6, 4, 7, 7}, gen));
}

// A depthwise conv reads NCHW codes, a groups-1 conv with the same padding padded
// channels-last ones (fails without the layout in the codes' memo key).
TEST(IncrementalExecutor, DepthwiseAndDenseConvolutionsKeepTheirOwnCodes) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(37);
  const auto conv = [&](const std::string& name, int64_t groups) {
    return testing::conv2d_node(name, {ir::kGraphInput}, torch::randn({8, 8 / groups, 3, 3}, gen) * 0.3, {}, 1, 1,
                                groups);
  };
  const ir::Node dense = conv("dense", 1), depthwise = conv("depthwise", 8);
  expect_two_conv_readers_match("dense_and_depthwise", {8, 6, 6}, dense, depthwise, torch::randn({5, 8, 6, 6}, gen));
}

}  // namespace
}  // namespace qdse::lower
