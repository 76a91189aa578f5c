#include "qdse/exec/executor.hpp"

#include <torch/types.h>

#include "qdse/core/error.hpp"

namespace qdse::exec {
namespace {

at::Tensor param_or(const ir::Node& node, const char* key, const at::Tensor& replacement) {
  if (replacement.defined()) return replacement;
  const at::Tensor* t = node.param(key);
  return t ? *t : at::Tensor();
}

at::Tensor to_f64(const at::Tensor& t) { return t.defined() ? t.to(torch::kFloat64) : t; }

// Operands of a binary op (sub/mul/div/matmul): a constant "operand" param, if the
// node has one, takes slot attrs.const_operand; the data inputs fill the others.
at::Tensor binary_operand(const ir::Node& node, const std::vector<at::Tensor>& in, int64_t slot) {
  const at::Tensor* c = node.param("operand");
  if (!c) return in.at(slot);
  return slot == node.attrs.const_operand ? *c : in.at(0);
}
at::Tensor binary_lhs(const ir::Node& n, const std::vector<at::Tensor>& in) { return binary_operand(n, in, 0); }
at::Tensor binary_rhs(const ir::Node& n, const std::vector<at::Tensor>& in) { return binary_operand(n, in, 1); }

std::vector<int64_t> or_default(const std::vector<int64_t>& v, std::vector<int64_t> fallback) {
  return v.empty() ? fallback : v;
}

}  // namespace

at::Tensor run_node(const ir::Node& node, const std::vector<at::Tensor>& raw_inputs,
                    const NodeOverride* over, bool training) {
  std::vector<at::Tensor> in = raw_inputs;
  if (over && over->input_transform)
    for (auto& t : in) t = over->input_transform(t);
  const bool f64 = over && over->float64;
  const auto& a = node.attrs;
  switch (node.op) {
    case ir::OpKind::Linear: {
      at::Tensor w = param_or(node, "weight", over ? over->weight : at::Tensor());
      at::Tensor b = param_or(node, "bias", over ? over->bias : at::Tensor());
      if (!f64) return torch::linear(in[0], w, b);
      return torch::linear(to_f64(in[0]), to_f64(w), to_f64(b)).to(torch::kFloat32);
    }
    case ir::OpKind::Conv2d: {
      at::Tensor w = param_or(node, "weight", over ? over->weight : at::Tensor());
      at::Tensor b = param_or(node, "bias", over ? over->bias : at::Tensor());
      auto run = [&](const at::Tensor& x, const at::Tensor& ww, const at::Tensor& bb) {
        return torch::conv2d(x, ww, bb, a.stride, a.padding, a.dilation, a.groups);
      };
      if (!f64) return run(in[0], w, b);
      return run(to_f64(in[0]), to_f64(w), to_f64(b)).to(torch::kFloat32);
    }
    case ir::OpKind::BatchNorm1d:
    case ir::OpKind::BatchNorm2d: {
      const at::Tensor* rm = node.param("running_mean");
      const at::Tensor* rv = node.param("running_var");
      return torch::batch_norm(in[0], param_or(node, "weight", {}), param_or(node, "bias", {}),
                               rm ? *rm : at::Tensor(), rv ? *rv : at::Tensor(), training,
                               a.momentum, a.eps, /*cudnn_enabled=*/false);
    }
    case ir::OpKind::Relu:
      return torch::relu(in[0]);
    case ir::OpKind::MaxPool2d:
      return torch::max_pool2d(in[0], a.kernel, or_default(a.stride, a.kernel),
                               or_default(a.padding, {0, 0}), or_default(a.dilation, {1, 1}),
                               a.ceil_mode);
    case ir::OpKind::AvgPool2d:
      return torch::avg_pool2d(in[0], a.kernel, or_default(a.stride, a.kernel),
                               or_default(a.padding, {0, 0}), a.ceil_mode, a.count_include_pad);
    case ir::OpKind::AdaptiveAvgPool2d:
      return torch::adaptive_avg_pool2d(in[0], or_default(a.output_size, {1, 1}));
    case ir::OpKind::Flatten:
      return torch::flatten(in[0], a.start_dim, a.end_dim);
    case ir::OpKind::Add: {
      at::Tensor out = in.at(0);
      for (std::size_t i = 1; i < in.size(); ++i) out = out + in[i];
      if (const at::Tensor* c = node.param("operand")) out = out + *c;  // ONNX constant
      return out;
    }
    case ir::OpKind::Dropout:
      return training ? torch::dropout(in[0], a.p, true) : in[0];
    case ir::OpKind::Softmax:
      return torch::softmax(in[0], a.dim);
    case ir::OpKind::Sub:
      return torch::sub(binary_lhs(node, in), binary_rhs(node, in));
    case ir::OpKind::Mul:
      return torch::mul(binary_lhs(node, in), binary_rhs(node, in));
    case ir::OpKind::Div:
      return torch::div(binary_lhs(node, in), binary_rhs(node, in));
    case ir::OpKind::MatMul:
      return torch::matmul(binary_lhs(node, in), binary_rhs(node, in));
    case ir::OpKind::LeakyRelu:
      return torch::leaky_relu(in[0], a.negative_slope);
    case ir::OpKind::Clamp:
      return torch::clamp(in[0], a.clamp_min, a.clamp_max);
    case ir::OpKind::Sigmoid:
      return torch::sigmoid(in[0]);
    case ir::OpKind::Tanh:
      return torch::tanh(in[0]);
    case ir::OpKind::Reshape: {
      std::vector<int64_t> shape = {in[0].size(0)};  // the batch dimension is kept
      shape.insert(shape.end(), a.shape.begin(), a.shape.end());
      return in[0].reshape(shape);
    }
    case ir::OpKind::Permute:
      return in[0].permute(a.perm);
    case ir::OpKind::Squeeze: {
      at::Tensor out = in[0];
      for (auto it = a.axes.rbegin(); it != a.axes.rend(); ++it) out = out.squeeze(*it);
      return out;
    }
    case ir::OpKind::Unsqueeze: {
      at::Tensor out = in[0];
      for (int64_t axis : a.axes) out = out.unsqueeze(axis);  // axes sorted ascending
      return out;
    }
    case ir::OpKind::Cat:
      return torch::cat(in, a.dim);
    case ir::OpKind::Slice:
      return in[0].slice(a.dim, a.slice_start, a.slice_end, a.slice_step);
    case ir::OpKind::kCount:
      break;
  }
  throw Error(ErrorKind::UnsupportedOp, "node '" + node.name + "' has an op qdse cannot run");
}

at::Tensor Executor::forward(const at::Tensor& x, const Plan* plan, bool training) const {
  std::vector<at::Tensor> values(graph_.size());
  const int out = graph_.output();
  forward_range(values, x, 0, out + 1, plan, training);
  return values[out];
}

void Executor::forward_range(std::vector<at::Tensor>& values, const at::Tensor& x, int first,
                             int end, const Plan* plan, bool training) const {
  QDSE_ASSERT(values.size() == graph_.size(), "values must have one slot per node");
  std::vector<at::Tensor> inputs;
  for (int i = first; i < end; ++i) {
    const ir::Node& node = graph_.node(i);
    inputs.clear();
    for (int src : node.inputs) inputs.push_back(src == ir::kGraphInput ? x : values[src]);
    try {
      values[i] = run_node(node, inputs, plan ? plan->at(i) : nullptr, training);
    } catch (const c10::Error& e) {
      // Shape mismatches surface here: name the node instead of a libtorch backtrace.
      std::string what = e.what_without_backtrace();
      throw Error(ErrorKind::InvalidArgument, "node '" + node.name + "' (" +
                                                  std::string(ir::to_string(node.op)) +
                                                  ") failed: " + what.substr(0, what.find('\n')));
    }
  }
}

}  // namespace qdse::exec
