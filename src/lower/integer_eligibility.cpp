// integer_layer_plan (see integer_eligibility.hpp).
#include "qdse/lower/integer_eligibility.hpp"

#include <cmath>
#include <cstdlib>

#include "qdse/lower/transform.hpp"
#include "qdse/quant/formats/format_traits.hpp"
#include "qdse/quant/formats/integer_codes.hpp"
#include "qdse/quant/formats/integer_reference.hpp"

namespace qdse::exec {
namespace {

// A slot the integer kernels may run: its format's row says so (format_traits.cpp).
const quant::IntegerFormat* integer_kernel_slot(const std::optional<quant::SlotFormat>& s) {
  if (!s || s->auto_frac || !quant::format_traits(s->format.kind()).integer_kernels) return nullptr;
  return std::get_if<quant::IntegerFormat>(&s->format.params);
}

// Width of the signed format whose bound 2^(w-1) covers every code of f.
int code_magnitude_width(const quant::IntegerFormat& f) { return f.is_signed ? f.width : f.width + 1; }

}  // namespace

std::optional<IntegerLayerPlan> integer_layer_plan(const ir::Node& node, const quant::NodeQuantConfig& c,
                                                   int64_t fan_in) {
  const auto* fd = integer_kernel_slot(c.data_in);
  const auto* fw = integer_kernel_slot(c.weight);
  if (!fd || !fw || !quant::integer_codes_fit_int16(*fd) || !quant::integer_codes_fit_int16(*fw))
    return std::nullopt;
  const at::Tensor* w = node.param("weight");
  const at::Tensor* b = node.param("bias");
  if (!w || w->scalar_type() != at::kFloat) return std::nullopt;
  const quant::IntegerFormat* fb = nullptr;
  if (b) {
    fb = integer_kernel_slot(c.bias);  // a float (or non-integer) bias: rounding order would matter
    if (!fb || b->scalar_type() != at::kFloat) return std::nullopt;
  }
  const int frac_d = quant::resolved_frac_width(*fd), frac_w = quant::resolved_frac_width(*fw);
  const int acc_frac = frac_d + frac_w;
  if (std::abs(acc_frac) > 100 || (fb && std::abs(quant::resolved_frac_width(*fb)) > 100)) return std::nullopt;
  const int wd = code_magnitude_width(*fd), ww = code_magnitude_width(*fw);
  // The int32 accumulator holds the products only.
  if (!quant::accumulation_exact(30, wd, frac_d, ww, frac_w, fan_in)) return std::nullopt;
  // The float path must itself be exact, so that both give the exact value.
  const bool wide = quant::needs_float64(node, c);
  const int bw = fb ? code_magnitude_width(*fb) : 0, bf = fb ? quant::resolved_frac_width(*fb) : 0;
  if (!quant::accumulation_exact(wide ? 53 : 24, wd, frac_d, ww, frac_w, fan_in, bw, bf)) return std::nullopt;
  IntegerLayerPlan p;
  p.data = *fd;
  p.weight = *fw;
  p.has_bias = b != nullptr;
  p.scale = std::ldexp(1.0, -acc_frac);
  p.wide = wide;
  return p;
}

}  // namespace qdse::exec
