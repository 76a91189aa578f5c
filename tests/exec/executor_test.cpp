#include <gtest/gtest.h>
#include <torch/types.h>
#include <torch/utils.h>

#include <cmath>
#include <limits>

#include "qdse/core/error.hpp"
#include "qdse/exec/evaluate.hpp"
#include "qdse/exec/executor.hpp"
#include "qdse/ir/op_shape.hpp"
#include "qdse/ir/zoo.hpp"

namespace qdse::exec {
namespace {

ir::Graph tiny_linear() {
  ir::Graph g("tiny", {2});
  ir::Node lin;
  lin.name = "fc";
  lin.op = ir::OpKind::Linear;
  lin.inputs = {ir::kGraphInput};
  lin.params["weight"] = torch::tensor({1.0f, 2.0f, -1.0f, 0.5f}).reshape({2, 2});
  lin.params["bias"] = torch::tensor({0.5f, -1.0f});
  g.add(lin);
  ir::Node relu;
  relu.name = "act";
  relu.op = ir::OpKind::Relu;
  relu.inputs = {0};
  g.add(relu);
  return g;
}

TEST(Executor, LinearReluByHand) {
  const auto g = tiny_linear();
  const auto y = Executor(g).forward(torch::tensor({1.0f, 1.0f}).reshape({1, 2}));
  // fc: [1+2+0.5, -1+0.5-1] = [3.5, -1.5]; relu -> [3.5, 0]
  EXPECT_FLOAT_EQ(y[0][0].item<float>(), 3.5f);
  EXPECT_FLOAT_EQ(y[0][1].item<float>(), 0.0f);
}

TEST(Executor, PlanOverridesWeightsAndInputs) {
  const auto g = tiny_linear();
  Plan plan;
  plan.nodes.resize(g.size());
  plan.nodes[0].weight = torch::zeros({2, 2});
  plan.nodes[0].input_transform = [](const at::Tensor& t) { return t * 2; };
  const auto y = Executor(g).forward(torch::ones({1, 2}), &plan);
  EXPECT_FLOAT_EQ(y[0][0].item<float>(), 0.5f);  // bias only
  plan.nodes[0].float64 = true;
  EXPECT_EQ(Executor(g).forward(torch::ones({1, 2}), &plan).dtype(), torch::kFloat32);
}

TEST(Executor, ForwardRangeResumesFromCachedPrefix) {
  const auto g = ir::build_zoo_model("fmnist-mlp", 3);
  const auto x = torch::randn({5, 1, 28, 28});
  Executor ex(g);
  std::vector<at::Tensor> values(g.size());
  ex.forward_range(values, x, 0, 3, nullptr, false);
  ex.forward_range(values, x, 3, static_cast<int>(g.size()), nullptr, false);
  EXPECT_TRUE(torch::equal(values.back(), ex.forward(x)));
}

TEST(Executor, ShapeMismatchNamesTheNode) {
  const auto g = ir::build_zoo_model("fmnist-mlp");
  try {
    Executor(g).forward(torch::zeros({2, 1, 20, 20}));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("seq_blocks_1"), std::string::npos) << e.what();
  }
}

TEST(NodeMacs, MatchHandCounts) {
  auto sum = [](const std::vector<int64_t>& v) {
    int64_t s = 0;
    for (auto m : v) s += m;
    return s;
  };
  EXPECT_EQ(sum(ir::node_macs(ir::build_zoo_model("fmnist-mlp"))), 784 * 256 + 256 * 128 + 128 * 10);
  // conv1 28*28*8*9, conv2 14*14*16*72, linear 784*10
  EXPECT_EQ(sum(ir::node_macs(ir::build_zoo_model("fmnist-cnn"))),
            28 * 28 * 8 * 9 + 14 * 14 * 16 * 72 + 784 * 10);
  const auto tiny = ir::node_macs(ir::build_zoo_model("jsc-tiny"));
  EXPECT_EQ(tiny[2], 80);
  EXPECT_EQ(sum(tiny), 80);
}

TEST(Evaluate, ScoresLogitsByHand) {
  // 4 samples, 3 classes; ties go to the lowest index (sample 3 -> class 0).
  const auto logits = torch::tensor({2.0f, 1.0f, 0.0f, 0.0f, 3.0f, 1.0f, 0.0f, 0.0f, 5.0f,
                                     1.0f, 1.0f, 0.0f}).reshape({4, 3});
  const auto y = torch::tensor({0, 1, 1, 0}, torch::kLong);
  const auto r = score_logits(logits, y);
  EXPECT_DOUBLE_EQ(r.accuracy, 0.75);
  // class 0: 2/2, class 1: 1/2 -> macro 0.75; class 2 absent is skipped
  EXPECT_DOUBLE_EQ(r.macro_accuracy, 0.75);
  const double expected_loss =
      (-std::log(std::exp(2.0) / (std::exp(2.0) + std::exp(1.0) + 1)) -
       std::log(std::exp(3.0) / (1 + std::exp(3.0) + std::exp(1.0))) -
       std::log(1 / (2 + std::exp(5.0))) - std::log(std::exp(1.0) / (2 * std::exp(1.0) + 1))) / 4;
  EXPECT_NEAR(r.loss, expected_loss, 1e-9);
}

// The chunked scorer (branch-free argmax, one log per chunk of rows) against a plain
// per-row float64 reference: many rows, ties, and NaN rows (the first NaN is the argmax,
// as torch.argmax; any NaN makes the loss NaN).
TEST(Evaluate, ScoresManyRowsLikeAPlainReference) {
  torch::manual_seed(3);
  const int64_t n = 3001, classes = 10;
  auto logits = (torch::randn({n, classes}) * 4).round();  // rounded: many exact ties
  const auto y = torch::randint(0, classes, {n}, torch::kLong);
  auto reference = [&](const at::Tensor& l, int64_t& correct) {
    const auto a = l.accessor<float, 2>();
    const auto t = y.accessor<int64_t, 1>();
    double loss = 0;
    correct = 0;
    for (int64_t i = 0; i < n; ++i) {
      int64_t best = 0;
      for (int64_t c = 1; c < classes && !std::isnan(a[i][best]); ++c)
        if (a[i][c] > a[i][best] || std::isnan(a[i][c])) best = c;
      double sum = 0;
      for (int64_t c = 0; c < classes; ++c) sum += std::exp(double(a[i][c]) - double(a[i][best]));
      loss += double(a[i][best]) + std::log(sum) - double(a[i][t[i]]);
      correct += best == t[i];
    }
    return loss / n;
  };
  int64_t correct = 0;
  const double want = reference(logits, correct);
  auto r = score_logits(logits, y);
  EXPECT_EQ(r.accuracy, double(correct) / n);
  EXPECT_NEAR(r.loss, want, 1e-12 * std::abs(want));
  logits[17][4] = std::numeric_limits<float>::quiet_NaN();
  logits[17][7] = std::numeric_limits<float>::quiet_NaN();
  reference(logits, correct);
  r = score_logits(logits, y);
  EXPECT_EQ(r.accuracy, double(correct) / n);
  EXPECT_TRUE(std::isnan(r.loss));
}

TEST(Evaluate, BatchingDoesNotChangeResults) {
  const auto g = ir::build_zoo_model("fmnist-mlp", 1);
  const auto x = torch::randn({50, 1, 28, 28});
  const auto y = torch::randint(0, 10, {50}, torch::kLong);
  EvalOptions a, b;
  a.batch_size = 7;
  b.batch_size = 1000;
  const auto ra = evaluate(g, nullptr, x, y, a), rb = evaluate(g, nullptr, x, y, b);
  EXPECT_EQ(ra.accuracy, rb.accuracy);
  EXPECT_NEAR(ra.loss, rb.loss, 1e-6);
  b.num_samples = 20;
  EXPECT_EQ(evaluate(g, nullptr, x, y, b).samples, 20);
}

}  // namespace
}  // namespace qdse::exec
