// Synthetic problems shared by the sampler tests: small categorical spaces with known
// optima, and a loop that runs a study on them.
#pragma once

#include <cmath>
#include <functional>
#include <memory>
#include <string>

#include "qdse/search/sampler_factory.hpp"
#include "qdse/search/study.hpp"

namespace qdse::search::testing {

// n_params ordered categoricals with n_choices choices each.
inline SearchSpace categorical_space(int n_params, int n_choices) {
  SearchSpace s;
  std::vector<double> values;
  for (int c = 0; c < n_choices; ++c) values.push_back(c);
  for (int p = 0; p < n_params; ++p) s.add("p" + std::to_string(p), make_ordered_categorical(values));
  return s;
}

// Separable bowl with a mild coupling between neighbours; unique minimum 0 at
// x_p = (2p + 1) % n_choices.
inline double bowl(const ParamVector& x, int n_choices) {
  double f = 0.0;
  for (std::size_t p = 0; p < x.size(); ++p) {
    const double t = static_cast<double>((p * 2 + 1) % static_cast<std::size_t>(n_choices));
    f += (x[p] - t) * (x[p] - t);
    if (p > 0) f += 0.25 * std::abs((x[p] - t) * (x[p - 1] - static_cast<double>(((p - 1) * 2 + 1) % n_choices)));
  }
  return f;
}

// Two conflicting objectives (both minimised) on a categorical space.
inline std::vector<double> two_objectives(const ParamVector& x, int n_choices) {
  double f1 = 0.0, f2 = 0.0;
  for (std::size_t p = 0; p < x.size(); ++p) {
    const double u = x[p] / (n_choices - 1);
    f1 += u * u;
    f2 += (1 - u) * (1 - u) + 0.3 * std::sin(3.0 * u * (p + 1));
  }
  return {f1, f2};
}

struct RunResult {
  std::vector<FrozenTrial> trials;
  int first_hit = -1;  // number of trials until the target value was first reached
};

inline RunResult run_study(const SearchSpace& space, std::vector<Direction> directions, std::unique_ptr<Sampler> sampler,
                           int n_trials, const std::function<std::vector<double>(const ParamVector&)>& objective,
                           std::optional<double> target = std::nullopt) {
  Study study(space, std::move(directions), std::make_shared<InMemoryStorage>(), std::move(sampler));
  RunResult r;
  for (int i = 0; i < n_trials; ++i) {
    auto t = study.ask();
    if (!t) break;
    auto v = objective(t->params);
    study.tell(t->number, v);
    if (target && v[0] <= *target) {
      r.first_hit = i + 1;  // the caller only wants to know when
      break;
    }
  }
  r.trials = study.trials();
  return r;
}

}  // namespace qdse::search::testing
