// Cost properties of TrialEvaluator, counted (multiply-accumulates, bytes), never
// timed: a trial that changes only the last layer recomputes only that layer, and the
// memo never holds more than its budget however many trials run.
#include <gtest/gtest.h>
#include <torch/types.h>

#include "../support/quant_configs.hpp"
#include "qdse/ir/zoo.hpp"
#include "qdse/pipeline/trial_evaluator.hpp"

namespace qdse::pipeline {
namespace {

quant::QuantConfig mlp_config(int w1, int w3, int w5, int d5 = 8) {
  quant::QuantConfig qc;
  qc.nodes["seq_blocks_1"] = testing::integer_node(8, w1);
  qc.nodes["seq_blocks_3"] = testing::integer_node(8, w3);
  qc.nodes["seq_blocks_5"] = testing::integer_node(d5, w5);
  return qc;
}

struct Mlp {
  ir::Graph g = ir::build_zoo_model("fmnist-mlp", 6);
  at::Tensor x = torch::randn({128, 1, 28, 28});
  at::Tensor y = torch::randint(0, 10, {128}, torch::kLong);
};

TEST(EvaluatorCost, LastLayerTrialCostsATenthOfAFloatForwardPass) {
  Mlp m;
  TrialEvaluator ev(m.g, m.x, m.y, EvalSettings{}, std::nullopt);
  ev.evaluate(mlp_config(4, 4, 4));
  const int64_t before = ev.macs_computed();
  const auto o = ev.evaluate(mlp_config(4, 4, 8, 4));  // only the last layer changes
  const int64_t trial_macs = ev.macs_computed() - before;
  const int64_t forward_macs = 128 * (784 * 256 + 256 * 128 + 128 * 10);
  EXPECT_EQ(o.first_recomputed_node, 5);
  EXPECT_EQ(trial_macs, 128 * 128 * 10);
  EXPECT_LE(trial_macs * 10, forward_macs);
}

TEST(EvaluatorCost, MemoStaysWithinItsBudget) {
  Mlp m;
  EvalSettings s;
  s.memo_budget_bytes = 600 * 1024;  // a few layer outputs of 128 samples
  TrialEvaluator ev(m.g, m.x, m.y, s, std::nullopt);
  for (int w1 : {2, 4, 8})
    for (int w3 : {2, 4, 8})
      for (int w5 : {2, 4, 8})
        for (int d5 : {4, 8}) {
          ev.evaluate(mlp_config(w1, w3, w5, d5));
          EXPECT_LE(ev.memo_bytes(), s.memo_budget_bytes);
        }
  EXPECT_GT(ev.memo_bytes(), 0);
}

}  // namespace
}  // namespace qdse::pipeline
