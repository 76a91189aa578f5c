// Gemm and MatMul. A product with a constant 2-D right operand is a `linear` node
// (weight [out, in] like torch.nn.Linear), which is what MASE quantizes as a layer;
// other products become `matmul` nodes.
#include <torch/types.h>

#include "qdse/io/onnx/import_context.hpp"

namespace qdse::io::onnx_detail {
namespace {

void gemm(ImportContext& c, const onnx::NodeProto& n) {
  const Value& a = c.data_input(n, 0);
  const at::Tensor& b = c.constant_input(n, 1);
  if (a.sample.dim() != 2) c.fail(n, "input A must be 2-D, got rank " + std::to_string(a.sample.dim()));
  if (b.dim() != 2) c.fail(n, "input B must be a 2-D constant, got rank " + std::to_string(b.dim()));
  if (attr_int(c, n, "transA", 0) != 0) c.fail(n, "transA = 1 is not supported (A is the data batch)");
  const bool trans_b = attr_int(c, n, "transB", 0) != 0;
  const double alpha = attr_float(c, n, "alpha", 1.0);
  const double beta = attr_float(c, n, "beta", 1.0);
  // torch.nn.Linear stores weight [out, in]; ONNX B is [in, out] unless transB.
  at::Tensor w = as_float(trans_b ? b : b.t()).contiguous();
  if (alpha != 1.0) w = w * alpha;  // alpha*(A·B) = A·(alpha*B) up to rounding
  const int64_t out = w.size(0), in = w.size(1);
  if (a.sample.size(1) != in)
    c.fail(n, "A has " + std::to_string(a.sample.size(1)) + " columns, B expects " + std::to_string(in));
  ir::Node node;
  node.op = ir::OpKind::Linear;
  node.attrs.in_features = in;
  node.attrs.out_features = out;
  node.attrs.bias = false;
  node.params["weight"] = w;
  if (c.has_input(n, 2)) {
    at::Tensor bias = as_float(c.constant_input(n, 2));
    // C broadcasts to [batch, out]; per-row C (shape [M, out], M > 1) is not a bias.
    if (bias.numel() == 1) bias = bias.reshape({1}).expand({out});
    if (bias.numel() != out || (bias.dim() == 2 && bias.size(0) != 1) || bias.dim() > 2)
      c.fail(n, "input C of shape " + c10::str(bias.sizes()) + " is not a bias of " +
                    std::to_string(out) + " outputs");
    bias = bias.reshape({out}).contiguous();
    if (beta != 1.0) bias = bias * beta;
    if (beta != 0.0) {
      node.params["bias"] = bias.clone();
      node.attrs.bias = true;
    }
  }
  c.emit(n, std::move(node), {n.input(0)});
}

void matmul(ImportContext& c, const onnx::NodeProto& n) {
  const bool ca = c.is_constant_input(n, 0), cb = c.is_constant_input(n, 1);
  if (ca && cb) {
    c.define_constant(n.output(0), torch::matmul(as_float(c.constant_input(n, 0)),
                                                 as_float(c.constant_input(n, 1))));
    return;
  }
  ir::Node node;
  if (cb && c.constant_input(n, 1).dim() == 2) {
    const at::Tensor b = as_float(c.constant_input(n, 1));
    node.op = ir::OpKind::Linear;
    node.attrs.in_features = b.size(0);
    node.attrs.out_features = b.size(1);
    node.attrs.bias = false;  // a following constant Add may become the bias
    node.params["weight"] = b.t().contiguous();
    c.emit(n, std::move(node), {n.input(0)});
    return;
  }
  node.op = ir::OpKind::MatMul;
  if (ca || cb) {
    const int slot = ca ? 0 : 1;
    const at::Tensor k = as_float(c.constant_input(n, slot));
    if (k.dim() >= c.data_input(n, 1 - slot).sample.dim())
      c.fail(n, "a constant operand with a batch dimension is not supported");
    node.params["operand"] = k;
    node.attrs.const_operand = slot;
    c.emit(n, std::move(node), {n.input(1 - slot)});
  } else {
    c.emit(n, std::move(node), {n.input(0), n.input(1)});
  }
}

}  // namespace

void register_gemm_handlers(HandlerTable& t) {
  t["Gemm"] = gemm;
  t["MatMul"] = matmul;
}

}  // namespace qdse::io::onnx_detail
