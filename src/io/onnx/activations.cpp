// Activations: Relu, LeakyRelu, Clip (-> clamp), Sigmoid, Tanh, Softmax, and the mobile
// nets' HardSigmoid / HardSwish, lowered to the ops they are made of:
//   HardSigmoid(x) = clamp(alpha * x + beta, 0, 1)   (mul, add, clamp)
//   HardSwish(x)   = x * HardSigmoid(x; 1/6, 1/2)   (mul, add, clamp, mul)
// so that each part is a node the quantizer and executor already know.
#include <torch/types.h>

#include <limits>

#include "qdse/io/onnx/import_context.hpp"

namespace qdse::io::onnx_detail {
namespace {

void unary(ImportContext& c, const onnx::NodeProto& n, ir::OpKind op) {
  c.data_input(n, 0);
  ir::Node node;
  node.op = op;
  c.emit(n, std::move(node), {n.input(0)});
}

void leaky_relu(ImportContext& c, const onnx::NodeProto& n) {
  c.data_input(n, 0);
  ir::Node node;
  node.op = ir::OpKind::LeakyRelu;
  node.attrs.negative_slope = attr_float(c, n, "alpha", 0.01);
  c.emit(n, std::move(node), {n.input(0)});
}

double scalar_input(ImportContext& c, const onnx::NodeProto& n, int index) {
  const at::Tensor& t = c.constant_input(n, index);
  if (t.numel() != 1) c.fail(n, "input " + std::to_string(index) + " must be a scalar");
  return t.to(at::kDouble).item<double>();
}

// Clip's bounds are attributes before opset 11 and optional inputs from 11 on.
void clip(ImportContext& c, const onnx::NodeProto& n) {
  c.data_input(n, 0);
  ir::Node node;
  node.op = ir::OpKind::Clamp;
  const double lowest = std::numeric_limits<float>::lowest(), highest = std::numeric_limits<float>::max();
  if (c.opset() < 11) {
    node.attrs.clamp_min = attr_float(c, n, "min", lowest);
    node.attrs.clamp_max = attr_float(c, n, "max", highest);
  } else {
    node.attrs.clamp_min = c.has_input(n, 1) ? scalar_input(c, n, 1) : lowest;
    node.attrs.clamp_max = c.has_input(n, 2) ? scalar_input(c, n, 2) : highest;
  }
  c.emit(n, std::move(node), {n.input(0)});
}

// Softmax before opset 13 flattens to 2-D at `axis` (default 1) and normalizes
// over everything after it; from 13 it normalizes one axis (default -1). Both
// equal torch.softmax(dim) when that axis is the last one.
void softmax(ImportContext& c, const onnx::NodeProto& n) {
  const Value& x = c.data_input(n, 0);
  const int64_t rank = x.sample.dim();
  const int64_t axis = normalize_axis(c, n, attr_int(c, n, "axis", c.opset() < 13 ? 1 : -1), rank);
  if (axis == 0) c.fail(n, "softmax over the batch axis is not supported");
  if (c.opset() < 13 && axis != rank - 1)
    c.fail(n, "before opset 13 Softmax normalizes over all axes from `axis` on; supported only when "
              "axis is the last one (axis " + std::to_string(axis) + ", rank " + std::to_string(rank) + ")");
  ir::Node node;
  node.op = ir::OpKind::Softmax;
  node.attrs.dim = axis;
  c.emit(n, std::move(node), {n.input(0)});
}

// Emits x * alpha + beta, clamped to [0, 1], bound to n's output; returns nothing.
void emit_hard_sigmoid(ImportContext& c, const onnx::NodeProto& n, double alpha, double beta) {
  c.data_input(n, 0);
  ir::Node scale;
  scale.op = ir::OpKind::Mul;
  scale.params["operand"] = torch::tensor(static_cast<float>(alpha));
  scale.attrs.const_operand = 1;
  c.emit(n, std::move(scale), {n.input(0)});
  ir::Node shift;
  shift.op = ir::OpKind::Add;
  shift.params["operand"] = torch::tensor(static_cast<float>(beta));
  shift.attrs.const_operand = 1;
  c.emit(n, std::move(shift), {n.output(0)});
  ir::Node clamp;
  clamp.op = ir::OpKind::Clamp;
  clamp.attrs.clamp_min = 0;
  clamp.attrs.clamp_max = 1;
  c.emit(n, std::move(clamp), {n.output(0)});
}

void hard_sigmoid(ImportContext& c, const onnx::NodeProto& n) {
  emit_hard_sigmoid(c, n, attr_float(c, n, "alpha", 0.2), attr_float(c, n, "beta", 0.5));
}

void hard_swish(ImportContext& c, const onnx::NodeProto& n) {
  emit_hard_sigmoid(c, n, 1.0 / 6.0, 0.5);
  ir::Node gate;
  gate.op = ir::OpKind::Mul;
  c.emit(n, std::move(gate), {n.input(0), n.output(0)});
}

}  // namespace

void register_activation_handlers(HandlerTable& t) {
  t["Relu"] = [](ImportContext& c, const onnx::NodeProto& n) { unary(c, n, ir::OpKind::Relu); };
  t["Sigmoid"] = [](ImportContext& c, const onnx::NodeProto& n) { unary(c, n, ir::OpKind::Sigmoid); };
  t["Tanh"] = [](ImportContext& c, const onnx::NodeProto& n) { unary(c, n, ir::OpKind::Tanh); };
  const std::pair<const char*, Handler> handlers[] = {{"LeakyRelu", leaky_relu}, {"Clip", clip},
                                                      {"Softmax", softmax},      {"HardSigmoid", hard_sigmoid},
                                                      {"HardSwish", hard_swish}};
  for (const auto& [op, handler] : handlers) t[op] = handler;
}

}  // namespace qdse::io::onnx_detail
