// Fixed-point ("integer") quantization, MASE-compatible by construction.
//
// Fast path mirrors MASE's op order on the input dtype: x * 2^f -> round -> clamp
// -> / 2^f. Scaling by a power of two is exact (validate() keeps 2^f and every
// result in float32's normal range), so the only rounding is the chosen integer
// rounding, and the result equals the exact fixed-point value rounded once to the
// output dtype. At width >= 26 the float32 clamp bound 2^(w-1)-1 itself rounds to
// 2^(w-1); that is exactly fl32(2^(w-1)-1), so the result is still the correctly
// rounded fixed-point value (and what PyTorch gives MASE).
#include <torch/types.h>

#include <cmath>

#include "qdse/core/error.hpp"
#include "qdse/quant/formats/kernels.hpp"
#include "reference_loop.hpp"

namespace qdse::quant::detail {
namespace {

// Ties away from zero without the x + 0.5 trap (0.49999997f + 0.5f == 1.0f):
// y - trunc(y) is exact, so compare the fractional part directly.
torch::Tensor round_nearest_away(const torch::Tensor& y) {
  torch::Tensor t = y.trunc();
  torch::Tensor away = (y - t).abs_() >= 0.5;
  return torch::where(away, t + y.sign(), t);
}

double round_value(double y, Rounding mode) {
  switch (mode) {
    case Rounding::NearestEven: return std::nearbyint(y);  // default FE_TONEAREST
    case Rounding::NearestAway: return std::round(y);
    case Rounding::Floor: return std::floor(y);
    case Rounding::TowardZero: return std::trunc(y);
  }
  return y;
}

template <class T>
void integer_ref_loop(const T* in, T* out, int64_t n, const IntegerFormat& f) {
  const int frac = resolved_frac_width(f);
  const auto [lo, hi] = integer_code_range(f);
  const double scale = std::ldexp(1.0, frac);
  const double modulus = std::ldexp(1.0, f.width);
  for (int64_t i = 0; i < n; ++i) {
    const double v = static_cast<double>(in[i]);
    if (std::isnan(v)) {
      out[i] = in[i];
      continue;
    }
    double r = round_value(v * scale, f.rounding);  // v * 2^f is exact in double
    if (f.overflow == Overflow::Saturate || std::isinf(r)) {
      // Comparisons keep a -0.0 from round() as -0.0, like torch.clamp (MASE).
      if (r < static_cast<double>(lo)) r = static_cast<double>(lo);
      if (r > static_cast<double>(hi)) r = static_cast<double>(hi);
    } else {
      // Two's complement: keep the low `width` bits. fmod is exact and brings r
      // into (-2^w, 2^w) so it fits int64 before the bit masking.
      const int64_t code = static_cast<int64_t>(std::fmod(r, modulus));
      const uint64_t mask = (uint64_t{1} << f.width) - 1;
      uint64_t bits = static_cast<uint64_t>(code) & mask;
      int64_t wrapped = static_cast<int64_t>(bits);
      if (f.is_signed && wrapped > hi) wrapped -= static_cast<int64_t>(mask) + 1;
      r = static_cast<double>(wrapped);
    }
    out[i] = static_cast<T>(r / scale);  // exact in double; one rounding to T
  }
}

}  // namespace

torch::Tensor quantize_integer(const torch::Tensor& x, const IntegerFormat& f) {
  if (f.overflow == Overflow::Wrap && x.scalar_type() == torch::kFloat) {
    // x * 2^f may overflow float32 to Inf, losing the low bits Wrap keeps; float64
    // holds every float32 * 2^64 exactly, and the final cast rounds once.
    return quantize_integer(x.to(torch::kDouble), f).to(torch::kFloat);
  }
  const int frac = resolved_frac_width(f);
  const auto [lo, hi] = integer_code_range(f);
  const double scale = std::ldexp(1.0, frac);

  torch::Tensor y = x.mul(scale);
  switch (f.rounding) {
    case Rounding::NearestEven: y.round_(); break;  // torch.round: half to even
    case Rounding::NearestAway: y = round_nearest_away(y); break;
    case Rounding::Floor:
      y.floor_();
      // With 2^f < 1 a tiny negative x can underflow to -0 (float32), where floor
      // must give -1 as it would on the exact product.
      if (frac < 0) y.masked_fill_((y == 0) & (x < 0), -1.0);
      break;
    case Rounding::TowardZero: y.trunc_(); break;
  }
  if (f.overflow == Overflow::Saturate) {
    y.clamp_(static_cast<double>(lo), static_cast<double>(hi));
  } else {
    // r = y - trunc(y / 2^w) * 2^w is exact for a power-of-two modulus (torch's
    // vectorized fmod is not for huge float32 values). The fix-ups compare with
    // powers of two (exact in float32 even at width 32, where hi = 2^31-1 would
    // round) and Sterbenz makes the +-2^w corrections exact.
    const double modulus = std::ldexp(1.0, f.width);
    torch::Tensor r = y - y.mul(1.0 / modulus).trunc_().mul_(modulus);
    if (f.is_signed) {
      const double half = modulus / 2;
      r = torch::where(r >= half, r - modulus, r);
      r = torch::where(r < -half, r + modulus, r);
    } else {
      r = torch::where(r < 0, r + modulus, r);
    }
    // Inf has no low bits: it saturates, as in Saturate mode.
    y = torch::where(y.isinf(), y.clamp(static_cast<double>(lo), static_cast<double>(hi)), r);
  }
  // Multiplying by 2^-f equals MASE's division by 2^f: both exact here.
  return y.mul_(1.0 / scale);
}

torch::Tensor quantize_integer_ref(const torch::Tensor& x, const IntegerFormat& f) {
  return run_reference_loop(x, [&](const auto* in, auto* out, int64_t n) { integer_ref_loop(in, out, n, f); });
}

}  // namespace qdse::quant::detail
