// ir::relu_fusions: the graph-only half of ReLU fusion (which node may compute the
// ReLU that follows it). The executor adds the configuration half.
#include <gtest/gtest.h>

#include "qdse/ir/fusion.hpp"
#include "qdse/ir/graph.hpp"
#include "qdse/ir/zoo.hpp"

namespace qdse::ir {
namespace {

Node fusion_test_node(const std::string& name, OpKind op, std::vector<int> inputs) {
  Node n;
  n.name = name;
  n.op = op;
  n.inputs = std::move(inputs);
  return n;
}

TEST(ReluFusion, EachLinearOfTheMlpTakesTheReluAfterIt) {
  const Graph g = build_zoo_model("fmnist-mlp", 1);  // flatten, linear, relu, linear, relu, linear
  EXPECT_EQ(relu_fusions(g), (std::vector<int>{-1, 2, -1, 4, -1, -1}));
}

TEST(ReluFusion, NotWhenTheValueBeforeTheReluIsReadElsewhere) {
  Graph g("g", {4});
  g.add(fusion_test_node("a", OpKind::Linear, {kGraphInput}));
  g.add(fusion_test_node("r", OpKind::Relu, {0}));
  g.add(fusion_test_node("s", OpKind::Add, {1, 0}));  // reads a's value before the ReLU
  EXPECT_EQ(relu_fusions(g), (std::vector<int>{-1, -1, -1}));
}

TEST(ReluFusion, NotWhenTheReluIsNotNextOrReadsMore) {
  Graph g("g", {4});
  g.add(fusion_test_node("a", OpKind::Linear, {kGraphInput}));
  g.add(fusion_test_node("b", OpKind::Linear, {kGraphInput}));
  g.add(fusion_test_node("r", OpKind::Relu, {0}));     // a's only reader, but not a + 1
  g.add(fusion_test_node("m", OpKind::Add, {1, 1}));   // b read twice: two readers
  g.add(fusion_test_node("q", OpKind::Relu, {3}));     // m's only reader, right after it
  EXPECT_EQ(relu_fusions(g), (std::vector<int>{-1, -1, -1, 4, -1}));
}

TEST(ReluFusion, NotWhenTheNodeIsTheGraphOutput) {
  Graph g("g", {4});
  g.add(fusion_test_node("a", OpKind::Linear, {kGraphInput}));
  g.add(fusion_test_node("r", OpKind::Relu, {0}));
  EXPECT_EQ(relu_fusions(g), (std::vector<int>{1, -1}));
  g.set_output(0);
  EXPECT_EQ(relu_fusions(g), (std::vector<int>{-1, -1}));
}

}  // namespace
}  // namespace qdse::ir
