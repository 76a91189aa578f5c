// The op table's shape rules and MAC counts against values worked out by hand
// (tests/support/op_shape_cases.hpp), for every OpKind.
#include "qdse/ir/op_shape.hpp"

#include <gtest/gtest.h>

#include <set>

#include "../support/errors.hpp"
#include "../support/op_shape_cases.hpp"
#include "qdse/core/error.hpp"
#include "qdse/ir/zoo.hpp"

namespace qdse::ir {
namespace {

std::vector<int64_t> per_sample(const std::vector<int64_t>& batched) {
  return {batched.begin() + 1, batched.end()};
}

TEST(OpShape, EveryOpKindHasAHandCheckedCase) {
  std::set<OpKind> covered;
  for (const auto& c : qdse::testing::op_shape_cases()) covered.insert(c.node.op);
  EXPECT_EQ(covered.size(), kOpKindCount);
}

TEST(OpShape, ShapesAndMacsMatchHandValues) {
  for (const auto& c : qdse::testing::op_shape_cases()) {
    SCOPED_TRACE(c.label);
    EXPECT_EQ(infer_node_shape(c.node, c.inputs), c.shape);
    EXPECT_EQ(node_macs(c.node, per_sample(c.shape)), c.macs);
  }
}

TEST(OpShape, MisfitInputsNameTheNode) {
  for (const auto& c : qdse::testing::op_shape_misfits()) {
    SCOPED_TRACE(c.label);
    const std::string err = qdse::testing::error_of([&] { infer_node_shape(c.node, c.inputs); });
    EXPECT_CONTAINS(err, "node 'n' (" + std::string(to_string(c.node.op)) + ") failed: ");
  }
}

TEST(OpShape, GraphShapesDropTheBatchAndChainNodes) {
  // fmnist-cnn: conv/pool stack into linear layers; the output is 10 logits.
  const Graph g = build_zoo_model("fmnist-cnn");
  const auto shapes = infer_shapes(g);
  ASSERT_EQ(shapes.size(), g.size());
  EXPECT_EQ(shapes.at(static_cast<std::size_t>(g.output())), (Shape{10}));
  const auto macs = node_macs(g);
  for (std::size_t i = 0; i < g.size(); ++i) {
    const Node& n = g.node(static_cast<int>(i));
    if (n.op != OpKind::Linear && n.op != OpKind::Conv2d) EXPECT_EQ(macs[i], 0) << n.name;
  }
}

}  // namespace
}  // namespace qdse::ir
