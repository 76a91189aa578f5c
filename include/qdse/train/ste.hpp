// The straight-through estimators (STE) fine-tuning trains with, one rule per format kind
// (issue 18; docs/finetune.md "Gradients"), and learned step sizes (LSQ, Esser et al. 2020)
// for integer formats.
//
// Forward values are always the format's (quant::quantize()); the backward rule is:
//   integer (overflow = saturate), minifloat: clipped STE, dL/dx = dL/dq where the input
//       lies in the representable range [lo, hi], 0 where the format saturates;
//   block_fp, log, binary, ternary, float: identity STE, dL/dx = dL/dq everywhere;
//   integer with overflow = wrap: none. A wrapped value jumps from one end of the range to
//       the other, so neither rule describes it; fine-tuning refuses such a layer.
// LSQ (lsq_quantize): q = clamp(round(x / s), Qn, Qp) * s with the format's rounding and
// code range [Qn, Qp]; dq/dx = 1 inside the range, 0 outside; dq/ds = round(x/s) - x/s
// inside, Qn below, Qp above, times the gradient scale g = 1 / sqrt(N * Qp).
// Thread-safety: pure functions of their arguments.
#pragma once

#include <ATen/core/Tensor.h>

#include <optional>
#include <string>

#include "qdse/quant/formats/format.hpp"
#include "qdse/quant/formats/quantize.hpp"
#include "qdse/quant/quant_config.hpp"

namespace qdse::train {

// The rule above; nullopt for a format without a straight-through gradient.
std::optional<quant::SteGradient> ste_rule(const quant::Format& format);

// Forward: quant::quantize(x, format); backward: ste_rule(format). Throws
// Error(Config) for a format without one.
at::Tensor ste_quantize(const at::Tensor& x, const quant::Format& format);

// Throws Error(Config), one line naming the layer, the slot and the format, for the first
// slot of `config` whose format has no straight-through gradient; `where` ends the message
// ("trial 3 of runs/a/trials.json").
void check_ste(const quant::QuantConfig& config, const std::string& where);

// True for the formats whose step fine-tuning can learn (learn_scale): integer, saturating.
bool lsq_eligible(const quant::Format& format);

// LSQ fake quantization of x with the learnable scalar step `step` (the rule above), for an
// lsq_eligible format; grad_scale is g. Values equal quant::quantize(x, format) while
// step == 2^-frac_width.
at::Tensor lsq_quantize(const at::Tensor& x, const at::Tensor& step, const quant::IntegerFormat& format,
                        double grad_scale);

// LSQ's gradient scale 1 / sqrt(n * Qp) for a tensor of n elements (weights: the weight's
// elements; activations: one sample's features) in `format`.
double lsq_grad_scale(int64_t n, const quant::IntegerFormat& format);

}  // namespace qdse::train
