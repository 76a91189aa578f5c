// TPE on categorical params with very many choices (issue 13, item 14): a 100,000-choice
// dimension used to allocate a (C + 1) x C kernel table per estimator (80 GB:
// std::bad_alloc); the estimator now keeps O(C + distinct observations) per param.
// Also checks that the compact categorical kernels are still proper densities.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "qdse/search/parzen_estimator.hpp"
#include "qdse/search/tpe_sampler.hpp"
#include "test_problems.hpp"

namespace qdse::search {
namespace {

CategoricalDistribution many_choices(int n, bool ordered) {
  std::vector<double> values;
  for (int i = 0; i < n; ++i) values.push_back(i);
  if (ordered) return make_ordered_categorical(values);
  CategoricalDistribution d;
  for (int i = 0; i < n; ++i) d.choices.push_back(std::to_string(i));
  return d;
}

TEST(TpeLargeChoice, HundredThousandChoicesRunPastTheStartupTrials) {
  for (bool multivariate : {false, true}) {
    SearchSpace space({{"big", many_choices(100000, false)}, {"small", many_choices(3, false)}});
    TpeOptions o;
    o.n_startup_trials = 5;
    o.multivariate = multivariate;
    o.seed = 7;
    // Minimise the distance to choice 1234 of the big param.
    auto f = [](const ParamVector& x) { return std::vector<double>{std::abs(x[0] - 1234.0) + x[1]}; };
    const auto r = testing::run_study(space, {Direction::Minimize}, std::make_unique<TpeSampler>(o), 30, f);
    ASSERT_EQ(r.trials.size(), 30u) << "multivariate=" << multivariate;
    for (const auto& t : r.trials) EXPECT_TRUE(is_valid(space, t.params));
  }
}

TEST(TpeLargeChoice, OrderedCategoricalsWithManyChoicesToo) {
  SearchSpace space({{"big", many_choices(20000, true)}});
  TpeOptions o;
  o.n_startup_trials = 3;
  o.ordered_categoricals = true;
  auto f = [](const ParamVector& x) { return std::vector<double>{x[0]}; };
  const auto r = testing::run_study(space, {Direction::Minimize}, std::make_unique<TpeSampler>(o), 12, f);
  EXPECT_EQ(r.trials.size(), 12u);
}

// Every categorical kernel, joint and marginal, sums to 1 over the choices, for both
// kernels, with repeated and distinct observations and unequal weights.
TEST(TpeLargeChoice, CompactCategoricalKernelsAreDensities) {
  for (bool ordered : {false, true}) {
    SearchSpace s({{"c", many_choices(7, true)}});
    ParamVector a{0}, b{3}, c{3}, d{6};
    ParzenOptions opt;
    opt.ordered_categoricals = ordered;
    opt.prior_weight = 0.7;
    ParzenEstimator pe(s, {&a, &b, &c, &d}, {0.2, 1.0, 1.0, 0.5}, opt);
    double joint = 0, marginal = 0;
    for (int v = 0; v < 7; ++v) {
      joint += std::exp(pe.log_pdf({static_cast<double>(v)}));
      marginal += std::exp(pe.log_pdf_param(0, v));
      EXPECT_NEAR(pe.log_pdf({static_cast<double>(v)}), pe.log_pdf_param(0, v), 1e-12);
    }
    EXPECT_NEAR(joint, 1.0, 1e-12) << "ordered=" << ordered;
    EXPECT_NEAR(marginal, 1.0, 1e-12) << "ordered=" << ordered;
    // Draws follow the density: choice 3 (observed twice) is the most frequent.
    Rng rng(11);
    std::vector<int> count(7, 0);
    for (int k = 0; k < 20000; ++k) ++count[static_cast<std::size_t>(pe.sample(rng)[0])];
    for (int v = 0; v < 7; ++v) {
      const double p = std::exp(pe.log_pdf_param(0, v));
      EXPECT_NEAR(count[v] / 20000.0, p, 0.015) << "ordered=" << ordered << " choice " << v;
    }
  }
}

}  // namespace
}  // namespace qdse::search
