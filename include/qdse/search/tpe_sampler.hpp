// TpeSampler: Tree-structured Parzen Estimator (Bergstra et al. 2011) as Optuna
// implements it, plus two qdse extensions (avoid_duplicates, ordered_categoricals).
//
// After n_startup_trials finished trials (random before), trials are split into "below"
// (the gamma(n) best) and "above" (the rest); a Parzen mixture l(x) is fitted to below
// and g(x) to above; n_ei_candidates are drawn from l and the one maximising
// log l(x) - log g(x) is proposed. Multi-objective studies split by non-domination rank
// with a greedy hypervolume tie-break on the boundary front (Optuna's MOTPE);
// infeasible trials (a constraint > 0) only fill "below" when feasible ones run out.
// See docs/search.md for the details and what differs from Optuna.
// Thread-safety: not thread-safe; see sampler.hpp.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "qdse/search/random.hpp"
#include "qdse/search/sampler.hpp"

namespace qdse::search {

struct TpeOptions {
  int n_startup_trials = 10;
  int n_ei_candidates = 24;
  // Size of "below" given the number of finished trials; empty = Optuna's default
  // min(ceil(0.1 * n), 25).
  std::function<int(int)> gamma;
  // Weights of n observations in trial-number order; empty = Optuna's default_weights
  // (1 for the newest 25, a linear ramp from 1/n for older ones).
  std::function<std::vector<double>(int)> weights;
  double prior_weight = 1.0;
  bool consider_magic_clip = true;
  bool consider_endpoints = false;
  // Sample all params jointly from one mixture component (captures interactions) rather
  // than one independent estimator per param.
  bool multivariate = false;
  // For CategoricalDistribution::ordered params, a kernel decaying with the index
  // distance to the observed choice instead of Optuna's one-hot kernel.
  bool ordered_categoricals = false;
  // Propose the best candidate not already among the trials; when all candidates are
  // repeats and the finite space still has unseen configurations, draw one of those
  // uniformly.
  bool avoid_duplicates = true;
  std::uint64_t seed = 0;
};

// Optuna's defaults, exposed for tests and docs.
int default_gamma(int n);
std::vector<double> default_weights(int n);

class TpeSampler final : public Sampler {
 public:
  explicit TpeSampler(TpeOptions options = {});
  std::string name() const override { return "tpe"; }
  std::optional<ParamVector> ask(const SearchSpace& space, const std::vector<Direction>& directions,
                                 const std::vector<FrozenTrial>& trials) override;
  const TpeOptions& options() const { return options_; }

 private:
  TpeOptions options_;
  Rng rng_;
  SeenTracker seen_;
};

}  // namespace qdse::search
