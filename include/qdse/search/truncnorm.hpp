// Truncated normal helpers for TPE's Parzen kernels (as Optuna's _truncnorm): log CDF,
// log probability mass between two points and inverse-CDF sampling, all stable in the
// far tails. a and b are bounds in standard units ((bound - mu) / sigma).
// Pure functions; thread-safe.
#pragma once

#include "qdse/search/random.hpp"

namespace qdse::search {

// log Phi(x), Phi the standard normal CDF.
double log_ndtr(double x);
// log(Phi(b) - Phi(a)) for a <= b; -inf when a == b.
double log_gauss_mass(double a, double b);
// x with Phi(x) = p, 0 < p < 1.
double ndtri(double p);
// Standard normal truncated to [a, b]: the q-quantile, q in [0, 1).
double truncnorm_ppf(double q, double a, double b);
// log density at x of N(mu, sigma) truncated to [low, high].
double truncnorm_log_pdf(double x, double mu, double sigma, double low, double high);
// A draw from N(mu, sigma) truncated to [low, high].
double sample_truncnorm(Rng& rng, double mu, double sigma, double low, double high);

}  // namespace qdse::search
