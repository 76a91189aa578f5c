// The `sensitivity` sampler (issue 17, item 4) on synthetic problems with a known answer:
// the phase-1 proposals, the model's exactness on additive objectives, reaching the optimum
// with interactions, budgets and constraints, two objectives, determinism and resume.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "../support/errors.hpp"
#include "qdse/core/error.hpp"
#include "qdse/search/additive_model.hpp"
#include "qdse/search/pareto.hpp"
#include "qdse/search/sampler_factory.hpp"
#include "qdse/search/sensitivity_sampler.hpp"
#include "qdse/search/study.hpp"

namespace qdse::search {
namespace {

using qdse::testing::error_of;

// Four "layers", each a weight width {2,3,4,6,8} and an input width {3,4,6,8}: 20^4 = 160,000
// configurations; params 2g and 2g+1 form group g.
SearchSpace layer_space(int n_layers = 4) {
  SearchSpace s;
  for (int l = 0; l < n_layers; ++l) {
    s.add("l" + std::to_string(l) + "/w", make_ordered_categorical({2, 3, 4, 6, 8}));
    s.add("l" + std::to_string(l) + "/a", make_ordered_categorical({3, 4, 6, 8}));
  }
  return s;
}

std::vector<std::vector<std::size_t>> layer_groups(int n_layers = 4) {
  std::vector<std::vector<std::size_t>> g;
  for (int l = 0; l < n_layers; ++l) g.push_back({std::size_t(2 * l), std::size_t(2 * l + 1)});
  return g;
}

// Accuracy-like value to maximise: every layer loses accuracy as its widths fall, with a
// within-layer interaction (both narrow hurts more than the sum), minus a size penalty.
double accuracy_like(const SearchSpace& space, const ParamVector& x, double interaction) {
  double acc = 0.9, bits = 0.0;
  for (std::size_t l = 0; 2 * l < x.size(); ++l) {
    const double w = value_at(space.distribution(2 * l), static_cast<std::uint64_t>(x[2 * l]));
    const double a = value_at(space.distribution(2 * l + 1), static_cast<std::uint64_t>(x[2 * l + 1]));
    const double dw = std::exp(-(w - 1.0) * (0.6 + 0.1 * l)), da = std::exp(-(a - 2.0) * (0.7 - 0.05 * l));
    acc -= 0.3 * dw + 0.2 * da + interaction * dw * da * 40.0;
    bits += w * (l + 1) + a;
  }
  return acc - 0.03 * bits;
}

double best_value(const SearchSpace& space, double interaction) {
  double best = -1e300;
  for (std::uint64_t i = 0; i < *space.size(); ++i) best = std::max(best, accuracy_like(space, config_at(space, i), interaction));
  return best;
}

SamplerOptions layer_options(std::uint64_t seed = 0) {
  SamplerOptions o;
  o.seed = seed;
  o.sensitivity.groups = layer_groups();
  return o;
}

struct SensRun {
  std::vector<ParamVector> asked;
  int first_hit = -1;
};

SensRun sens_run(const SearchSpace& space, std::shared_ptr<Storage> storage, const SamplerOptions& o, int n,
                 double interaction, double target = 1e300) {
  Study study(space, {Direction::Maximize}, std::move(storage), make_sampler("sensitivity", o));
  SensRun r;
  for (int i = 0; i < n; ++i) {
    auto t = study.ask();
    if (!t) break;
    r.asked.push_back(t->params);
    const double v = accuracy_like(space, t->params, interaction);
    study.tell(t->number, {v});
    if (r.first_hit < 0 && v >= target) r.first_hit = static_cast<int>(r.asked.size());
  }
  return r;
}

TEST(SensitivitySampler, PhaseOneIsTheReferenceThenEverySingleParamDeviation) {
  const auto space = layer_space();
  const auto phase = sensitivity_phase_configs(space);
  ASSERT_EQ(phase.size(), 1u + 4u * (4u + 3u));
  EXPECT_EQ(phase[0], ParamVector({4, 3, 4, 3, 4, 3, 4, 3}));  // the widest choice of every param
  for (std::size_t i = 1; i < phase.size(); ++i) {
    int differing = 0;
    for (std::size_t p = 0; p < space.n_params(); ++p) differing += phase[i][p] != phase[0][p];
    EXPECT_EQ(differing, 1) << to_string(space, phase[i]);
  }
  const auto run = sens_run(space, std::make_shared<InMemoryStorage>(), layer_options(), 40, 0.0);
  EXPECT_TRUE(std::equal(phase.begin(), phase.end(), run.asked.begin()));
}

// An exactly additive objective is known after phase 1: the next proposal is the optimum.
TEST(SensitivitySampler, AdditiveObjectiveOptimumRightAfterThePass) {
  const auto space = layer_space();
  const double best = best_value(space, 0.0);
  const auto phase = sensitivity_phase_configs(space);
  for (const auto& x : phase) ASSERT_LT(accuracy_like(space, x, 0.0), best - 1e-9) << "the optimum is not in phase 1";
  const auto run = sens_run(space, std::make_shared<InMemoryStorage>(), layer_options(), 40, 0.0, best - 1e-12);
  EXPECT_EQ(run.first_hit, static_cast<int>(phase.size()) + 1);  // the pass, then the optimum
}

// With interactions the refits find the optimum quickly (random search: ~80,000 trials expected).
TEST(SensitivitySampler, InteractingObjectiveReachesTheOptimum) {
  const auto space = layer_space();
  const double best = best_value(space, 0.002);
  const auto run = sens_run(space, std::make_shared<InMemoryStorage>(), layer_options(), 200, 0.002, best - 1e-12);
  ASSERT_GT(run.first_hit, 0);
  EXPECT_LE(run.first_hit, 80);
  std::set<ParamVector> unique(run.asked.begin(), run.asked.end());
  EXPECT_EQ(unique.size(), run.asked.size()) << "never proposes a configuration twice";
}

TEST(SensitivitySampler, SeededReproducibleAndResumableFromStorage) {
  const auto space = layer_space();
  const auto a = sens_run(space, std::make_shared<InMemoryStorage>(), layer_options(5), 60, 0.002);
  EXPECT_EQ(a.asked, sens_run(space, std::make_shared<InMemoryStorage>(), layer_options(5), 60, 0.002).asked);
  // Stop after 35 trials, then a fresh sampler on the same storage continues identically.
  auto storage = std::make_shared<InMemoryStorage>();
  auto first = sens_run(space, storage, layer_options(5), 35, 0.002);
  const auto second = sens_run(space, storage, layer_options(5), 25, 0.002);
  first.asked.insert(first.asked.end(), second.asked.begin(), second.asked.end());
  EXPECT_EQ(first.asked, a.asked);
}

TEST(SensitivitySampler, BudgetIsRespectedAfterThePassAndCheckedAgainstTheCheapest) {
  const auto space = layer_space();
  SamplerOptions o = layer_options();
  // Cost: sum over layers of w * a (a BitOPs-like product, exact per group).
  o.sensitivity.cost_name = "bitops";
  o.sensitivity.cost.resize(4);
  const std::vector<double> w{2, 3, 4, 6, 8}, a{3, 4, 6, 8};
  for (auto& g : o.sensitivity.cost)
    for (double wi : w)
      for (double ai : a) g.push_back(wi * ai);
  o.sensitivity.budget = 4 * 20.0;
  const auto run = sens_run(space, std::make_shared<InMemoryStorage>(), o, 60, 0.0);
  const std::size_t phase = sensitivity_phase_configs(space).size();
  ASSERT_EQ(run.asked.size(), 60u);
  double best_within = -1e300;
  for (std::uint64_t i = 0; i < *space.size(); ++i) {
    const auto x = config_at(space, i);
    double c = 0;
    for (int l = 0; l < 4; ++l) c += w[std::size_t(x[2 * l])] * a[std::size_t(x[2 * l + 1])];
    if (c <= 80.0) best_within = std::max(best_within, accuracy_like(space, x, 0.0));
  }
  bool hit = false;
  for (std::size_t i = phase; i < run.asked.size(); ++i) {
    const auto& x = run.asked[i];
    double c = 0;
    for (int l = 0; l < 4; ++l) c += w[std::size_t(x[2 * l])] * a[std::size_t(x[2 * l + 1])];
    EXPECT_LE(c, 80.0) << to_string(space, x);
    hit = hit || accuracy_like(space, x, 0.0) >= best_within - 1e-12;
  }
  EXPECT_TRUE(hit) << "the additive model's budgeted optimum is the true one";
  o.sensitivity.budget = 4 * 6.0 - 1;  // cheapest: 4 x (2 x 3)
  const std::string msg = error_of([&] { sens_run(space, std::make_shared<InMemoryStorage>(), o, 1, 0.0); });
  EXPECT_CONTAINS(msg, "budget 23.000000 is below the cheapest configuration's bitops (24.000000)");
  EXPECT_EQ(msg.find('\n'), std::string::npos);
}

TEST(SensitivitySampler, PredictedConstraintsHold) {
  const auto space = layer_space();
  Study study(space, {Direction::Maximize}, std::make_shared<InMemoryStorage>(), make_sampler("sensitivity", layer_options()));
  // Feasible: total bits w + a per layer summed <= 30 (constraint value <= 0).
  auto bits = [&](const ParamVector& x) {
    double b = 0;
    for (std::size_t p = 0; p < x.size(); ++p) b += value_at(space.distribution(p), static_cast<std::uint64_t>(x[p]));
    return b;
  };
  double best_feasible = -1e300;
  for (std::uint64_t i = 0; i < *space.size(); ++i) {
    const auto x = config_at(space, i);
    if (bits(x) <= 30) best_feasible = std::max(best_feasible, accuracy_like(space, x, 0.0));
  }
  const std::size_t phase = sensitivity_phase_configs(space).size();
  bool hit = false;
  for (std::size_t i = 0; i < 50; ++i) {
    auto t = study.ask();
    ASSERT_TRUE(t);
    if (i >= phase) EXPECT_LE(bits(t->params), 30) << "phase 2 proposes predicted-feasible configurations";
    const double v = accuracy_like(space, t->params, 0.0);
    hit = hit || (bits(t->params) <= 30 && v >= best_feasible - 1e-12);
    study.tell(t->number, {v}, {bits(t->params) - 30});
  }
  EXPECT_TRUE(hit);
}

// Two exactly additive objectives: after the pass, the proposals are the true Pareto front.
TEST(SensitivitySampler, TwoObjectivesProposeThePredictedFront) {
  const auto space = layer_space(3);
  SamplerOptions o;
  o.sensitivity.groups = layer_groups(3);
  auto objectives = [&](const ParamVector& x) {
    double bits = 0;
    for (std::size_t p = 0; p < x.size(); ++p) bits += value_at(space.distribution(p), static_cast<std::uint64_t>(x[p]));
    return std::vector<double>{accuracy_like(space, x, 0.0) + 0.03 * bits, bits};
  };
  std::vector<std::vector<double>> all;
  for (std::uint64_t i = 0; i < *space.size(); ++i) all.push_back(objectives(config_at(space, i)));
  const std::vector<Direction> dirs{Direction::Maximize, Direction::Minimize};
  std::set<std::vector<double>> true_front;
  for (std::size_t i : pareto_front_indices(all, dirs)) true_front.insert(all[i]);
  Study study(space, dirs, std::make_shared<InMemoryStorage>(), make_sampler("sensitivity", o));
  const std::size_t phase = sensitivity_phase_configs(space).size();
  std::set<std::vector<double>> found;
  for (std::size_t i = 0; i < phase + true_front.size() + 5; ++i) {
    auto t = study.ask();
    ASSERT_TRUE(t);
    const auto v = objectives(t->params);
    if (true_front.count(v)) found.insert(v);
    study.tell(t->number, v);
  }
  EXPECT_EQ(found, true_front);
}

// Accuracy that falls towards chance as layers are cut (each layer keeps a fraction of the
// margin above 0.1, so damages multiply: summed damages predict far below the measured value
// when several layers are narrow, as on fmnist-mlp), against the average weight width (layer
// sizes 100:50:10). Ten proposals after the pass must find nearly all of the true front's
// hypervolume (reference accuracy 0, width 32, as the peer's bench).
TEST(SensitivitySampler, TwoObjectivesFindTheFrontOfAMultiplicativeAccuracy) {
  SearchSpace space;
  for (int l = 0; l < 3; ++l) {
    space.add("l" + std::to_string(l) + "/a", make_ordered_categorical({4, 8}));
    space.add("l" + std::to_string(l) + "/w", make_ordered_categorical({2, 4, 8}));
  }
  SamplerOptions o;
  o.sensitivity.groups = {{0, 1}, {2, 3}, {4, 5}};
  auto objectives = [&](const ParamVector& x) {
    const double keep_w2[3] = {0.227, 0.256, 0.062}, keep_w4[3] = {0.609, 0.859, 0.686},
                 keep_a4[3] = {0.975, 0.986, 0.991};
    const double size[3] = {100, 50, 10};
    double keep = 1.0, bits = 0.0;
    for (int l = 0; l < 3; ++l) {
      const double a = std::get<CategoricalDistribution>(space.distribution(2 * l)).values.at(std::size_t(x[2 * l]));
      const double w =
          std::get<CategoricalDistribution>(space.distribution(2 * l + 1)).values.at(std::size_t(x[2 * l + 1]));
      keep *= (w == 2 ? keep_w2[l] : w == 4 ? keep_w4[l] : 1.0) * (a == 4 ? keep_a4[l] : 1.0);
      bits += w * size[l] / 160.0;
    }
    return std::vector<double>{0.1 + 0.778 * keep, bits};
  };
  const std::vector<Direction> dirs{Direction::Maximize, Direction::Minimize};
  const std::vector<double> reference{0.0, 32.0};
  std::vector<std::vector<double>> all;
  for (std::uint64_t i = 0; i < *space.size(); ++i) all.push_back(objectives(config_at(space, i)));
  const double best_hv = hypervolume(all, reference, dirs);
  Study study(space, dirs, std::make_shared<InMemoryStorage>(), make_sampler("sensitivity", o));
  std::vector<std::vector<double>> measured;
  const std::size_t phase = sensitivity_phase_configs(space).size();
  for (std::size_t i = 0; i < phase + 10; ++i) {
    auto t = study.ask();
    ASSERT_TRUE(t);
    measured.push_back(objectives(t->params));
    study.tell(t->number, measured.back());
  }
  EXPECT_GE(hypervolume(measured, reference, dirs), 0.998 * best_hv);
}

TEST(SensitivitySampler, RefusesFloatsAndThreeObjectives) {
  SearchSpace s;
  s.add("w", make_ordered_categorical({2, 4})).add("lr", FloatDistribution{1e-3, 1e-1, true});
  SensitivitySampler sampler;
  EXPECT_CONTAINS(error_of([&] { sampler.ask(s, {Direction::Minimize}, {}); }), "param `lr` is a float");
  EXPECT_CONTAINS(error_of([&] { sampler.ask(layer_space(1), std::vector<Direction>(3, Direction::Minimize), {}); }),
                  "needs one or two objectives, got 3");
}

TEST(BestFirstConfigs, EnumeratesInAscendingOrderLikeBruteForce) {
  const std::vector<std::vector<double>> v{{0.3, -0.1, 0.3}, {0.0, 0.5}, {0.2, 0.1, 0.7, -0.4}};
  BestFirstConfigs configs(v, 1000);
  std::vector<double> sums;
  std::set<std::vector<std::uint64_t>> seen;
  while (auto c = configs.next()) {
    EXPECT_TRUE(seen.insert(*c).second);
    sums.push_back(v[0][(*c)[0]] + v[1][(*c)[1]] + v[2][(*c)[2]]);
  }
  EXPECT_EQ(sums.size(), 24u);
  for (std::size_t i = 1; i < sums.size(); ++i) EXPECT_LE(sums[i - 1], sums[i] + 1e-12);
}

TEST(AdditiveModel, PhaseOneDeterminesEveryAdditiveValue) {
  const auto space = layer_space(2);
  const auto layout = make_group_layout(space, layer_groups(2));
  AdditiveModel model(layout, sensitivity_reference(space), true);
  std::vector<std::vector<std::size_t>> rows;
  std::vector<std::vector<double>> targets;
  for (const auto& x : sensitivity_phase_configs(space)) {
    rows.push_back(positions_of(space, x));
    targets.push_back({accuracy_like(space, x, 0.0)});
  }
  model.fit(rows, targets, 1);
  const auto values = model.group_values(0);
  for (std::uint64_t i = 0; i < *space.size(); ++i) {
    const auto x = config_at(space, i);
    const auto pos = positions_of(space, x);
    const double predicted = model.intercept(0) + values[0][layout.choice_of(0, pos)] + values[1][layout.choice_of(1, pos)];
    EXPECT_NEAR(predicted, accuracy_like(space, x, 0.0), 1e-6) << to_string(space, x);
  }
  EXPECT_CONTAINS(error_of([&] { make_group_layout(space, {{0, 1}, {1, 2}}); }), "param `l0/a` is in two groups");
}

}  // namespace
}  // namespace qdse::search

