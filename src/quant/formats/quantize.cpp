// quantize / quantize_ref / quantize_ste: dtype checks and dispatch per format.
#include "qdse/quant/formats/quantize.hpp"

#include <torch/types.h>
#include <torch/utils.h>
#include <torch/autograd.h>

#include <cmath>

#include "qdse/core/error.hpp"
#include "qdse/quant/formats/format_traits.hpp"

namespace qdse::quant {
namespace {

void check_input(const torch::Tensor& x, const char* fn) {
  if (!x.defined()) throw Error(ErrorKind::InvalidArgument, std::string(fn) + ": undefined tensor");
  const auto t = x.scalar_type();
  if (t != torch::kFloat && t != torch::kDouble) {
    throw Error(ErrorKind::InvalidArgument, std::string(fn) + ": expects float32 or float64, got " +
                                                std::string(c10::toString(t)));
  }
}

// Each format's row holds its fast and reference kernels (format_traits.cpp).
torch::Tensor dispatch(const torch::Tensor& x, const Format& format, bool reference) {
  const FormatTraits& t = format_traits(format.kind());
  return reference ? t.quantize_ref(x, format) : t.quantize(x, format);
}

// Forward: the fast quantizer. Backward: the incoming gradient, optionally zeroed
// where the input was outside [lo, hi] (the clipped straight-through estimator).
struct SteFunction : public torch::autograd::Function<SteFunction> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                               const Format& format, bool clip, double lo, double hi) {
    if (clip) {
      ctx->save_for_backward({x});
      ctx->saved_data["lo"] = lo;
      ctx->saved_data["hi"] = hi;
    }
    ctx->saved_data["clip"] = clip;
    return dispatch(x, format, /*reference=*/false);
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    torch::Tensor g = grads[0];
    if (ctx->saved_data["clip"].toBool()) {
      const torch::Tensor x = ctx->get_saved_variables()[0];
      const double lo = ctx->saved_data["lo"].toDouble();
      const double hi = ctx->saved_data["hi"].toDouble();
      g = torch::where((x >= lo) & (x <= hi), g, torch::zeros({}, g.options()));
    }
    return {g, torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor quantize(const torch::Tensor& x, const Format& format) {
  check_input(x, "quantize");
  torch::NoGradGuard no_grad;
  return dispatch(x, format, /*reference=*/false);
}

torch::Tensor quantize_ref(const torch::Tensor& x, const Format& format) {
  check_input(x, "quantize_ref");
  torch::NoGradGuard no_grad;
  return dispatch(x.cpu(), format, /*reference=*/true).to(x.device());
}

torch::Tensor quantize_ste(const torch::Tensor& x, const Format& format, SteGradient gradient) {
  check_input(x, "quantize_ste");
  const bool clip = gradient == SteGradient::Clipped;
  ValueRange range{0.0, 0.0};
  if (clip) range = representable_range(format);
  return SteFunction::apply(x, format, clip, range.lo, range.hi);
}

ValueRange representable_range(const Format& format) {
  if (const auto* f = std::get_if<IntegerFormat>(&format.params)) {
    const auto [lo, hi] = integer_code_range(*f);
    const double inv_scale = std::ldexp(1.0, -resolved_frac_width(*f));
    return {static_cast<double>(lo) * inv_scale, static_cast<double>(hi) * inv_scale};
  }
  if (const auto* f = std::get_if<MinifloatFormat>(&format.params)) {
    const double m = minifloat_max_value(*f);
    return {-m, m};
  }
  throw Error(ErrorKind::InvalidArgument,
              "representable_range (clipped STE) is defined for integer and minifloat, got " +
                  describe(format));
}

bool same_values(const torch::Tensor& a, const torch::Tensor& b) {
  if (a.sizes() != b.sizes() || a.scalar_type() != b.scalar_type()) return false;
  torch::NoGradGuard no_grad;
  return ((a == b) | (a.isnan() & b.isnan())).all().item<bool>();
}

}  // namespace qdse::quant
