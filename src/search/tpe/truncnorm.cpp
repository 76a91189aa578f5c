#include "qdse/search/truncnorm.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace qdse::search {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kLogSqrt2Pi = 0.91893853320467274178;  // log(sqrt(2*pi))

// log(1 - exp(x)) for x <= 0, accurate on both ends (Maechler 2012).
double log1mexp(double x) { return x > -0.6931471805599453 ? std::log(-std::expm1(x)) : std::log1p(-std::exp(x)); }

double log_sum_exp2(double a, double b) {
  if (a == -kInf) return b;
  if (b == -kInf) return a;
  const double m = std::max(a, b);
  return m + std::log(std::exp(a - m) + std::exp(b - m));
}

// Acklam's rational approximation of the normal quantile (relative error 1.15e-9);
// callers refine it with a Newton step.
double ndtri_approx(double p) {
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                                 1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                                 6.680131188771972e+01,  -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                                 -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                                 3.754408661907416e+00};
  constexpr double kLow = 0.02425;
  if (p < kLow) {
    const double q = std::sqrt(-2 * std::log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
           ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - kLow) {
    const double q = std::sqrt(-2 * std::log1p(-p));
    return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
           ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  const double q = p - 0.5;
  const double r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
         (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

// Inverse of log_ndtr for log_p <= log(1/2): the lower half, where log space matters.
double ndtri_exp_lower(double log_p) {
  double x;
  if (log_p > -700.0) {
    x = ndtri_approx(std::exp(log_p));
  } else {
    x = -std::sqrt(-2.0 * log_p);  // leading term of the tail asymptotics
  }
  // Newton on f(x) = log_ndtr(x) - log_p; f'(x) = pdf(x) / Phi(x).
  for (int i = 0; i < 3; ++i) {
    const double lc = log_ndtr(x);
    const double dlog = std::exp(-0.5 * x * x - kLogSqrt2Pi - lc);
    const double step = (lc - log_p) / dlog;
    if (!std::isfinite(step)) break;
    x -= step;
    if (std::abs(step) < 1e-14 * std::max(1.0, std::abs(x))) break;
  }
  return x;
}

}  // namespace

double log_ndtr(double x) {
  if (x > 6.0) return -0.5 * std::erfc(x / std::sqrt(2.0));  // log(1 - t) ~ -t, t tiny
  if (x > -20.0) return std::log(0.5 * std::erfc(-x / std::sqrt(2.0)));
  // Asymptotic series: Phi(x) ~ pdf(x)/(-x) * (1 - 1/x^2 + 3/x^4 - 15/x^6).
  const double x2 = x * x;
  const double series = 1.0 - 1.0 / x2 + 3.0 / (x2 * x2) - 15.0 / (x2 * x2 * x2);
  return -0.5 * x2 - kLogSqrt2Pi - std::log(-x) + std::log(series);
}

double log_gauss_mass(double a, double b) {
  if (!(a < b)) return -kInf;
  if (b <= 0.0) return log_ndtr(b) + log1mexp(log_ndtr(a) - log_ndtr(b));
  if (a >= 0.0) return log_ndtr(-a) + log1mexp(log_ndtr(-b) - log_ndtr(-a));
  // a < 0 < b: 1 - Phi(a) - Phi(-b), both terms small-ish, no cancellation.
  return std::log1p(-std::exp(log_ndtr(a)) - std::exp(log_ndtr(-b)));
}

double ndtri(double p) {
  if (p <= 0.0) return -kInf;
  if (p >= 1.0) return kInf;
  if (p <= 0.5) return ndtri_exp_lower(std::log(p));
  return -ndtri_exp_lower(std::log1p(-p));
}

double truncnorm_ppf(double q, double a, double b) {
  if (a >= b) return a;
  // Work on the side of the mass nearer -inf so log CDFs keep their precision.
  if (a > 0.0) return -truncnorm_ppf(1.0 - q, -b, -a);
  const double log_mass = log_gauss_mass(a, b);
  const double log_target = log_sum_exp2(log_ndtr(a), std::log(q) + log_mass);
  double x;
  if (log_target <= -0.6931471805599453) {
    x = ndtri_exp_lower(log_target);
  } else {
    // Upper half: invert through the complement 1 - Phi(x) = Phi(-x).
    x = -ndtri_exp_lower(log1mexp(log_target));
  }
  return std::clamp(x, a, b);
}

double truncnorm_log_pdf(double x, double mu, double sigma, double low, double high) {
  if (x < low || x > high) return -kInf;
  const double z = (x - mu) / sigma;
  return -0.5 * z * z - kLogSqrt2Pi - std::log(sigma) - log_gauss_mass((low - mu) / sigma, (high - mu) / sigma);
}

double sample_truncnorm(Rng& rng, double mu, double sigma, double low, double high) {
  const double x = mu + sigma * truncnorm_ppf(uniform01(rng), (low - mu) / sigma, (high - mu) / sigma);
  return std::clamp(x, low, high);
}

}  // namespace qdse::search