namespace qdse::search {
namespace {

// warm_start: the given configurations first (each once, skipping tried and invalid ones),
// then the wrapped sampler; a fresh wrapper on the same history continues identically.
TEST(WarmStartSampler, ProposesTheListFirstThenHandsOver) {
  const SearchSpace space = layer_space(2);
  const std::vector<ParamVector> first{{1, 1, 1, 1}, {0, 0, 0, 0}, {9, 9, 9, 9}, {2, 3, 4, 0}};
  auto make = [&] {
    SamplerOptions o;
    o.seed = 4;
    o.warm_start.tpe = true;
    o.warm_start.configs = first;
    return make_sampler("tpe", o);
  };
  EXPECT_EQ(make()->name(), "tpe");
  auto storage = std::make_shared<InMemoryStorage>();
  // {0,0,0,0} is already in the study: skipped; {9,...} is not valid: skipped.
  TrialResult done;
  done.values = {0.1};
  storage->finish_trial(storage->create_trial({0, 0, 0, 0}), done);
  Study study(space, {Direction::Maximize}, storage, make());
  std::vector<ParamVector> asked;
  for (int i = 0; i < 6; ++i) {
    auto t = study.ask();
    ASSERT_TRUE(t);
    asked.push_back(t->params);
    study.tell(t->number, {accuracy_like(space, t->params, 0.0)});
  }
  EXPECT_EQ(asked[0], first[0]);
  EXPECT_EQ(asked[1], first[3]);
  for (std::size_t i = 2; i < asked.size(); ++i) EXPECT_NE(asked[i], first[0]);
  // Without the flag of the sampler asked for, nothing is wrapped.
  SamplerOptions o;
  o.warm_start.nsgaii = true;
  o.warm_start.configs = first;
  EXPECT_EQ(make_sampler("tpe", o)->ask(space, {Direction::Maximize}, {}) == first[0], false);
}

}  // namespace
}  // namespace qdse::search
