// Shape inference and MAC counts of every OpKind, from attributes and parameter
// shapes alone (no tensor is computed). The rules sit in one table beside the op
// traits (op_shape.cpp, one row per OpKind, static_asserted complete and in order);
// the interpreter, the cost metrics, `qdse layers`/`models` and the trainer all
// read shapes and MACs through these functions.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "qdse/ir/graph.hpp"

namespace qdse::ir {

using Shape = std::vector<int64_t>;

// Output shape of `node` given its input shapes (batch dimension included, as the
// interpreter sees tensors). Throws qdse::Error(InvalidArgument) naming the node
// when the inputs do not fit the op ("node 'fc1' (linear) failed: ...").
Shape infer_node_shape(const Node& node, std::span<const Shape> inputs);

// Multiply-accumulates per sample of `node` whose output shape for one sample
// (batch dropped) is `sample_shape`: linear = rows * weight elements, conv2d =
// H_out * W_out * weight elements; 0 for every other op.
int64_t node_macs(const Node& node, const Shape& sample_shape);

// Output shape of every node for one sample (batch dimension dropped).
std::vector<Shape> infer_shapes(const Graph& graph);
// Multiply-accumulates per sample of every node (0 for ops without MACs).
std::vector<int64_t> node_macs(const Graph& graph);

}  // namespace qdse::ir
