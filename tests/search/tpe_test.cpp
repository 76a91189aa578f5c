#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "qdse/search/parzen_estimator.hpp"
#include "qdse/search/random_sampler.hpp"
#include "qdse/search/tpe_sampler.hpp"
#include "qdse/search/truncnorm.hpp"
#include "test_problems.hpp"

namespace qdse::search {
namespace {

using testing::bowl;
using testing::categorical_space;
using testing::run_study;

TEST(Tpe, OptunaDefaults) {
  EXPECT_EQ(default_gamma(0), 0);
  EXPECT_EQ(default_gamma(1), 1);
  EXPECT_EQ(default_gamma(10), 1);
  EXPECT_EQ(default_gamma(11), 2);
  EXPECT_EQ(default_gamma(1000), 25);
  EXPECT_EQ(default_weights(3), (std::vector<double>{1, 1, 1}));
  const auto w = default_weights(30);  // ramp of 5 from 1/30 to 1, then 25 ones
  ASSERT_EQ(w.size(), 30u);
  EXPECT_DOUBLE_EQ(w[0], 1.0 / 30);
  EXPECT_DOUBLE_EQ(w[4], 1.0);
  EXPECT_DOUBLE_EQ(w[2], 1.0 / 30 + (1 - 1.0 / 30) * 0.5);
  EXPECT_DOUBLE_EQ(w[29], 1.0);
}

TEST(Truncnorm, MassAndQuantilesMatchKnownValues) {
  EXPECT_NEAR(std::exp(log_ndtr(0.0)), 0.5, 1e-15);
  EXPECT_NEAR(std::exp(log_ndtr(1.0)), 0.8413447460685429, 1e-14);
  EXPECT_NEAR(log_ndtr(-40.0), -804.6084420137538, 1e-9);
  EXPECT_NEAR(std::exp(log_gauss_mass(-1.0, 1.0)), 0.6826894921370859, 1e-14);
  EXPECT_NEAR(log_gauss_mass(30.0, 31.0), -454.3212439563433, 1e-8);  // far tail (mpmath value)
  EXPECT_NEAR(ndtri(0.975), 1.959963984540054, 1e-12);
  EXPECT_NEAR(ndtri(1e-300), -37.0470962993612, 1e-9);
  // The median of N(0,1) truncated to [0, inf-ish) is ndtri(0.75).
  EXPECT_NEAR(truncnorm_ppf(0.5, 0.0, 40.0), 0.6744897501960817, 1e-10);
  // Far-tail truncation still lands inside the bounds.
  const double x = truncnorm_ppf(0.3, 20.0, 21.0);
  EXPECT_GE(x, 20.0);
  EXPECT_LE(x, 21.0);
  EXPECT_NEAR(truncnorm_log_pdf(0.0, 0.0, 1.0, -1.0, 1.0), -0.9189385332046727 - std::log(0.6826894921370859),
              1e-12);
}

TEST(Parzen, CategoricalKernelMatchesOptuna) {
  // Two observations of choice 1 in 3 choices, prior weight 1: kernel rows (1/3 + [c==1])
  // normalised = (1/6, 4/6, 1/6); prior (1/3 each); mixture weights 1/3 each.
  SearchSpace s({{"c", CategoricalDistribution{{"a", "b", "c"}, {}, false}}});
  ParamVector o{1};
  ParzenEstimator pe(s, {&o, &o}, {1.0, 1.0}, ParzenOptions{});
  const double p1 = (4.0 / 6 + 4.0 / 6 + 1.0 / 3) / 3;
  const double p0 = (1.0 / 6 + 1.0 / 6 + 1.0 / 3) / 3;
  EXPECT_NEAR(std::exp(pe.log_pdf_param(0, 1)), p1, 1e-12);
  EXPECT_NEAR(std::exp(pe.log_pdf_param(0, 0)), p0, 1e-12);
  EXPECT_NEAR(std::exp(pe.log_pdf({2})), p0, 1e-12);
}

TEST(Parzen, OrderedKernelDecaysWithDistance) {
  SearchSpace s({{"w", make_ordered_categorical({2, 3, 4, 5, 6, 8})}});
  ParamVector o{1};
  ParzenOptions opt;
  opt.ordered_categoricals = true;
  ParzenEstimator pe(s, {&o, &o, &o}, {1, 1, 1}, opt);
  std::vector<double> p;
  for (int c = 0; c < 6; ++c) p.push_back(pe.log_pdf_param(0, c));
  EXPECT_GT(p[1], p[0]);
  EXPECT_GT(p[1], p[2]);
  EXPECT_GT(p[2], p[3]);
  EXPECT_GT(p[3], p[5]);
  double total = 0;
  for (double lp : p) total += std::exp(lp);
  EXPECT_NEAR(total, 1.0, 1e-12);
}

TEST(Parzen, NumericDensitiesIntegrateToOne) {
  SearchSpace s({{"i", IntDistribution{0, 10, 2}}, {"f", FloatDistribution{0.0, 1.0, false}}});
  ParamVector a{2, 0.3}, b{8, 0.9};
  for (bool mv : {false, true}) {
    ParzenOptions opt;
    opt.multivariate = mv;
    ParzenEstimator pe(s, {&a, &b}, {1, 1}, opt);
    double total = 0;
    for (int v = 0; v <= 10; v += 2) total += std::exp(pe.log_pdf_param(0, v));
    EXPECT_NEAR(total, 1.0, 1e-9);
    double integral = 0;
    const int n = 20000;
    for (int k = 0; k < n; ++k) integral += std::exp(pe.log_pdf_param(1, (k + 0.5) / n)) / n;
    EXPECT_NEAR(integral, 1.0, 1e-4);
    Rng rng(3);
    for (int k = 0; k < 100; ++k) EXPECT_TRUE(is_valid(s, pe.sample(rng)));
  }
}

struct Comparison {
  double tpe_mean = 0, random_mean = 0;
};

// Mean number of trials to reach the optimum (capped) over seeds.
Comparison trials_to_optimum(const TpeOptions& base, int n_seeds, int cap) {
  const auto space = categorical_space(4, 6);  // 1296 configurations, unique optimum 0
  auto f = [](const ParamVector& x) { return std::vector<double>{bowl(x, 6)}; };
  Comparison c;
  for (int seed = 0; seed < n_seeds; ++seed) {
    TpeOptions o = base;
    o.seed = static_cast<std::uint64_t>(seed);
    auto t = run_study(space, {Direction::Minimize}, std::make_unique<TpeSampler>(o), cap, f, 0.0);
    auto r = run_study(space, {Direction::Minimize}, std::make_unique<RandomSampler>(seed + 1000), cap, f, 0.0);
    c.tpe_mean += (t.first_hit < 0 ? cap : t.first_hit) / static_cast<double>(n_seeds);
    c.random_mean += (r.first_hit < 0 ? cap : r.first_hit) / static_cast<double>(n_seeds);
  }
  return c;
}

TEST(Tpe, FindsTheOptimumFasterThanRandom) {
  for (bool mv : {false, true}) {
    TpeOptions o;
    o.multivariate = mv;
    const auto c = trials_to_optimum(o, 12, 400);
    // Random needs ~1296/2 draws on average (capped at 400); TPE a small fraction.
    EXPECT_LT(c.tpe_mean, 0.5 * c.random_mean) << "multivariate=" << mv << " tpe " << c.tpe_mean << " random "
                                                << c.random_mean;
  }
}

TEST(Tpe, OrderedCategoricalsAlsoFindTheOptimum) {
  TpeOptions o;
  o.ordered_categoricals = true;
  const auto c = trials_to_optimum(o, 12, 400);
  EXPECT_LT(c.tpe_mean, 0.5 * c.random_mean) << "tpe " << c.tpe_mean << " random " << c.random_mean;
}

// Distinct configurations among 81 TPE asks (seed 5) on the 3^4 = 81 configurations of
// categorical_space(4, 3), minimising a bowl.
std::size_t tpe_distinct_in_81_asks(TpeOptions o) {
  const auto space = categorical_space(4, 3);
  auto f = [](const ParamVector& x) { return std::vector<double>{bowl(x, 3)}; };
  o.seed = 5;
  auto r = run_study(space, {Direction::Minimize}, std::make_unique<TpeSampler>(o), 81, f);
  std::set<ParamVector> distinct;
  for (const auto& t : r.trials) distinct.insert(t.params);
  return distinct.size();
}

TEST(Tpe, AvoidDuplicatesNeverRepeatsUntilExhausted) {
  // 81 asks must cover all 81 configurations exactly once.
  for (bool mv : {false, true}) {
    TpeOptions o;
    o.multivariate = mv;
    EXPECT_EQ(tpe_distinct_in_81_asks(o), 81u) << "multivariate=" << mv;
  }
}

TEST(Tpe, WithoutAvoidDuplicatesItRepeats) {
  TpeOptions o;
  o.avoid_duplicates = false;
  EXPECT_LT(tpe_distinct_in_81_asks(o), 81u);
}

TEST(Tpe, InfeasibleTrialsAreSteeredAway) {
  // Minimise x0 subject to x0 >= 3 (constraint 3 - x0 <= 0): the best feasible is x0 = 3.
  const auto space = categorical_space(2, 6);
  TpeOptions o;
  o.seed = 2;
  Study study(space, {Direction::Minimize}, std::make_shared<InMemoryStorage>(), std::make_unique<TpeSampler>(o));
  int feasible_late = 0;
  for (int i = 0; i < 60; ++i) {
    auto t = study.ask();
    const double x0 = t->params[0];
    if (i >= 30 && x0 >= 3) ++feasible_late;
    study.tell(t->number, {x0 + 0.1 * t->params[1]}, {3.0 - x0});
  }
  auto best = study.best_trial();
  ASSERT_TRUE(best);
  EXPECT_TRUE(best->feasible);
  EXPECT_EQ(best->trial.params[0], 3.0);
  EXPECT_GE(feasible_late, 20);
}

}  // namespace
}  // namespace qdse::search
