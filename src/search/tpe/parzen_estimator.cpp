#include "qdse/search/parzen_estimator.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "qdse/core/error.hpp"
#include "qdse/search/truncnorm.hpp"

namespace qdse::search {
namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();
constexpr double kMinSigma = 1e-12;
constexpr double kSigma0Magnitude = 0.2;  // Optuna's multivariate bandwidth scale

double log_sum_exp(const double* v, std::size_t n) {
  double m = kNegInf;
  for (std::size_t i = 0; i < n; ++i) m = std::max(m, v[i]);
  if (m == kNegInf) return kNegInf;
  double s = 0.0;
  for (std::size_t i = 0; i < n; ++i) s += std::exp(v[i] - m);
  return m + std::log(s);
}

}  // namespace

double ParzenEstimator::distance_exponent(const ParamKernels& pk, std::size_t r, std::size_t c) {
  const std::size_t C = pk.n_choices;
  const double dmax = static_cast<double>(std::max(r, C - 1 - r));
  const double d = std::abs(static_cast<double>(c) - static_cast<double>(r)) / dmax;
  return -d * d * pk.coef;
}

double ParzenEstimator::categorical_log_p(const ParamKernels& pk, std::size_t row, std::size_t c) {
  const std::size_t r = pk.row_choice[row];
  if (r == pk.n_choices) return -std::log(static_cast<double>(pk.n_choices));  // prior: uniform
  if (pk.distance) return distance_exponent(pk, r, c) - pk.row_log_norm[row];
  return c == r ? pk.log_hit : pk.log_miss;
}

