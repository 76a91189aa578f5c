// One small example per OpKind (several for ops whose shape rule branches), with
// the output shape and MACs worked out by hand. tests/ir checks the op table's
// rules against the hand values; tests/exec checks that libtorch, run on the same
// nodes, agrees with the rules (and fails where they fail).
#pragma once

#include <torch/types.h>

#include <string>
#include <vector>

#include "qdse/ir/graph.hpp"

namespace qdse::testing {

struct OpShapeCase {
  std::string label;
  ir::Node node;
  std::vector<std::vector<int64_t>> inputs;  // batch dimension (2) included
  std::vector<int64_t> shape;                // expected output, batch included
  int64_t macs = 0;                          // expected per sample
  // Misfits only: libtorch refuses it too. False where the rule is stricter than the
  // op: slice bounds are clamped at import, so one past the axis is a broken graph,
  // while libtorch's slice would clamp it silently.
  bool torch_refuses = true;
};

inline ir::Node shape_case_node(ir::OpKind op, int inputs = 1) {
  ir::Node n;
  n.name = "n";
  n.op = op;
  for (int i = 0; i < inputs; ++i) n.inputs.push_back(ir::kGraphInput);
  return n;
}

inline std::vector<OpShapeCase> op_shape_cases() {
  using ir::OpKind;
  std::vector<OpShapeCase> c;
  auto add = [&](std::string label, ir::Node n, std::vector<std::vector<int64_t>> in,
                 std::vector<int64_t> out, int64_t macs = 0) {
    c.push_back({std::move(label), std::move(n), std::move(in), std::move(out), macs});
  };
  {  // rows 3 (a sequence) x 20 weights per sample
    auto n = shape_case_node(OpKind::Linear);
    n.params["weight"] = torch::zeros({4, 5});
    n.params["bias"] = torch::zeros({4});
    add("linear over a sequence", n, {{2, 3, 5}}, {2, 3, 4}, 3 * 20);
  }
  {  // H = W = (9 + 2 - 2 - 1) / 2 + 1 = 5; 25 outputs x 216 weights
    auto n = shape_case_node(OpKind::Conv2d);
    n.params["weight"] = torch::zeros({8, 3, 3, 3});
    n.attrs.stride = {2, 2}, n.attrs.padding = {1, 1}, n.attrs.dilation = {1, 1};
    add("conv2d strided padded", n, {{2, 3, 9, 9}}, {2, 8, 5, 5}, 25 * 216);
  }
  {  // H = (10 - 2*2 - 1) / 1 + 1 = 6; W = (8 + 2 - 2 - 1) / 2 + 1 = 4; 24 x 108 weights
    auto n = shape_case_node(OpKind::Conv2d);
    n.params["weight"] = torch::zeros({6, 2, 3, 3});
    n.attrs.groups = 2, n.attrs.stride = {1, 2}, n.attrs.padding = {0, 1}, n.attrs.dilation = {2, 1};
    add("conv2d grouped dilated", n, {{2, 4, 10, 8}}, {2, 6, 6, 4}, 24 * 108);
  }
  for (OpKind op : {OpKind::BatchNorm1d, OpKind::BatchNorm2d}) {  // a weight, yet no MACs
    auto n = shape_case_node(op);
    for (const char* k : {"weight", "bias", "running_mean"}) n.params[k] = torch::zeros({3});
    n.params["running_var"] = torch::ones({3});
    const std::vector<int64_t> s = op == OpKind::BatchNorm1d ? std::vector<int64_t>{2, 3}
                                                              : std::vector<int64_t>{2, 3, 4, 4};
    add(op == OpKind::BatchNorm1d ? "batch_norm1d" : "batch_norm2d", n, {s}, s);
  }
  for (OpKind op : {OpKind::Relu, OpKind::Dropout, OpKind::LeakyRelu, OpKind::Clamp, OpKind::Sigmoid,
                    OpKind::Tanh}) {
    add(std::string(ir::to_string(op)), shape_case_node(op), {{2, 7, 3}}, {2, 7, 3});
  }
  {  // floor: (6 - 3) / 2 + 1 = 2; ceil: ceil(3 / 2) + 1 = 3, last window starts at 4 < 6
    auto n = shape_case_node(OpKind::MaxPool2d);
    n.attrs.kernel = {3, 3}, n.attrs.stride = {2, 2}, n.attrs.ceil_mode = true;
    add("max_pool2d ceil_mode", n, {{2, 3, 6, 6}}, {2, 3, 3, 3});
    n.attrs.ceil_mode = false;
    add("max_pool2d floor", n, {{2, 3, 6, 6}}, {2, 3, 2, 2});
  }
  {  // ceil: ceil((5 + 2 - 2) / 2) + 1 = 4, but window 4 would start at 6 >= 5 + 1: 3
    auto n = shape_case_node(OpKind::MaxPool2d);
    n.attrs.kernel = {2, 2}, n.attrs.stride = {2, 2}, n.attrs.padding = {1, 1}, n.attrs.ceil_mode = true;
    add("max_pool2d ceil_mode last window dropped", n, {{2, 1, 5, 5}}, {2, 1, 3, 3});
  }
  {  // stride defaults to the kernel: (5 - 2) / 2 + 1 = 2, (7 - 3) / 3 + 1 = 2
    auto n = shape_case_node(OpKind::AvgPool2d);
    n.attrs.kernel = {2, 3};
    add("avg_pool2d stride = kernel", n, {{2, 2, 5, 7}}, {2, 2, 2, 2});
  }
  {
    auto n = shape_case_node(OpKind::AdaptiveAvgPool2d);
    add("adaptive_avg_pool2d default 1x1", n, {{2, 4, 5, 5}}, {2, 4, 1, 1});
    n.attrs.output_size = {2, 3};
    add("adaptive_avg_pool2d 2x3", n, {{2, 4, 5, 5}}, {2, 4, 2, 3});
  }
  {
    auto n = shape_case_node(OpKind::Flatten);
    add("flatten 1..-1", n, {{2, 3, 4, 5}}, {2, 60});
    n.attrs.start_dim = 2;
    add("flatten 2..-1", n, {{2, 3, 4, 5}}, {2, 3, 20});
  }
  {
    auto n = shape_case_node(OpKind::Add, 2);
    add("add broadcast", n, {{2, 3, 1}, {2, 1, 4}}, {2, 3, 4});
    n.params["operand"] = torch::zeros({4});
    add("add broadcast + constant", n, {{2, 3, 1}, {2, 1, 4}}, {2, 3, 4});
  }
  {
    auto n = shape_case_node(OpKind::Softmax);
    n.attrs.dim = -1;
    add("softmax", n, {{2, 5}}, {2, 5});
  }
  {
    auto n = shape_case_node(OpKind::Sub);
    n.params["operand"] = torch::zeros({5});
    n.attrs.const_operand = 0;
    add("sub constant - x", n, {{2, 3, 5}}, {2, 3, 5});
  }
  add("mul of two inputs", shape_case_node(OpKind::Mul, 2), {{2, 4, 1}, {2, 1, 6}}, {2, 4, 6});
  {
    auto n = shape_case_node(OpKind::Div);
    n.params["operand"] = torch::ones({3, 1});
    n.attrs.const_operand = 1;
    add("div x / constant", n, {{2, 1, 4}}, {2, 3, 4});
  }
  add("matmul of two inputs", shape_case_node(OpKind::MatMul, 2), {{2, 3, 4}, {2, 4, 5}}, {2, 3, 5});
  {
    auto n = shape_case_node(OpKind::MatMul);
    n.attrs.const_operand = 1;
    n.params["operand"] = torch::zeros({4, 6});
    add("matmul x @ matrix", n, {{2, 3, 4}}, {2, 3, 6});
    n.params["operand"] = torch::zeros({4});
    add("matmul x @ vector", n, {{2, 3, 4}}, {2, 3});
    n.params["operand"] = torch::zeros({5, 4, 2});
    add("matmul broadcast batch", n, {{2, 1, 3, 4}}, {2, 5, 3, 2});
    n.attrs.const_operand = 0;
    n.params["operand"] = torch::zeros({3});
    add("matmul vector @ x", n, {{2, 3, 4}}, {2, 4});
  }
  {
    auto n = shape_case_node(OpKind::Reshape);
    n.attrs.shape = {4, -1};
    add("reshape with -1", n, {{2, 3, 4}}, {2, 4, 3});
    n.attrs.shape = {12};
    add("reshape", n, {{2, 3, 4}}, {2, 12});
  }
  {
    auto n = shape_case_node(OpKind::Permute);
    n.attrs.perm = {0, 2, 3, 1};
    add("permute", n, {{2, 3, 4, 5}}, {2, 4, 5, 3});
  }
  {
    auto n = shape_case_node(OpKind::Squeeze);
    n.attrs.axes = {1, 3};
    add("squeeze", n, {{2, 1, 4, 1}}, {2, 4});
    n.attrs.axes = {2};
    add("squeeze of a dimension that is not 1", n, {{2, 1, 4, 1}}, {2, 1, 4, 1});
  }
  {
    auto n = shape_case_node(OpKind::Unsqueeze);
    n.attrs.axes = {1, 3};
    add("unsqueeze", n, {{2, 4, 5}}, {2, 1, 4, 1, 5});
  }
  {
    auto n = shape_case_node(OpKind::Cat, 2);
    add("cat dim 1", n, {{2, 3, 4}, {2, 5, 4}}, {2, 8, 4});
    n.attrs.dim = -1;
    add("cat dim -1", n, {{2, 3, 4}, {2, 3, 2}}, {2, 3, 6});
  }
  {
    auto n = shape_case_node(OpKind::Slice);
    n.attrs.dim = 1;
    n.attrs.slice_start = 2;
    n.attrs.slice_end = 8;
    add("slice channels 2..8", n, {{2, 8, 3, 3}}, {2, 6, 3, 3});
    n.attrs.slice_step = 4;
    add("slice channels 2..8 step 4", n, {{2, 8, 3, 3}}, {2, 2, 3, 3});
  }
  return c;
}

// Nodes whose inputs do not fit: the rules must refuse them, as libtorch does.
inline std::vector<OpShapeCase> op_shape_misfits() {
  using ir::OpKind;
  std::vector<OpShapeCase> c;
  auto add = [&](std::string label, ir::Node n, std::vector<std::vector<int64_t>> in) {
    c.push_back({std::move(label), std::move(n), std::move(in), {}, 0});
  };
  {
    auto n = shape_case_node(OpKind::Linear);
    n.params["weight"] = torch::zeros({4, 5});
    add("linear: 6 features into a 5-wide weight", n, {{2, 6}});
  }
  {
    auto n = shape_case_node(OpKind::Conv2d);
    n.params["weight"] = torch::zeros({2, 3, 5, 5});
    n.attrs.stride = {1, 1}, n.attrs.padding = {0, 0}, n.attrs.dilation = {1, 1};
    add("conv2d: 5x5 kernel over 4x4", n, {{2, 3, 4, 4}});
    add("conv2d: 2 channels into 3", n, {{2, 2, 8, 8}});
  }
  {
    auto n = shape_case_node(OpKind::MaxPool2d);
    n.attrs.kernel = {3, 3};
    add("max_pool2d: 3x3 window over 2x2", n, {{2, 1, 2, 2}});
  }
  add("add: [3] + [4]", shape_case_node(OpKind::Add, 2), {{2, 3}, {2, 4}});
  add("matmul: [3,4] @ [5,2]", shape_case_node(OpKind::MatMul, 2), {{2, 3, 4}, {2, 5, 2}});
  {
    auto n = shape_case_node(OpKind::Reshape);
    n.attrs.shape = {5};
    add("reshape: 12 elements into 5", n, {{2, 3, 4}});
  }
  add("cat: [3,4] and [5,2] along 1", shape_case_node(OpKind::Cat, 2), {{2, 3, 4}, {2, 5, 2}});
  {
    auto n = shape_case_node(OpKind::Slice);
    n.attrs.dim = 1;
    n.attrs.slice_end = 9;
    add("slice: end 9 of an axis of 8", n, {{2, 8, 3}});
    c.back().torch_refuses = false;
  }
  {
    auto n = shape_case_node(OpKind::Softmax);
    n.attrs.dim = 3;
    add("softmax: dim 3 of a rank-2 tensor", n, {{2, 5}});
  }
  {
    auto n = shape_case_node(OpKind::BatchNorm2d);
    n.params["running_mean"] = torch::zeros({4});
    n.params["running_var"] = torch::ones({4});
    add("batch_norm2d: 4 statistics for 3 channels", n, {{2, 3, 4, 4}});
  }
  return c;
}

}  // namespace qdse::testing
