// ParzenEstimator: TPE's density model, a weighted mixture with one kernel per observed
// configuration plus one prior kernel (Optuna's _ParzenEstimator).
//
// Per param: categorical kernels put (1 + prior_weight/K) mass on the observed choice
// and prior_weight/K on every choice, normalised (K = kernels); with
// ordered_categoricals an ordered categorical instead uses exp(-coef * (d/dmax)^2) of
// the index distance d (Optuna's categorical_distance_func kernel). Int and float params
// use truncated normals (int: the mass of the step-wide cell around the value; log
// floats in log space) with Optuna's bandwidths: neighbour distances (univariate) or
// 0.2 * n^(-1/(d+4)) * range (multivariate), clipped to [range/min(100, 1+K), range]
// by the magic clip. The prior kernel is uniform (categorical) or N(mid, range).
// Immutable after construction; const methods are thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "qdse/search/random.hpp"
#include "qdse/search/space.hpp"

namespace qdse::search {

struct ParzenOptions {
  double prior_weight = 1.0;
  bool consider_magic_clip = true;
  bool consider_endpoints = false;
  bool multivariate = false;
  bool ordered_categoricals = false;
};

class ParzenEstimator {
 public:
  // observations[i] is one configuration of `space`; weights[i] >= 0 its weight.
  ParzenEstimator(const SearchSpace& space, const std::vector<const ParamVector*>& observations,
                  const std::vector<double>& weights, const ParzenOptions& options);

  std::size_t n_kernels() const { return weights_.size(); }

  // Joint model: a component drawn by weight, then every param from that component.
  ParamVector sample(Rng& rng) const;
  double log_pdf(const ParamVector& x) const;

  // Marginal model of param p (the univariate TPE).
  double sample_param(std::size_t p, Rng& rng) const;
  double log_pdf_param(std::size_t p, double value) const;

 private:
  struct ParamKernels {
    bool categorical = false;
    // Categorical: kernels observing the same choice are identical, so only the
    // distinct rows are kept (row_choice: the observed choice, n_choices for the
    // prior) and row_of[k] says which one kernel k uses. Row probabilities are
    // computed from a few numbers rather than stored: memory is O(C + distinct rows),
    // not O(C^2) (a 100,000-choice param would need 80 GB as a C x C table).
    std::size_t n_choices = 0;
    bool distance = false;              // ordered_categoricals distance kernel
    double coef = 0.0;                  // its sharpness
    double onehot_base = 0.0, onehot_norm = 1.0, log_hit = 0.0, log_miss = 0.0;
    std::vector<std::uint32_t> row_choice, row_of;
    std::vector<double> row_log_norm;   // distance kernel: log of each row's normaliser
    std::vector<double> marginal, log_marginal;
    // Numeric, in transformed space (log for log floats); step 0 = continuous.
    bool log_scale = false;
    double step = 0.0, low = 0.0, high = 0.0;
    std::vector<double> mus, sigmas, log_norms;
  };
  static double distance_exponent(const ParamKernels& pk, std::size_t r, std::size_t c);
  static double categorical_log_p(const ParamKernels& pk, std::size_t row, std::size_t c);
  double sample_kernel(const ParamKernels& pk, std::size_t k, Rng& rng) const;
  double log_kernel(const ParamKernels& pk, std::size_t k, double value) const;

  std::vector<double> weights_, log_weights_;
  std::vector<ParamKernels> params_;
};

}  // namespace qdse::search