ParzenEstimator::ParzenEstimator(const SearchSpace& space, const std::vector<const ParamVector*>& observations,
                                 const std::vector<double>& weights, const ParzenOptions& options) {
  QDSE_ASSERT(observations.size() == weights.size(), "one weight per observation");
  const std::size_t n_obs = observations.size();
  const std::size_t n_kernels = n_obs + 1;  // the prior is always on (Optuna's consider_prior)

  weights_ = weights;
  weights_.push_back(n_obs == 0 ? 1.0 : options.prior_weight);
  double total = std::accumulate(weights_.begin(), weights_.end(), 0.0);
  if (!(total > 0.0)) total = 1.0;
  for (double& w : weights_) w /= total;
  log_weights_.resize(weights_.size());
  for (std::size_t k = 0; k < weights_.size(); ++k) log_weights_[k] = std::log(weights_[k]);

  params_.resize(space.n_params());
  for (std::size_t p = 0; p < space.n_params(); ++p) {
    ParamKernels& pk = params_[p];
    const Distribution& dist = space.distribution(p);
    if (const auto* cat = std::get_if<CategoricalDistribution>(&dist)) {
      pk.categorical = true;
      const std::size_t C = cat->choices.size();
      pk.n_choices = C;
      pk.distance = options.ordered_categoricals && cat->ordered && C > 1;
      // Optuna's sharpness for distance kernels: grows with the number of kernels.
      pk.coef = std::log(static_cast<double>(n_kernels) / options.prior_weight) * std::log(static_cast<double>(C)) /
                std::log(6.0);
      // One-hot kernel: prior_weight/K on every choice plus 1 on the observed one, normalised.
      const double b = options.prior_weight / static_cast<double>(n_kernels);
      const double norm = static_cast<double>(C) * b + 1.0;
      pk.onehot_base = b;
      pk.onehot_norm = norm;
      pk.log_hit = std::log((b + 1.0) / norm);
      pk.log_miss = std::log(b / norm);
      // Distinct rows: kernels observing the same choice are identical.
      std::vector<std::uint32_t> slot(C + 1, std::numeric_limits<std::uint32_t>::max());
      std::vector<double> row_weight;
      pk.row_of.resize(n_kernels);
      for (std::size_t k = 0; k < n_kernels; ++k) {
        const std::size_t r = k == n_obs ? C : static_cast<std::size_t>((*observations[k])[p]);
        QDSE_ASSERT(r <= C, "categorical observation outside its choices");
        if (slot[r] == std::numeric_limits<std::uint32_t>::max()) {
          slot[r] = static_cast<std::uint32_t>(pk.row_choice.size());
          pk.row_choice.push_back(static_cast<std::uint32_t>(r));
          row_weight.push_back(0.0);
        }
        pk.row_of[k] = slot[r];
        row_weight[slot[r]] += weights_[k];
      }
      const std::size_t D = pk.row_choice.size();
      pk.row_log_norm.assign(D, 0.0);
      if (pk.distance) {
        for (std::size_t d = 0; d < D; ++d) {
          if (pk.row_choice[d] == C) continue;
          double z = 0.0;
          for (std::size_t c = 0; c < C; ++c) z += std::exp(distance_exponent(pk, pk.row_choice[d], c));
          pk.row_log_norm[d] = std::log(z);
        }
      }
      pk.marginal.assign(C, 0.0);
      for (std::size_t d = 0; d < D; ++d) {
        const std::size_t r = pk.row_choice[d];
        if (r == C) {
          for (double& m : pk.marginal) m += row_weight[d] / static_cast<double>(C);
        } else if (pk.distance) {
          for (std::size_t c = 0; c < C; ++c) pk.marginal[c] += row_weight[d] * std::exp(categorical_log_p(pk, d, c));
        } else {
          const double miss = row_weight[d] * (b / norm);
          for (double& m : pk.marginal) m += miss;
          pk.marginal[r] += row_weight[d] * ((b + 1.0) / norm) - miss;
        }
      }
      pk.log_marginal.resize(C);
      for (std::size_t c = 0; c < C; ++c) pk.log_marginal[c] = std::log(pk.marginal[c]);
      continue;
    }

    // Numeric params, in transformed space.
    std::vector<double> mus(n_obs);
    if (const auto* in = std::get_if<IntDistribution>(&dist)) {
      pk.step = static_cast<double>(in->step);
      pk.low = static_cast<double>(in->low);
      pk.high = static_cast<double>(in->high);
      for (std::size_t k = 0; k < n_obs; ++k) mus[k] = (*observations[k])[p];
    } else {
      const auto& fl = std::get<FloatDistribution>(dist);
      pk.log_scale = fl.log;
      pk.low = fl.log ? std::log(fl.low) : fl.low;
      pk.high = fl.log ? std::log(fl.high) : fl.high;
      for (std::size_t k = 0; k < n_obs; ++k)
        mus[k] = fl.log ? std::log((*observations[k])[p]) : (*observations[k])[p];
    }
    const double range = pk.high - pk.low + pk.step;
    const double prior_mu = 0.5 * (pk.low + pk.high);
    std::vector<double> sigmas(n_obs);
    if (options.multivariate) {
      const double sigma = kSigma0Magnitude *
                           std::pow(static_cast<double>(std::max<std::size_t>(n_obs, 1)),
                                    -1.0 / (static_cast<double>(space.n_params()) + 4.0)) *
                           range;
      std::fill(sigmas.begin(), sigmas.end(), sigma);
    } else if (n_obs > 0) {
      // Bandwidth = the larger gap to a sorted neighbour, the prior mean counted as a point
      // and the (half-step widened) bounds as sentinels.
      std::vector<double> pts = mus;
      pts.push_back(prior_mu);
      std::vector<std::size_t> order(pts.size());
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return pts[a] < pts[b]; });
      const std::size_t m = pts.size();
      std::vector<double> sorted(m + 2);
      sorted[0] = pk.low - pk.step / 2;
      for (std::size_t i = 0; i < m; ++i) sorted[i + 1] = pts[order[i]];
      sorted[m + 1] = pk.high + pk.step / 2;
      std::vector<double> sorted_sigma(m);
      for (std::size_t i = 0; i < m; ++i)
        sorted_sigma[i] = std::max(sorted[i + 1] - sorted[i], sorted[i + 2] - sorted[i + 1]);
      if (!options.consider_endpoints && m + 2 >= 4) {
        sorted_sigma[0] = sorted[2] - sorted[1];
        sorted_sigma[m - 1] = sorted[m] - sorted[m - 1];
      }
      for (std::size_t i = 0; i < m; ++i)
        if (order[i] < n_obs) sigmas[order[i]] = sorted_sigma[i];
    }
    const double max_sigma = range;
    const double min_sigma =
        options.consider_magic_clip ? range / std::min(100.0, 1.0 + static_cast<double>(n_kernels)) : kMinSigma;
    for (double& s : sigmas) s = std::clamp(s, min_sigma, std::max(max_sigma, min_sigma));
    mus.push_back(prior_mu);
    sigmas.push_back(range);
    // A degenerate range (low == high) still needs a positive bandwidth.
    for (double& s : sigmas) s = std::max(s, kMinSigma);
    pk.mus = std::move(mus);
    pk.sigmas = std::move(sigmas);
    pk.log_norms.resize(n_kernels);
    const double lo = pk.low - pk.step / 2, hi = pk.high + pk.step / 2;
    for (std::size_t k = 0; k < n_kernels; ++k)
      pk.log_norms[k] = hi > lo ? log_gauss_mass((lo - pk.mus[k]) / pk.sigmas[k], (hi - pk.mus[k]) / pk.sigmas[k]) : 0.0;
  }
}

