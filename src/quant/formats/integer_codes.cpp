// integer_codes(): fused float32 -> int16 code conversion (see integer_codes.hpp).
#include "qdse/quant/formats/integer_codes.hpp"

#include <torch/types.h>
#include <torch/utils.h>

#include <cmath>

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define QDSE_HAVE_X86 1
#endif

#include "qdse/core/error.hpp"
#include "qdse/quant/formats/quantize.hpp"

namespace qdse::quant {
namespace {

// One row: returns false on NaN. Same arithmetic as quantize_integer's fast path
// (float32 product by 2^f, torch.round = nearest even, clamp to the code range).
bool row_portable(const float* x, int16_t* out, int64_t k, float scale, float lo, float hi) {
  for (int64_t i = 0; i < k; ++i) {
    const float y = x[i] * scale;
    if (std::isnan(y)) return false;
    float r = std::nearbyint(y);
    if (r < lo) r = lo;
    if (r > hi) r = hi;
    out[i] = static_cast<int16_t>(r);
  }
  return true;
}

#ifdef QDSE_HAVE_X86
__attribute__((target("avx2"))) bool row_avx2(const float* x, int16_t* out, int64_t k, float scale,
                                              float lo, float hi) {
  const __m256 s = _mm256_set1_ps(scale), vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
  __m256 nan = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= k; i += 8) {
    const __m256 y = _mm256_mul_ps(_mm256_loadu_ps(x + i), s);
    nan = _mm256_or_ps(nan, _mm256_cmp_ps(y, y, _CMP_UNORD_Q));
    __m256 r = _mm256_round_ps(y, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    r = _mm256_min_ps(_mm256_max_ps(r, vlo), vhi);
    const __m256i c = _mm256_cvtps_epi32(r);  // integral and within int16: exact
    const __m128i p = _mm_packs_epi32(_mm256_castsi256_si128(c), _mm256_extracti128_si256(c, 1));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), p);
  }
  if (_mm256_movemask_ps(nan) != 0) return false;
  return row_portable(x + i, out + i, k - i, scale, lo, hi);
}
#endif

bool have_avx2() {
#ifdef QDSE_HAVE_X86
  static const bool avx2 = __builtin_cpu_supports("avx2");
  return avx2;
#else
  return false;
#endif
}

}  // namespace

bool integer_codes_fit_int16(const IntegerFormat& f) {
  const auto [lo, hi] = integer_code_range(f);
  return lo >= -32768 && hi <= 32767;
}

at::Tensor integer_codes(const at::Tensor& x, const IntegerFormat& f, int64_t cols, at::Tensor out) {
  QDSE_ASSERT(x.dim() == 2 && x.scalar_type() == at::kFloat, "integer_codes: expects float32 [N, K]");
  QDSE_ASSERT(cols >= x.size(1), "integer_codes: cols must be >= K");
  if (!integer_codes_fit_int16(f)) return {};
  torch::NoGradGuard no_grad;
  const int64_t n = x.size(0), k = x.size(1);
  const int frac = resolved_frac_width(f);
  if (!out.defined()) out = torch::empty({n, cols}, torch::kShort);
  QDSE_ASSERT(out.scalar_type() == at::kShort && out.is_contiguous() && out.size(0) == n && out.size(1) == cols,
              "integer_codes: out must be contiguous int16 [N, cols]");
  if (cols > k) out.narrow(1, k, cols - k).zero_();
  int16_t* po = out.data_ptr<int16_t>();
  if (f.rounding == Rounding::NearestEven && f.overflow == Overflow::Saturate && frac >= -126 &&
      frac <= 127) {
    const at::Tensor xc = x.contiguous();
    const float* px = xc.data_ptr<float>();
    const auto [lo, hi] = integer_code_range(f);
    const float scale = std::ldexp(1.0f, frac);
    const bool vec = have_avx2();
    for (int64_t r = 0; r < n; ++r) {
#ifdef QDSE_HAVE_X86
      if (vec) {
        if (!row_avx2(px + r * k, po + r * cols, k, scale, static_cast<float>(lo), static_cast<float>(hi)))
          return {};
        continue;
      }
#endif
      if (!row_portable(px + r * k, po + r * cols, k, scale, static_cast<float>(lo), static_cast<float>(hi)))
        return {};
    }
    return out;
  }
  // Any other mode: the codes of quantize()'s result (on the 2^-frac grid, so exact).
  const at::Tensor q = quantize(x, Format{f}).to(torch::kDouble).mul_(std::ldexp(1.0, frac));
  if (q.isnan().any().item<bool>()) return {};
  out.narrow(1, 0, k).copy_(q.to(torch::kShort));
  return out;
}

}  // namespace qdse::quant
