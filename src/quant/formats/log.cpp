// Base-2 logarithmic quantization (MASE's `log`): +-2^E with E an integer code.
//
// E is log2|x| rounded to nearest in the log domain: floor(log2|x|), plus one when
// the mantissa |x| / 2^floor exceeds sqrt(2). The comparison is made on the exact
// mantissa (exponent-field arithmetic), not on a computed log2, so fast and
// reference paths agree bit for bit; MASE's float log2 can differ from this only
// for inputs within an ulp of sqrt(2) * 2^k. E saturates to [e_min, e_max].
// Zero: has_zero=false (MASE) -> +2^e_min for +0 and -0, tiny values saturate to
// +-2^e_min keeping their sign; has_zero=true -> E < e_min flushes to (signed) 0.
#include <torch/types.h>

#include <cmath>

#include "qdse/quant/formats/kernels.hpp"
#include "reference_loop.hpp"

namespace qdse::quant::detail {
namespace {

constexpr double kSqrt2 = 1.41421356237309504880;

struct LogLimits {
  int emin;
  int emax;
};

LogLimits limits_of(const LogFormat& f) {
  const int bias = resolved_exponent_bias(f);
  return {-bias + (f.has_zero ? 1 : 0), (1 << f.exponent_width) - 1 - bias};
}

template <class T>
void log_ref_loop(const T* in, T* out, int64_t n, const LogFormat& f) {
  const LogLimits lim = limits_of(f);
  for (int64_t i = 0; i < n; ++i) {
    const double v = static_cast<double>(in[i]);
    const double sign = v < 0 ? -1.0 : 1.0;  // +0 and -0 count as positive (MASE)
    const double a = std::fabs(v);
    if (std::isnan(v)) {
      out[i] = in[i];
      continue;
    }
    int e;
    if (a == 0.0) {
      e = lim.emin - 1;  // below everything: underflow
    } else if (std::isinf(a)) {
      e = lim.emax;
    } else {
      int ex = 0;
      const double frac = std::frexp(a, &ex);  // a = frac * 2^ex, frac in [0.5, 1)
      e = (ex - 1) + (2.0 * frac > kSqrt2 ? 1 : 0);
    }
    double q;
    if (e < lim.emin) {
      q = f.has_zero ? 0.0 : std::ldexp(1.0, lim.emin);
    } else {
      q = std::ldexp(1.0, std::min(e, lim.emax));
    }
    out[i] = static_cast<T>(f.has_zero && q == 0.0 ? std::copysign(0.0, v) : sign * q);
  }
}

}  // namespace

torch::Tensor quantize_log(const torch::Tensor& x, const LogFormat& f) {
  const LogLimits lim = limits_of(f);
  torch::Tensor x64 = x.to(torch::kDouble);
  torch::Tensor a = x64.abs();
  // Clamp keeps exp2_int in range; zero/subnormal/Inf/NaN are settled below anyway.
  torch::Tensor e = floor_log2_abs(x64).clamp_(-1022, 1022);
  e.add_((a > exp2_int(e).mul_(kSqrt2)).to(torch::kLong));
  torch::Tensor q = exp2_int(e.clamp(lim.emin, lim.emax));
  if (f.has_zero) q.masked_fill_(e < lim.emin, 0.0);
  q = torch::where(x64 < 0, -q, q);
  q = torch::where(x64.isnan(), x64, q);
  return q.to(x.scalar_type());
}

torch::Tensor quantize_log_ref(const torch::Tensor& x, const LogFormat& f) {
  return run_reference_loop(x, [&](const auto* in, auto* out, int64_t n) { log_ref_loop(in, out, n, f); });
}

}  // namespace qdse::quant::detail
