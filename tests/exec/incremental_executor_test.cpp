// lower::IncrementalExecutor on its own: a configuration recomputes from the first node
// whose prefix is new, the memo evicts least-recently-used entries within its budget,
// and every shortcut (memo, integer kernels, fused ReLU) gives the plain path's numbers.
// Costs are counted (MACs, bytes, first recomputed node), never timed.
#include <gtest/gtest.h>
#include <torch/types.h>
#include <torch/utils.h>

#include "../support/quant_configs.hpp"
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
  // Float kernels: entries are node outputs only (float32), one per node but the last.
  const int64_t flatten_bytes = kIncrementalSamples * 784 * 4;
  const int64_t per_config = kIncrementalSamples * (256 + 256 + 128 + 128) * 4;  // nodes 1-4 of one config
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
  run(incremental_test_config(2, 2, 2));  // A: flatten output, then A's nodes 1-4
  EXPECT_EQ(first, 0);
  run(incremental_test_config(4, 2, 2));  // B: reuses the flatten output, evicts A's oldest
  EXPECT_EQ(first, 1);
  run(incremental_test_config(4, 2, 2));  // B is the most recent: all but the output kept
  EXPECT_EQ(first, 5);
  // The flatten output is the oldest entry but was used by B, so it outlived A's
  // entries: a new first layer still starts at node 1.
  run(incremental_test_config(8, 2, 2));
  EXPECT_EQ(first, 1);
  // A with another third layer: A's nodes 1-2 were evicted (nodes 1-2 are recomputed),
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

}  // namespace
}  // namespace qdse::lower
