// Graph: what a network is. A named list of nodes in topological order, each with
// an op kind, a name, attributes, parameters (float tensors) and input edges.
//
// Node names follow MASE's torch.fx naming (module path "seq_blocks.2" becomes node
// "seq_blocks_2"), so MASE "by name" configs address the same layers. Input edge
// kGraphInput (-1) stands for the graph's single input tensor.
// Ownership: the Graph owns its nodes; parameter tensors are reference-counted
// libtorch tensors, so copying a Graph shares the weights (clone_params() to detach).
// Thread-safety: a const Graph may be read from many threads.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "qdse/ir/op_kind.hpp"

namespace qdse::ir {

inline constexpr int kGraphInput = -1;

// Attributes of every op kind in one flat struct: few ops, few fields, and a flat
// struct is trivially copyable and printable. Fields an op does not use stay default.
struct Attrs {
  int64_t in_features = 0, out_features = 0;           // linear
  int64_t in_channels = 0, out_channels = 0;           // conv2d
  std::vector<int64_t> kernel, stride, padding, dilation;  // conv2d, pools (2 values)
  int64_t groups = 1;
  bool bias = true;
  int64_t num_features = 0;  // batch norm
  double eps = 1e-5, momentum = 0.1;
  int64_t start_dim = 1, end_dim = -1;   // flatten
  std::vector<int64_t> output_size;      // adaptive avg pool
  double p = 0.5;                        // dropout
  int64_t dim = 1;                       // softmax
  bool ceil_mode = false;                // pools
  // Added for ONNX import (docs/onnx.md).
  // add/sub/mul/div/matmul: the node's constant param "operand" takes this input
  // slot (0 = left, 1 = right); -1 = no constant, all operands are node inputs.
  int64_t const_operand = -1;
  double negative_slope = 0.01;                      // leaky_relu
  double clamp_min = -std::numeric_limits<double>::infinity();  // clamp
  double clamp_max = std::numeric_limits<double>::infinity();
  std::vector<int64_t> shape;  // reshape: target shape of one sample (batch excluded)
  std::vector<int64_t> perm;   // permute: full permutation, perm[0] == 0 (batch stays)
  // slice: elements [slice_start, slice_end) step slice_step of axis `dim` (not the batch),
  // bounds already clamped to that axis at import.
  int64_t slice_start = 0, slice_end = 0, slice_step = 1;
  std::vector<int64_t> axes;   // squeeze/unsqueeze: non-negative, batch axis counted
  bool count_include_pad = true;  // avg_pool2d (PyTorch's default; ONNX's is false)
  // cat joins its inputs along `dim` (batch axis counted).
};

struct Node {
  std::string name;
  OpKind op;
  std::vector<int> inputs;  // indices of earlier nodes, or kGraphInput
  Attrs attrs;
  // "weight", "bias", "running_mean", "running_var" as applicable.
  std::map<std::string, at::Tensor> params;

  const at::Tensor* param(const std::string& key) const;
};

class Graph {
 public:
  Graph() = default;
  Graph(std::string name, std::vector<int64_t> input_shape);

  // Appends a node; checks that the name is unique and valid and that inputs refer
  // to earlier nodes. Returns the node's index.
  int add(Node node);

  const std::string& name() const { return name_; }
  // Shape of one sample (without the batch dimension), e.g. {1, 28, 28}.
  const std::vector<int64_t>& input_shape() const { return input_shape_; }
  const std::vector<Node>& nodes() const { return nodes_; }
  std::vector<Node>& nodes() { return nodes_; }
  const Node& node(int index) const { return nodes_.at(index); }
  std::size_t size() const { return nodes_.size(); }
  // Index of the output node (the last node unless set).
  int output() const { return output_ >= 0 ? output_ : static_cast<int>(nodes_.size()) - 1; }
  void set_output(int index) { output_ = index; }

  std::optional<int> find(const std::string& node_name) const;
  // Number of trainable parameter elements (weights and biases; as PyTorch's
  // sum(p.numel() for p in parameters()), so batch-norm running stats are not counted).
  int64_t num_params() const;
  // Parameters that a trainer updates (weights and biases; not running stats).
  std::vector<at::Tensor> trainable_params() const;
  // Deep-copies every parameter tensor so training this graph leaves others intact.
  Graph clone_params() const;

 private:
  std::string name_;
  std::vector<int64_t> input_shape_;
  std::vector<Node> nodes_;
  int output_ = -1;
};

// MASE/torch.fx node name of a module path: "seq_blocks.2" -> "seq_blocks_2".
std::string fx_node_name(const std::string& module_path);

}  // namespace qdse::ir
