// TrialEvaluator's result cache keys on the configuration's value (quant/config_hash.hpp).
// It used to key on describe() text, which prints a ternary threshold to six digits:
// a configuration whose threshold differed only beyond them was answered with the
// other configuration's metrics, as a cache hit.
#include <gtest/gtest.h>
#include <torch/types.h>

#include "qdse/ir/zoo.hpp"
#include "qdse/pipeline/trial_evaluator.hpp"

namespace qdse::pipeline {
namespace {

quant::QuantConfig ternary_first_layer(double threshold) {
  quant::QuantConfig qc;
  qc.nodes["seq_blocks_1"].weight =
      quant::SlotFormat{quant::Format{quant::TernaryFormat{.threshold = threshold}}, false};
  return qc;
}

TEST(EvaluatorCache, ConfigsThatPrintAlikeAreNotCacheHits) {
  const ir::Graph g = ir::build_zoo_model("fmnist-mlp", 2);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(4);
  const at::Tensor x = torch::randn({64, 1, 28, 28}, gen), y = torch::randint(0, 10, {64}, gen, torch::kLong);
  const quant::QuantConfig a = ternary_first_layer(0.05), b = ternary_first_layer(0.05000001);
  ASSERT_EQ(quant::describe(a.nodes.at("seq_blocks_1")), quant::describe(b.nodes.at("seq_blocks_1")));
  for (int64_t memo : {int64_t{64} << 20, int64_t{0}}) {
    EvalSettings s;
    s.memo_budget_bytes = memo;
    TrialEvaluator ev(g, x, y, s, std::nullopt);
    EXPECT_FALSE(ev.evaluate(a).cached);
    const TrialOutcome ob = ev.evaluate(b);
    EXPECT_FALSE(ob.cached) << "memo budget " << memo;
    EXPECT_EQ(ob.first_recomputed_node, memo > 0 ? 1 : 0);  // node 0 (flatten) is shared
    EXPECT_TRUE(ev.evaluate(a).cached);
    EXPECT_EQ(ev.cache_hits(), 1);
  }
}

}  // namespace
}  // namespace qdse::pipeline
