// IntegerLinear (see integer_linear.hpp): eligibility, weight packing, forward.
#include "qdse/lower/integer_linear.hpp"

#include <torch/types.h>
#include <torch/utils.h>

#include <algorithm>
#include <cmath>

#include "qdse/quant/formats/format_traits.hpp"
#include "qdse/quant/formats/integer_codes.hpp"
#include "qdse/quant/formats/integer_reference.hpp"
#include "qdse/quant/formats/quantize.hpp"
#include "qdse/lower/transform.hpp"

namespace qdse::exec {
namespace {

// A slot the integer kernels may run: its format's row says so (format_traits.cpp).
const quant::IntegerFormat* integer_slot(const std::optional<quant::SlotFormat>& s) {
  if (!s || s->auto_frac || !quant::format_traits(s->format.kind()).integer_kernels) return nullptr;
  return std::get_if<quant::IntegerFormat>(&s->format.params);
}

// Width of the signed format whose bound 2^(w-1) covers every code of f.
int magnitude_width(const quant::IntegerFormat& f) { return f.is_signed ? f.width : f.width + 1; }

}  // namespace

std::optional<IntegerLinear> IntegerLinear::make(const ir::Node& node, const quant::NodeQuantConfig& c) {
  if (node.op != ir::OpKind::Linear) return std::nullopt;
  const auto* fd = integer_slot(c.data_in);
  const auto* fw = integer_slot(c.weight);
  if (!fd || !fw || !quant::integer_codes_fit_int16(*fd) || !quant::integer_codes_fit_int16(*fw))
    return std::nullopt;
  const at::Tensor* w = node.param("weight");
  const at::Tensor* b = node.param("bias");
  if (!w || w->dim() != 2 || w->scalar_type() != at::kFloat) return std::nullopt;
  const quant::IntegerFormat* fb = nullptr;
  if (b) {
    fb = integer_slot(c.bias);  // a float (or non-integer) bias: rounding order would matter
    if (!fb || b->scalar_type() != at::kFloat) return std::nullopt;
  }
  const int frac_d = quant::resolved_frac_width(*fd), frac_w = quant::resolved_frac_width(*fw);
  const int acc_frac = frac_d + frac_w;
  if (std::abs(acc_frac) > 100 || (fb && std::abs(quant::resolved_frac_width(*fb)) > 100)) return std::nullopt;
  const int64_t k = w->size(1);
  const int wd = magnitude_width(*fd), ww = magnitude_width(*fw);
  // The int32 accumulator holds the products only.
  if (!quant::accumulation_exact(30, wd, frac_d, ww, frac_w, k)) return std::nullopt;
  // The float path must itself be exact, so that both give the exact value.
  const bool wide = quant::needs_float64(node, c);
  const int bw = fb ? magnitude_width(*fb) : 0, bf = fb ? quant::resolved_frac_width(*fb) : 0;
  if (!quant::accumulation_exact(wide ? 53 : 24, wd, frac_d, ww, frac_w, k, bw, bf)) return std::nullopt;

  torch::NoGradGuard no_grad;
  IntegerLinear l;
  l.data_ = *fd;
  const at::Tensor wq = quant::quantize(*w, c.weight->format);
  const at::Tensor wc = quant::integer_codes(wq, *fw, k);  // already on the grid: codes exact
  if (!wc.defined()) return std::nullopt;                   // NaN weights
  l.weight_ = PackedInt16(wc);
  if (b) l.bias_ = quant::quantize(*b, c.bias->format).contiguous();
  l.epilogue_.scale = std::ldexp(1.0, -acc_frac);
  l.epilogue_.wide = wide;
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
