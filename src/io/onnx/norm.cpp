// BatchNormalization -> batch_norm1d/2d, or folded into the preceding conv2d /
// linear when OnnxImportOptions::fold_batch_norm is set.
#include <torch/types.h>

#include "qdse/io/onnx/import_context.hpp"

namespace qdse::io::onnx_detail {
namespace {

// w' = w * s, b' = (b - mean) * s + beta with s = gamma / sqrt(var + eps), per
// output channel; computed in float64 so the fold adds one float32 rounding only.
bool try_fold(ImportContext& c, const onnx::NodeProto& n, const Value& x, const at::Tensor& gamma,
              const at::Tensor& beta, const at::Tensor& mean, const at::Tensor& var, double eps) {
  if (!c.options().fold_batch_norm || x.node == ir::kGraphInput || c.consumers(n.input(0)) != 1)
    return false;
  ir::Node& prev = c.graph().nodes().at(x.node);
  const bool conv = prev.op == ir::OpKind::Conv2d, linear = prev.op == ir::OpKind::Linear;
  if (!conv && !linear) return false;
  if (linear && x.sample.dim() != 2) return false;  // BN on [N, C, L] normalizes C, not features
  const at::Tensor w = prev.params.at("weight").to(at::kDouble);
  const int64_t out = w.size(0);
  if (gamma.numel() != out) return false;
  const at::Tensor s = gamma.to(at::kDouble) / torch::sqrt(var.to(at::kDouble) + eps);
  std::vector<int64_t> view(w.dim(), 1);
  view[0] = out;
  const at::Tensor* b = prev.param("bias");
  const at::Tensor b0 = b ? b->to(at::kDouble) : torch::zeros({out}, at::kDouble);
  prev.params["weight"] = (w * s.reshape(view)).to(at::kFloat).contiguous();
  prev.params["bias"] = ((b0 - mean.to(at::kDouble)) * s + beta.to(at::kDouble)).to(at::kFloat);
  prev.attrs.bias = true;
  c.refresh_sample(x.node);
  c.alias_output(n, c.value(n, n.input(0)));
  return true;
}

void batch_norm(ImportContext& c, const onnx::NodeProto& n) {
  const Value& x = c.data_input(n, 0);
  if (attr_int(c, n, "training_mode", 0) != 0)
    c.fail(n, "training_mode = 1 is not supported (qdse imports inference graphs)");
  for (int i = 1; i < n.output_size(); ++i)
    if (!n.output(i).empty() && c.consumers(n.output(i)) > 0)
      c.fail(n, "output " + std::to_string(i) + " (running statistics) is used; only inference BN is supported");
  const at::Tensor gamma = as_float(c.constant_input(n, 1)), beta = as_float(c.constant_input(n, 2));
  const at::Tensor mean = as_float(c.constant_input(n, 3)), var = as_float(c.constant_input(n, 4));
  const double eps = attr_float(c, n, "epsilon", 1e-5);
  const int64_t rank = x.sample.dim();
  if (rank < 2 || rank > 4) c.fail(n, "expects a 2-, 3- or 4-D input, got rank " + std::to_string(rank));
  const int64_t ch = x.sample.size(1);
  for (const at::Tensor* t : {&gamma, &beta, &mean, &var})
    if (t->dim() != 1 || t->size(0) != ch)
      c.fail(n, "scale, B, mean and var must have shape [" + std::to_string(ch) + "], got " +
                    c10::str(t->sizes()));
  if (try_fold(c, n, x, gamma, beta, mean, var, eps)) return;
  ir::Node node;
  node.op = rank == 4 ? ir::OpKind::BatchNorm2d : ir::OpKind::BatchNorm1d;
  node.attrs.num_features = ch;
  node.attrs.eps = eps;
  // ONNX: running = running * momentum + batch * (1 - momentum); torch uses 1 - that.
  node.attrs.momentum = 1.0 - attr_float(c, n, "momentum", 0.9);
  node.params["weight"] = gamma.contiguous();
  node.params["bias"] = beta.contiguous();
  node.params["running_mean"] = mean.contiguous();
  node.params["running_var"] = var.contiguous();
  c.emit(n, std::move(node), {n.input(0)});
}

}  // namespace

void register_norm_handlers(HandlerTable& t) { t["BatchNormalization"] = batch_norm; }

}  // namespace qdse::io::onnx_detail
