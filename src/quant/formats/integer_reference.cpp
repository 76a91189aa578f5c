// Bit-accurate fixed-point linear layer and the float accumulation exactness rule.
#include "qdse/quant/formats/integer_reference.hpp"

#include <torch/types.h>

#include <cmath>
#include <vector>

#include "qdse/core/error.hpp"
#include "qdse/quant/formats/quantize.hpp"

namespace qdse::quant {
namespace {

const IntegerFormat& integer_of(const Format& f, const char* what) {
  if (!f.is<IntegerFormat>()) {
    throw Error(ErrorKind::InvalidArgument,
                std::string("integer_linear_ref: ") + what + " format must be integer, got " + describe(f));
  }
  return f.as<IntegerFormat>();
}

// Integer codes of quantize_ref(t): value * 2^f, exact because values are dyadic.
std::vector<int64_t> codes_of(const torch::Tensor& t, const IntegerFormat& f) {
  torch::Tensor q = quantize_ref(t, Format{f}).to(torch::kDouble).contiguous();
  const double scale = std::ldexp(1.0, resolved_frac_width(f));
  const double* p = q.data_ptr<double>();
  std::vector<int64_t> out(static_cast<size_t>(q.numel()));
  for (size_t i = 0; i < out.size(); ++i) {
    const double c = p[i] * scale;
    if (!std::isfinite(c)) {
      throw Error(ErrorKind::InvalidArgument, "integer_linear_ref: NaN input has no integer code");
    }
    out[i] = static_cast<int64_t>(c);
    QDSE_ASSERT(static_cast<double>(out[i]) == c, "quantized value is not on the fixed-point grid");
  }
  return out;
}

double max_abs_code(const IntegerFormat& f) {
  const auto [lo, hi] = integer_code_range(f);
  return std::max(std::fabs(static_cast<double>(lo)), std::fabs(static_cast<double>(hi)));
}

}  // namespace

torch::Tensor integer_linear_ref(const torch::Tensor& x, const torch::Tensor& w,
                                 const torch::Tensor& b, const Format& data_in,
                                 const Format& weight, const Format& bias) {
  const IntegerFormat& fx = integer_of(data_in, "data_in");
  const IntegerFormat& fw = integer_of(weight, "weight");
  const bool has_bias = b.defined();
  if (x.dim() != 2 || w.dim() != 2 || x.size(1) != w.size(1) ||
      (has_bias && (b.dim() != 1 || b.size(0) != w.size(0)))) {
    throw Error(ErrorKind::InvalidArgument,
                "integer_linear_ref: expects x [N, K], w [M, K], b [M]");
  }
  const int64_t n = x.size(0), k = x.size(1), m = w.size(0);
  const int acc_frac = resolved_frac_width(fx) + resolved_frac_width(fw);
  int s = acc_frac;  // common scale 2^-s of accumulator and bias
  std::vector<int64_t> cb;
  int bias_shift = 0;
  double bias_bound = 0.0;
  if (has_bias) {
    const IntegerFormat& fb = integer_of(bias, "bias");
    s = std::max(acc_frac, resolved_frac_width(fb));
    bias_shift = s - resolved_frac_width(fb);
    bias_bound = std::ldexp(max_abs_code(fb), bias_shift);
    cb = codes_of(b, fb);
  }
  const int acc_shift = s - acc_frac;
  const double bound =
      std::ldexp(max_abs_code(fx) * max_abs_code(fw) * static_cast<double>(k), acc_shift) + bias_bound;
  if (bound >= std::ldexp(1.0, 62)) {
    throw Error(ErrorKind::InvalidArgument,
                "integer_linear_ref: accumulator could exceed int64 (worst case 2^" +
                    std::to_string(std::log2(bound)) + ")");
  }
  const std::vector<int64_t> cx = codes_of(x, fx);
  const std::vector<int64_t> cw = codes_of(w, fw);

  torch::Tensor out = torch::empty({n, m}, torch::kFloat);
  float* po = out.data_ptr<float>();
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < m; ++j) {
      int64_t acc = 0;
      for (int64_t t = 0; t < k; ++t) acc += cx[i * k + t] * cw[j * k + t];
      int64_t total = acc * (int64_t{1} << acc_shift);
      if (has_bias) total += cb[j] * (int64_t{1} << bias_shift);
      // long double holds any int64 exactly (x86: 64-bit mantissa), so the result
      // is rounded once, to float32; with a 53-bit long double this is the brief's
      // "float64 then float32" and exact whenever |total| <= 2^53.
      po[i * m + j] = static_cast<float>(std::ldexp(static_cast<long double>(total), -s));
    }
  }
  return out;
}

bool accumulation_exact(int mantissa_bits, int data_width, int data_frac, int weight_width,
                        int weight_frac, int64_t fan_in, int bias_width, int bias_frac) {
  const int acc_frac = data_frac + weight_frac;
  const int s = bias_width > 0 ? std::max(acc_frac, bias_frac) : acc_frac;
  // Worst case of every partial sum, counted in units of 2^-s (integers).
  long double bound = std::ldexp(static_cast<long double>(fan_in), data_width - 1 + weight_width - 1 + s - acc_frac);
  if (bias_width > 0) bound += std::ldexp(1.0L, bias_width - 1 + s - bias_frac);
  return bound <= std::ldexp(1.0L, mantissa_bits);
}

bool float32_accumulation_exact(int data_width, int data_frac, int weight_width, int weight_frac,
                                int64_t fan_in, int bias_width, int bias_frac) {
  return accumulation_exact(24, data_width, data_frac, weight_width, weight_frac, fan_in, bias_width,
                            bias_frac);
}

bool float64_accumulation_exact(int data_width, int data_frac, int weight_width, int weight_frac,
                                int64_t fan_in, int bias_width, int bias_frac) {
  return accumulation_exact(53, data_width, data_frac, weight_width, weight_frac, fan_in, bias_width,
                            bias_frac);
}

}  // namespace qdse::quant
