// Minifloat: IEEE-754-style sign/exponent/mantissa with round to nearest even.
//
// The fast path works in float64 whatever the input (float32 subnormal steps such
// as 2^-149 and their inverses need more exponent range than float32 has); every
// minifloat value validate() allows is a float32, so the final cast is exact.
// Step for |x| in binade E (clamped to the normal range): 2^(E - m); rounding |x|
// to a multiple of the step and letting the carry roll into the next binade is
// exactly IEEE round-to-nearest-even (unlike MASE, which clamps the carry).
#include <torch/types.h>

#include <cmath>

#include "qdse/quant/formats/kernels.hpp"
#include "reference_loop.hpp"

namespace qdse::quant::detail {
namespace {

struct MinifloatLimits {
  int emin;        // exponent of the smallest normal (field 1)
  int emax;        // exponent of the largest finite binade
  double max;      // largest finite magnitude
  double min_normal;
};

MinifloatLimits limits_of(const MinifloatFormat& f) {
  const int bias = resolved_exponent_bias(f);
  const int top_field = (1 << f.exponent_width) - (f.ieee_like ? 2 : 1);
  return {1 - bias, top_field - bias, minifloat_max_value(f), minifloat_min_normal(f)};
}

template <class T>
void minifloat_ref_loop(const T* in, T* out, int64_t n, const MinifloatFormat& f) {
  const MinifloatLimits lim = limits_of(f);
  for (int64_t i = 0; i < n; ++i) {
    const double v = static_cast<double>(in[i]);
    const double a = std::fabs(v);
    double q;
    if (std::isnan(v) || a == 0.0) {
      q = a;  // NaN stays NaN; zero stays zero (sign restored below)
    } else if (std::isinf(v)) {
      q = f.ieee_like ? a : lim.max;
    } else {
      int ex = 0;
      std::frexp(a, &ex);              // a = frac * 2^ex, frac in [0.5, 1)
      const int e = std::max(ex - 1, lim.emin);  // below emin: subnormal spacing
      const double step = std::ldexp(1.0, e - f.mantissa_width);
      q = std::nearbyint(a / step) * step;
      if (q > lim.max) q = lim.max;
      if (!f.denormals && q < lim.min_normal) q = 0.0;
    }
    out[i] = static_cast<T>(std::copysign(q, v));
  }
}

}  // namespace

torch::Tensor quantize_minifloat(const torch::Tensor& x, const MinifloatFormat& f) {
  const MinifloatLimits lim = limits_of(f);
  torch::Tensor x64 = x.to(torch::kDouble);
  torch::Tensor e = floor_log2_abs(x64).clamp_(lim.emin, lim.emax);
  // x * 2^(m-e) is exact; round; back by 2^(e-m), also exact.
  torch::Tensor q = (x64 * exp2_int(f.mantissa_width - e)).round_().mul_(exp2_int(e - f.mantissa_width));
  q.clamp_(-lim.max, lim.max);  // saturate; NaN propagates
  if (!f.denormals) q.masked_fill_(q.abs() < lim.min_normal, 0.0);
  if (f.ieee_like) q = torch::where(x64.isinf(), x64, q);
  return q.to(x.scalar_type());
}

torch::Tensor quantize_minifloat_ref(const torch::Tensor& x, const MinifloatFormat& f) {
  return run_reference_loop(x, [&](const auto* in, auto* out, int64_t n) { minifloat_ref_loop(in, out, n, f); });
}

}  // namespace qdse::quant::detail
