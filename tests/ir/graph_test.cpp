#include <gtest/gtest.h>
#include <torch/types.h>

#include "qdse/core/error.hpp"
#include "qdse/ir/graph.hpp"
#include "qdse/ir/zoo.hpp"

namespace qdse::ir {
namespace {

TEST(FxNodeName, ReplacesDotsLikeTorchFx) {
  EXPECT_EQ(fx_node_name("seq_blocks.2"), "seq_blocks_2");
  EXPECT_EQ(fx_node_name("features.0.conv.1"), "features_0_conv_1");
  EXPECT_EQ(fx_node_name("fc"), "fc");
}

TEST(OpKind, NamesRoundTripAndUnknownIsEmpty) {
  for (std::size_t i = 0; i < kOpKindCount; ++i) {
    const auto k = static_cast<OpKind>(i);
    EXPECT_EQ(parse_op_kind(to_string(k)), k);
  }
  EXPECT_FALSE(parse_op_kind("lstm").has_value());
  EXPECT_NE(list_op_kinds().find("conv2d"), std::string::npos);
}

Node relu_node(const std::string& name, int input) {
  Node n;
  n.name = name;
  n.op = OpKind::Relu;
  n.inputs = {input};
  return n;
}

TEST(Graph, RejectsDuplicateBadNamesAndForwardEdges) {
  Graph g("g", {4});
  EXPECT_EQ(g.add(relu_node("a", kGraphInput)), 0);
  EXPECT_THROW(g.add(relu_node("a", 0)), Error);          // duplicate
  EXPECT_THROW(g.add(relu_node("seq.1", 0)), Error);      // not an identifier
  EXPECT_THROW(g.add(relu_node("b", 1)), Error);          // refers to itself / later node
  EXPECT_THROW(g.add(relu_node("c", -2)), Error);
  EXPECT_EQ(g.add(relu_node("b", 0)), 1);
  EXPECT_EQ(g.find("b"), 1);
  EXPECT_FALSE(g.find("zz"));
  EXPECT_EQ(g.output(), 1);
}

TEST(Zoo, ParameterCountsMatchPyTorch) {
  // Counts from the reference PyTorch models (bench/peer/models/train_report.json).
  EXPECT_EQ(build_zoo_model("fmnist-mlp").num_params(), 235146);
  EXPECT_EQ(build_zoo_model("fmnist-cnn").num_params(), 9098);
  // jsc-tiny: BatchNorm1d(16) affine (32) + Linear(16,5) (85).
  EXPECT_EQ(build_zoo_model("jsc-tiny").num_params(), 117);
  // jsc-toy: bn16 32 + 16*8+8 + bn8 16 + 8*8+8 + bn8 16 + 8*5+5 + bn5 10.
  EXPECT_EQ(build_zoo_model("jsc-toy").num_params(), 32 + 136 + 16 + 72 + 16 + 45 + 10);
}

TEST(Zoo, NodeNamesFollowMaseFxNaming) {
  const Graph g = build_zoo_model("jsc-tiny");
  ASSERT_EQ(g.size(), 4u);
  EXPECT_EQ(g.node(0).name, "seq_blocks_0");
  EXPECT_EQ(g.node(0).op, OpKind::BatchNorm1d);
  EXPECT_EQ(g.node(2).name, "seq_blocks_2");
  EXPECT_EQ(g.node(2).op, OpKind::Linear);
  EXPECT_EQ(g.node(2).param("weight")->sizes(), (std::vector<int64_t>{5, 16}));
  const Graph s = build_zoo_model("jsc-s");
  EXPECT_EQ(s.node(2).name, "module_list_2");
  EXPECT_EQ(s.node(13).op, OpKind::Relu);
}

TEST(Zoo, SameSeedSameWeightsOtherSeedOther) {
  const Graph a = build_zoo_model("fmnist-mlp", 7), b = build_zoo_model("fmnist-mlp", 7);
  const Graph c = build_zoo_model("fmnist-mlp", 8);
  EXPECT_TRUE(torch::equal(*a.node(1).param("weight"), *b.node(1).param("weight")));
  EXPECT_FALSE(torch::equal(*a.node(1).param("weight"), *c.node(1).param("weight")));
  // PyTorch's default init bound is 1/sqrt(fan_in).
  EXPECT_LE(a.node(1).param("weight")->abs().max().item<float>(), 1.0f / std::sqrt(784.0f));
}

TEST(Zoo, UnknownModelListsTheZoo) {
  try {
    build_zoo_model("resnet50");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("fmnist-mlp"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("resnet50"), std::string::npos);
  }
}

TEST(Graph, CloneParamsDetachesWeights) {
  const Graph a = build_zoo_model("jsc-tiny");
  Graph b = a.clone_params();
  b.nodes()[2].params["weight"].add_(1.0);
  EXPECT_FALSE(torch::equal(*a.node(2).param("weight"), *b.node(2).param("weight")));
}

}  // namespace
}  // namespace qdse::ir