double ParzenEstimator::sample_kernel(const ParamKernels& pk, std::size_t k, Rng& rng) const {
  if (pk.categorical) {
    const std::size_t row = pk.row_of[k], r = pk.row_choice[row], C = pk.n_choices;
    if (r == C) return static_cast<double>(uniform_index(rng, C));
    if (!pk.distance) {
      // Mass 1 on r plus onehot_base on every choice, out of onehot_norm.
      const double u = uniform01(rng) * pk.onehot_norm;
      if (u < 1.0) return static_cast<double>(r);
      return static_cast<double>(std::min(C - 1, static_cast<std::size_t>((u - 1.0) / pk.onehot_base)));
    }
    thread_local std::vector<double> probs;
    probs.resize(C);
    for (std::size_t c = 0; c < C; ++c) probs[c] = std::exp(categorical_log_p(pk, row, c));
    return static_cast<double>(weighted_index(rng, probs));
  }
  const double lo = pk.low - pk.step / 2, hi = pk.high + pk.step / 2;
  double x = hi > lo ? sample_truncnorm(rng, pk.mus[k], pk.sigmas[k], lo, hi) : pk.low;
  if (pk.step > 0.0) {
    x = pk.low + std::round((x - pk.low) / pk.step) * pk.step;
    return std::clamp(x, pk.low, pk.high);
  }
  x = std::clamp(x, pk.low, pk.high);
  return pk.log_scale ? std::exp(x) : x;
}

double ParzenEstimator::log_kernel(const ParamKernels& pk, std::size_t k, double value) const {
  if (pk.categorical) return categorical_log_p(pk, pk.row_of[k], static_cast<std::size_t>(value));
  const double mu = pk.mus[k], sigma = pk.sigmas[k];
  if (pk.step > 0.0) {
    const double a = (value - pk.step / 2 - mu) / sigma, b = (value + pk.step / 2 - mu) / sigma;
    return log_gauss_mass(a, b) - pk.log_norms[k];
  }
  const double x = pk.log_scale ? std::log(value) : value;
  if (!(pk.high > pk.low)) return 0.0;
  const double z = (x - mu) / sigma;
  return -0.5 * z * z - 0.91893853320467274178 - std::log(sigma) - pk.log_norms[k];
}

ParamVector ParzenEstimator::sample(Rng& rng) const {
  const std::size_t k = weighted_index(rng, weights_);
  ParamVector x(params_.size());
  for (std::size_t p = 0; p < params_.size(); ++p) x[p] = sample_kernel(params_[p], k, rng);
  return x;
}

double ParzenEstimator::log_pdf(const ParamVector& x) const {
  thread_local std::vector<double> terms;
  terms.assign(log_weights_.begin(), log_weights_.end());
  for (std::size_t p = 0; p < params_.size(); ++p) {
    const ParamKernels& pk = params_[p];
    if (pk.categorical) {
      // One value per distinct row: look them up once, then gather.
      thread_local std::vector<double> column;
      column.resize(pk.row_choice.size());
      const std::size_t c = static_cast<std::size_t>(x[p]);
      for (std::size_t r = 0; r < column.size(); ++r) column[r] = categorical_log_p(pk, r, c);
      for (std::size_t k = 0; k < terms.size(); ++k) terms[k] += column[pk.row_of[k]];
    } else {
      for (std::size_t k = 0; k < terms.size(); ++k) terms[k] += log_kernel(pk, k, x[p]);
    }
  }
  return log_sum_exp(terms.data(), terms.size());
}

double ParzenEstimator::sample_param(std::size_t p, Rng& rng) const {
  const ParamKernels& pk = params_[p];
  if (pk.categorical) return static_cast<double>(weighted_index(rng, pk.marginal));
  return sample_kernel(pk, weighted_index(rng, weights_), rng);
}

double ParzenEstimator::log_pdf_param(std::size_t p, double value) const {
  const ParamKernels& pk = params_[p];
  if (pk.categorical) return pk.log_marginal[static_cast<std::size_t>(value)];
  thread_local std::vector<double> terms;
  terms.resize(weights_.size());
  for (std::size_t k = 0; k < terms.size(); ++k) terms[k] = log_weights_[k] + log_kernel(pk, k, value);
  return log_sum_exp(terms.data(), terms.size());
}

}  // namespace qdse::search
