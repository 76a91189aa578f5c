// The op table's shape rules (ir/op_shape) against libtorch itself: the interpreter
// runs each example node and each built-in model, and every output shape must be
// the one the rules give, without a forward pass; where libtorch refuses the
// inputs, the rules must refuse them too.
#include <gtest/gtest.h>
#include <torch/types.h>
#include <torch/utils.h>

#include "../support/op_shape_cases.hpp"
#include "qdse/core/error.hpp"
#include "qdse/exec/executor.hpp"
#include "qdse/ir/op_shape.hpp"
#include "qdse/ir/zoo.hpp"

namespace qdse::exec {
namespace {

at::Tensor run_on_zeros(const qdse::testing::OpShapeCase& c) {
  std::vector<at::Tensor> in;
  for (const auto& s : c.inputs) in.push_back(torch::zeros(s));
  return run_node(c.node, in, nullptr, /*training=*/false);
}

TEST(OpShapeCrosscheck, RulesGiveWhatLibtorchComputes) {
  torch::NoGradGuard no_grad;
  for (const auto& c : qdse::testing::op_shape_cases()) {
    SCOPED_TRACE(c.label);
    EXPECT_EQ(run_on_zeros(c).sizes().vec(), ir::infer_node_shape(c.node, c.inputs));
  }
}

TEST(OpShapeCrosscheck, RulesRefuseWhatLibtorchRefuses) {
  torch::NoGradGuard no_grad;
  for (const auto& c : qdse::testing::op_shape_misfits()) {
    SCOPED_TRACE(c.label);
    if (c.torch_refuses) EXPECT_ANY_THROW(run_on_zeros(c));  // c10::Error, or std::runtime_error from reshape
    EXPECT_THROW(ir::infer_node_shape(c.node, c.inputs), qdse::Error);
  }
}

TEST(OpShapeCrosscheck, EveryZooModelMatchesAForwardPass) {
  torch::NoGradGuard no_grad;
  for (const auto& entry : ir::zoo_models()) {
    SCOPED_TRACE(entry.name);
    const ir::Graph g = ir::build_zoo_model(entry.name);
    std::vector<int64_t> x_shape = {3};
    x_shape.insert(x_shape.end(), g.input_shape().begin(), g.input_shape().end());
    std::vector<at::Tensor> values(g.size());
    Executor(g).forward_range(values, torch::zeros(x_shape), 0, static_cast<int>(g.size()), nullptr, false);
    const auto shapes = ir::infer_shapes(g);
    ASSERT_EQ(shapes.size(), g.size());
    for (std::size_t i = 0; i < g.size(); ++i) {
      const auto s = values[i].sizes().vec();
      EXPECT_EQ(std::vector<int64_t>(s.begin() + 1, s.end()), shapes[i]) << g.node(static_cast<int>(i)).name;
    }
  }
}

}  // namespace
}  // namespace qdse::exec
