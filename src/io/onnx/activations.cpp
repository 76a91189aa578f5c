// Activations: Relu, LeakyRelu, Clip (-> clamp), Sigmoid, Tanh, Softmax.
#include <torch/torch.h>

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

}  // namespace

void register_activation_handlers(HandlerTable& t) {
  t["Relu"] = [](ImportContext& c, const onnx::NodeProto& n) { unary(c, n, ir::OpKind::Relu); };
  t["Sigmoid"] = [](ImportContext& c, const onnx::NodeProto& n) { unary(c, n, ir::OpKind::Sigmoid); };
  t["Tanh"] = [](ImportContext& c, const onnx::NodeProto& n) { unary(c, n, ir::OpKind::Tanh); };
  t["LeakyRelu"] = leaky_relu;
  t["Clip"] = clip;
  t["Softmax"] = softmax;
}

}  // namespace qdse::io::onnx_detail
