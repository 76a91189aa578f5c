// Add, Sub, Mul, Div with numpy broadcasting. Constant-only inputs fold at import;
// a constant operand is stored on the node (param "operand"); a constant Add right
// after a bias-less linear (MatMul or Gemm without C) becomes that linear's bias.
#include <torch/types.h>

#include "qdse/io/onnx/import_context.hpp"

namespace qdse::io::onnx_detail {
namespace {

at::Tensor fold(ir::OpKind op, const at::Tensor& a, const at::Tensor& b) {
  const bool ints = a.scalar_type() == at::kLong && b.scalar_type() == at::kLong;
  switch (op) {
    case ir::OpKind::Add: return a + b;
    case ir::OpKind::Sub: return a - b;
    case ir::OpKind::Mul: return a * b;
    default: return ints ? torch::div(a, b, "trunc") : torch::div(as_float(a), as_float(b));
  }
}

// x + c where x comes only from a bias-less linear and c is one value per output
// feature: the linear computes x·Wᵀ + c itself, exactly as the two ops did.
bool try_fold_bias(ImportContext& c, const onnx::NodeProto& n, int data_slot, const at::Tensor& k) {
  const Value& x = c.value(n, n.input(data_slot));
  if (x.node == ir::kGraphInput || c.consumers(n.input(data_slot)) != 1) return false;
  ir::Node& prev = c.graph().nodes().at(x.node);
  if (prev.op != ir::OpKind::Linear || prev.param("bias")) return false;
  const int64_t out = prev.attrs.out_features;
  if (k.numel() != out || k.dim() < 1 || k.dim() > x.sample.dim() || k.size(-1) != out) return false;
  prev.params["bias"] = as_float(k).reshape({out}).contiguous();
  prev.attrs.bias = true;
  c.refresh_sample(x.node);
  c.alias_output(n, c.value(n, n.input(data_slot)));
  return true;
}

void binary(ImportContext& c, const onnx::NodeProto& n, ir::OpKind op) {
  if (n.input_size() != 2) c.fail(n, "expects 2 inputs");
  const bool ca = c.is_constant_input(n, 0), cb = c.is_constant_input(n, 1);
  if (ca && cb) {
    c.define_constant(n.output(0), fold(op, c.constant_input(n, 0), c.constant_input(n, 1)));
    return;
  }
  ir::Node node;
  node.op = op;
  if (!ca && !cb) {
    c.data_input(n, 0);
    c.data_input(n, 1);
    c.emit(n, std::move(node), {n.input(0), n.input(1)});
    return;
  }
  const int slot = ca ? 0 : 1;
  const at::Tensor k = as_float(c.constant_input(n, slot));
  const Value& x = c.data_input(n, 1 - slot);
  if (k.dim() > x.sample.dim() || (k.dim() == x.sample.dim() && k.size(0) != 1))
    c.fail(n, "constant operand of shape " + c10::str(k.sizes()) + " spans the batch dimension of " +
                  c10::str(x.sample.sizes()));
  if (op == ir::OpKind::Add && try_fold_bias(c, n, 1 - slot, k)) return;
  node.params["operand"] = k.contiguous();
  node.attrs.const_operand = slot;
  c.emit(n, std::move(node), {n.input(1 - slot)});
}

}  // namespace

void register_elementwise_handlers(HandlerTable& t) {
  t["Add"] = [](ImportContext& c, const onnx::NodeProto& n) { binary(c, n, ir::OpKind::Add); };
  t["Sub"] = [](ImportContext& c, const onnx::NodeProto& n) { binary(c, n, ir::OpKind::Sub); };
  t["Mul"] = [](ImportContext& c, const onnx::NodeProto& n) { binary(c, n, ir::OpKind::Mul); };
  t["Div"] = [](ImportContext& c, const onnx::NodeProto& n) { binary(c, n, ir::OpKind::Div); };
}

}  // namespace qdse::io::onnx_detail
