// IntegerLinear (see integer_linear.hpp): eligibility, weight packing, forward.
#include "qdse/lower/integer_linear.hpp"

#include <torch/types.h>
#include <torch/utils.h>

#include "qdse/lower/integer_eligibility.hpp"
#include "qdse/quant/formats/integer_codes.hpp"
#include "qdse/quant/formats/quantize.hpp"

namespace qdse::exec {

std::optional<IntegerLinear> IntegerLinear::make(const ir::Node& node, const quant::NodeQuantConfig& c) {
  if (node.op != ir::OpKind::Linear) return std::nullopt;
  const at::Tensor* w = node.param("weight");
  const at::Tensor* b = node.param("bias");
  if (!w || w->dim() != 2) return std::nullopt;
  const int64_t k = w->size(1);
  const std::optional<IntegerLayerPlan> plan = integer_layer_plan(node, c, k);
  if (!plan) return std::nullopt;

  torch::NoGradGuard no_grad;
  IntegerLinear l;
  l.data_ = plan->data;
  const at::Tensor wq = quant::quantize(*w, c.weight->format);
  const at::Tensor wc = quant::integer_codes(wq, plan->weight, k);  // already on the grid: codes exact
  if (!wc.defined()) return std::nullopt;                            // NaN weights
  l.weight_ = PackedInt16(wc);
  if (b) l.bias_ = quant::quantize(*b, c.bias->format).contiguous();
  l.epilogue_.scale = plan->scale;
  l.epilogue_.wide = plan->wide;
  return l;
}

at::Tensor IntegerLinear::input_codes(const at::Tensor& x, BufferPool* pool) const {
  if (x.dim() != 2 || x.scalar_type() != at::kFloat || x.size(1) != depth()) return {};
  const int64_t cols = padded_depth(depth());
  return quant::integer_codes(x, data_, cols, pool ? pool->empty({x.size(0), cols}, at::kShort) : at::Tensor());
}

at::Tensor IntegerLinear::forward(const at::Tensor& codes, bool relu, BufferPool* pool) const {
  IntEpilogue e = epilogue_;
  e.bias = bias_.defined() ? bias_.data_ptr<float>() : nullptr;
  e.relu = relu;
  at::Tensor out = pool ? pool->empty({codes.size(0), weight_.outputs()}, at::kFloat) : at::Tensor();
  return int16_linear(codes, weight_, e, out);
}

int64_t IntegerLinear::bytes() const {
  return weight_.bytes() + (bias_.defined() ? static_cast<int64_t>(bias_.nbytes()) : 0);
}

}  // namespace qdse::exec
