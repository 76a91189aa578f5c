// Straight-through gradients and learned step sizes for fine-tuning; see
// include/qdse/train/ste.hpp.
#include "qdse/train/ste.hpp"

#include <torch/types.h>

#include <cmath>

#include "qdse/core/error.hpp"

namespace qdse::train {
namespace {

// Rounding of an LSQ code with the format's rule (the integer quantizer's four modes).
at::Tensor lsq_round_codes(const at::Tensor& v, quant::Rounding r) {
  switch (r) {
    case quant::Rounding::NearestEven: return torch::round(v);  // ties to even, as quantize()
    case quant::Rounding::NearestAway: return torch::sign(v) * torch::floor(torch::abs(v) + 0.5);
    case quant::Rounding::Floor: return torch::floor(v);
    case quant::Rounding::TowardZero: return torch::trunc(v);
  }
  return torch::round(v);
}

}  // namespace

std::optional<quant::SteGradient> ste_rule(const quant::Format& format) {
  if (const auto* i = std::get_if<quant::IntegerFormat>(&format.params)) {
    if (i->overflow == quant::Overflow::Wrap) return std::nullopt;
    return quant::SteGradient::Clipped;
  }
  if (format.is<quant::MinifloatFormat>()) return quant::SteGradient::Clipped;
  return quant::SteGradient::Identity;
}

at::Tensor ste_quantize(const at::Tensor& x, const quant::Format& format) {
  const auto rule = ste_rule(format);
  if (!rule)
    throw Error(ErrorKind::Config, "format " + quant::describe(format) + " has no straight-through gradient");
  return quant::quantize_ste(x, format, *rule);
}

void check_ste(const quant::QuantConfig& config, const std::string& where) {
  for (const auto& [node, nc] : config.nodes)
    for (const quant::Slot slot : quant::kSlots) {
      const auto& s = nc.slot(slot);
      if (!s || ste_rule(s->format)) continue;
      throw Error(ErrorKind::Config,
                  "layer '" + node + "': " + std::string(quant::to_string(slot)) + " format " +
                      quant::describe(s->format) +
                      " with overflow = wrap has no straight-through gradient (a wrapped value jumps across the "
                      "range), so it cannot be fine-tuned; use overflow = saturate (" + where + ")");
    }
}

bool lsq_eligible(const quant::Format& format) {
  const auto* i = std::get_if<quant::IntegerFormat>(&format.params);
  return i != nullptr && i->overflow == quant::Overflow::Saturate;
}

double lsq_grad_scale(int64_t n, const quant::IntegerFormat& format) {
  const double qp = static_cast<double>(quant::integer_code_range(format).max_code);
  return 1.0 / std::sqrt(static_cast<double>(std::max<int64_t>(n, 1)) * std::max(qp, 1.0));
}

at::Tensor lsq_quantize(const at::Tensor& x, const at::Tensor& step, const quant::IntegerFormat& format,
                        double grad_scale) {
  const auto [qn, qp] = quant::integer_code_range(format);
  // The step's value, with its gradient multiplied by grad_scale (LSQ's grad_scale()).
  const at::Tensor scaled = step * grad_scale;
  const at::Tensor s = ((step - scaled).detach() + scaled).clamp_min(std::ldexp(1.0, -60)).to(x.scalar_type());
  const at::Tensor v = (x / s).clamp(static_cast<double>(qn), static_cast<double>(qp));
  // round() with a straight-through gradient (LSQ's round_pass()).
  const at::Tensor codes = (lsq_round_codes(v.detach(), format.rounding) - v.detach()) + v;
  return codes * s;
}

}  // namespace qdse::train
