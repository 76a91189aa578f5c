// Binary {-1, +1} and ternary {-1, 0, +1} quantization, optionally scaled.
//
// Scales and the default ternary threshold are tensor statistics computed in
// float64 and then rounded once to the input dtype, so the fast path (torch sums)
// and the reference (sequential sums) agree except in the astronomically rare case
// where the two float64 sums straddle a float32 rounding boundary.
// NaN inputs give NaN outputs; a NaN also poisons mean|x| (binary scale, default
// ternary threshold) as it would in MASE.
#include <torch/types.h>

#include <cmath>

#include "qdse/quant/formats/kernels.hpp"
#include "reference_loop.hpp"

namespace qdse::quant::detail {
namespace {

// Round a float64 statistic to the dtype it will be compared/multiplied in.
double to_dtype(double v, torch::ScalarType t) {
  return t == torch::kFloat ? static_cast<double>(static_cast<float>(v)) : v;
}

template <class T>
double mean_abs(const T* in, int64_t n) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += std::fabs(static_cast<double>(in[i]));
  return sum / static_cast<double>(n);
}

template <class T>
void binary_ref_loop(const T* in, T* out, int64_t n, const BinaryFormat& f, torch::ScalarType t) {
  const double alpha = f.scaled ? to_dtype(mean_abs(in, n), t) : 1.0;
  for (int64_t i = 0; i < n; ++i) {
    if (std::isnan(static_cast<double>(in[i]))) {
      out[i] = in[i];
      continue;
    }
    out[i] = static_cast<T>(in[i] >= 0 ? alpha : -alpha);  // -0 >= 0: +1, as MASE
  }
}

template <class T>
void ternary_ref_loop(const T* in, T* out, int64_t n, const TernaryFormat& f, torch::ScalarType t) {
  const double delta = to_dtype(f.threshold ? *f.threshold : 0.75 * mean_abs(in, n), t);
  double alpha = 1.0;
  if (f.scaled) {
    double sum = 0.0;
    int64_t count = 0;
    for (int64_t i = 0; i < n; ++i) {
      const double a = std::fabs(static_cast<double>(in[i]));
      if (a > delta) {
        sum += a;
        ++count;
      }
    }
    alpha = count == 0 ? 0.0 : to_dtype(sum / static_cast<double>(count), t);
  }
  for (int64_t i = 0; i < n; ++i) {
    const double v = static_cast<double>(in[i]);
    if (std::isnan(v)) {
      out[i] = in[i];
      continue;
    }
    out[i] = static_cast<T>(v > delta ? alpha : (v < -delta ? -alpha : 0.0));
  }
}

double mean_abs(const torch::Tensor& x) {
  return x.abs().sum(torch::kDouble).item<double>() / static_cast<double>(x.numel());
}

}  // namespace

torch::Tensor quantize_binary(const torch::Tensor& x, const BinaryFormat& f) {
  const double alpha = f.scaled ? to_dtype(mean_abs(x), x.scalar_type()) : 1.0;
  torch::Tensor pos = torch::full({}, alpha, x.options());
  torch::Tensor q = torch::where(x >= 0, pos, -pos);
  return torch::where(x.isnan(), x, q);
}

torch::Tensor quantize_binary_ref(const torch::Tensor& x, const BinaryFormat& f) {
  const auto t = x.scalar_type();
  return run_reference_loop(x, [&](const auto* in, auto* out, int64_t n) { binary_ref_loop(in, out, n, f, t); });
}

torch::Tensor quantize_ternary(const torch::Tensor& x, const TernaryFormat& f) {
  const auto t = x.scalar_type();
  const double delta = to_dtype(f.threshold ? *f.threshold : 0.75 * mean_abs(x), t);
  torch::Tensor q = (x > delta).to(t) - (x < -delta).to(t);
  if (f.scaled) {
    torch::Tensor a = x.abs();
    torch::Tensor above = a > delta;
    const int64_t count = above.sum().item<int64_t>();
    const double sum = torch::where(above, a, torch::zeros({}, a.options())).sum(torch::kDouble).item<double>();
    const double alpha = count == 0 ? 0.0 : to_dtype(sum / static_cast<double>(count), t);
    q.mul_(alpha);
  }
  return torch::where(x.isnan(), x, q);
}

torch::Tensor quantize_ternary_ref(const torch::Tensor& x, const TernaryFormat& f) {
  const auto t = x.scalar_type();
  return run_reference_loop(x, [&](const auto* in, auto* out, int64_t n) { ternary_ref_loop(in, out, n, f, t); });
}

}  // namespace qdse::quant::detail
