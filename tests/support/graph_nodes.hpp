// Nodes of hand-built test graphs, one call per node: the op, its inputs and its
// parameters, with the attributes the executor needs filled in (a convolution's kernel
// is its weight's kh x kw; dilation 1).
#pragma once

#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

#include "qdse/ir/graph.hpp"

namespace qdse::testing {

// An op without parameters or attributes beyond the defaults (relu, add, flatten...).
inline ir::Node op_node(const std::string& name, ir::OpKind op, std::vector<int> inputs) {
  ir::Node n;
  n.name = name;
  n.op = op;
  n.inputs = std::move(inputs);
  return n;
}

// Conv2d with weight [M, C / groups, kh, kw], square stride and zero padding; `bias`
// undefined: none.
inline ir::Node conv2d_node(const std::string& name, std::vector<int> inputs, const at::Tensor& weight,
                            const at::Tensor& bias, int64_t stride = 1, int64_t padding = 0, int64_t groups = 1) {
  ir::Node n = op_node(name, ir::OpKind::Conv2d, std::move(inputs));
  n.attrs.kernel = {weight.size(2), weight.size(3)};
  n.attrs.stride = {stride, stride};
  n.attrs.padding = {padding, padding};
  n.attrs.dilation = {1, 1};
  n.attrs.groups = groups;
  n.attrs.in_channels = weight.size(1) * groups;
  n.attrs.out_channels = weight.size(0);
  n.params["weight"] = weight;
  if (bias.defined()) n.params["bias"] = bias;
  return n;
}

// Linear with weight [out, in] and a bias.
inline ir::Node linear_node(const std::string& name, std::vector<int> inputs, const at::Tensor& weight,
                            const at::Tensor& bias) {
  ir::Node n = op_node(name, ir::OpKind::Linear, std::move(inputs));
  n.params["weight"] = weight;
  n.params["bias"] = bias;
  return n;
}

// MaxPool2d with a square kernel, stride and padding.
inline ir::Node max_pool_node(const std::string& name, int input, int64_t kernel, int64_t stride,
                              int64_t padding) {
  ir::Node n = op_node(name, ir::OpKind::MaxPool2d, {input});
  n.attrs.kernel = {kernel, kernel};
  n.attrs.stride = {stride, stride};
  n.attrs.padding = {padding, padding};
  return n;
}

}  // namespace qdse::testing
