// Executor: runs an ir::Graph over a batch with libtorch ops (the graph interpreter).
//
// A Plan overrides parts of the float computation per node: a transform applied to
// the node's data inputs (activation quantization), replacement weight/bias tensors
// (weights quantized once per configuration, not per batch), and float64
// accumulation where float32 would not be exact. A null Plan runs the float graph.
// forward_range() runs a contiguous range of nodes given earlier values, which is
// the hook the prefix memo uses to recompute only from the first changed node.
// Thread-safety: an Executor is immutable after construction; forward() may be
// called from several threads at once (each call owns its values).
#pragma once

#include <ATen/core/Tensor.h>

#include <functional>
#include <vector>

#include "qdse/ir/graph.hpp"

namespace qdse::exec {

struct NodeOverride {
  // Applied to every data input of the node before the op (e.g. data_in quantizer).
  std::function<at::Tensor(const at::Tensor&)> input_transform;
  // Replacements for the node's float parameters; undefined tensors keep the float ones.
  at::Tensor weight, bias;
  // Compute the op in float64 (exact fixed-point accumulation for wide formats).
  bool float64 = false;
};

struct Plan {
  std::vector<NodeOverride> nodes;  // indexed like graph.nodes(); may be empty
  const NodeOverride* at(int index) const {
    return index < static_cast<int>(nodes.size()) ? &nodes[index] : nullptr;
  }
};

// Runs one node on its input values.
at::Tensor run_node(const ir::Node& node, const std::vector<at::Tensor>& inputs,
                    const NodeOverride* over, bool training);

class Executor {
 public:
  explicit Executor(const ir::Graph& graph) : graph_(graph) {}

  // Output of the graph for a batch x of shape [N, ...input_shape].
  at::Tensor forward(const at::Tensor& x, const Plan* plan = nullptr, bool training = false) const;

  // Computes values[first..end) given values[0..first) (values.size() == graph size).
  void forward_range(std::vector<at::Tensor>& values, const at::Tensor& x, int first, int end,
                     const Plan* plan, bool training) const;

  const ir::Graph& graph() const { return graph_; }

 private:
  const ir::Graph& graph_;
};

}  // namespace qdse::exec
