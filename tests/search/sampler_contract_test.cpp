// One contract, every sampler: valid asks, determinism per seed, robustness to empty,
// Failed and Running histories, single and multi-objective.
#include <gtest/gtest.h>

#include "qdse/core/error.hpp"
#include "qdse/search/sampler_factory.hpp"
#include "qdse/search/study.hpp"
#include "test_problems.hpp"

namespace qdse::search {
namespace {

struct Case {
  std::string label;
  std::string sampler;
  bool multivariate = false;
  bool random = true;         // different seeds give different proposals
  bool supports_float = true;
};

std::unique_ptr<Sampler> build(const Case& c, std::uint64_t seed) {
  SamplerOptions o;
  o.seed = seed;
  o.tpe.multivariate = c.multivariate;
  o.tpe.n_startup_trials = 5;
  o.nsgaii.population_size = 8;
  return make_sampler(c.sampler, o);
}

SearchSpace mixed_space(bool with_float) {
  SearchSpace s;
  s.add("w", make_ordered_categorical({2, 3, 4, 5, 6, 8}));
  s.add("kind", CategoricalDistribution{{"int", "fp", "mxint"}, {}, false});
  s.add("frac", IntDistribution{0, 8, 2});
  if (with_float) s.add("lr", FloatDistribution{1e-4, 1e-1, true}).add("mix", FloatDistribution{-1.0, 1.0, false});
  return s;
}

std::vector<double> objective(const ParamVector& x, std::size_t n_obj) {
  double a = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) a += std::abs(x[i] - 1.0) * (i + 1);
  if (n_obj == 1) return {a};
  return {a, 10.0 - a * 0.5 + x[0]};
}

// Runs n asks; every 5th trial fails, every 7th is left Running.
std::vector<ParamVector> drive(const Case& c, std::uint64_t seed, std::size_t n_obj, int n, bool with_float) {
  const SearchSpace space = mixed_space(with_float);
  std::vector<Direction> dirs(n_obj, Direction::Minimize);
  if (n_obj > 1) dirs[1] = Direction::Maximize;
  Study study(space, dirs, std::make_shared<InMemoryStorage>(), build(c, seed));
  std::vector<ParamVector> asked;
  for (int i = 0; i < n; ++i) {
    auto t = study.ask();
    if (!t) break;
    EXPECT_TRUE(is_valid(space, t->params)) << c.label << ": " << to_string(space, t->params);
    asked.push_back(t->params);
    if (i % 5 == 4) {
      study.tell(t->number, {}, {}, {}, TrialState::Failed);
    } else if (i % 7 != 6) {
      study.tell(t->number, objective(t->params, n_obj));
    }
  }
  return asked;
}

class SamplerContract : public ::testing::TestWithParam<Case> {};

TEST_P(SamplerContract, AsksAreValidAndDeterministicSingleObjective) {
  const Case& c = GetParam();
  const bool f = c.supports_float;
  const auto a = drive(c, 7, 1, 40, f);
  EXPECT_EQ(a.size(), 40u);
  EXPECT_EQ(a, drive(c, 7, 1, 40, f));
  if (c.random) {
    EXPECT_NE(a, drive(c, 8, 1, 40, f));
  }
}

TEST_P(SamplerContract, AsksAreValidAndDeterministicMultiObjective) {
  const Case& c = GetParam();
  const bool f = c.supports_float;
  const auto a = drive(c, 3, 2, 40, f);
  EXPECT_EQ(a, drive(c, 3, 2, 40, f));
  if (c.random) {
    EXPECT_NE(a, drive(c, 4, 2, 40, f));
  }
}

TEST_P(SamplerContract, HandlesEmptyAndUnfinishedHistories) {
  const Case& c = GetParam();
  const SearchSpace space = mixed_space(c.supports_float);
  auto sampler = build(c, 1);
  const std::vector<Direction> dirs{Direction::Minimize};
  auto p = sampler->ask(space, dirs, {});
  ASSERT_TRUE(p);
  EXPECT_TRUE(is_valid(space, *p));
  // A history with only Running and Failed trials, including more than a population.
  std::vector<FrozenTrial> history;
  Rng rng(5);
  for (int i = 0; i < 30; ++i) {
    FrozenTrial t;
    t.number = i;
    t.params = sample_uniform(space, rng);
    t.state = i % 2 ? TrialState::Running : TrialState::Failed;
    history.push_back(t);
  }
  p = sampler->ask(space, dirs, history);
  ASSERT_TRUE(p);
  EXPECT_TRUE(is_valid(space, *p));
}

TEST_P(SamplerContract, RejectsAnEmptySpace) {
  auto sampler = build(GetParam(), 1);
  EXPECT_THROW(sampler->ask(SearchSpace{}, {Direction::Minimize}, {}), Error);
}

INSTANTIATE_TEST_SUITE_P(All, SamplerContract,
                         ::testing::Values(Case{"random", "random"}, Case{"bruteforce", "bruteforce", false, false, false},
                                           Case{"tpe", "tpe"}, Case{"tpe_multivariate", "tpe", true},
                                           Case{"nsgaii", "nsgaii"},
                                           Case{"sensitivity", "sensitivity", false, false, false}),
                         [](const auto& info) { return info.param.label; });

TEST(SamplerFactory, UnknownNameListsTheValidOnes) {
  try {
    make_sampler("cmaes");
    FAIL();
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("cmaes"), std::string::npos);
    for (const auto& n : sampler_names()) EXPECT_NE(msg.find(n), std::string::npos) << msg;
  }
  EXPECT_EQ(make_sampler("TPE")->name(), "tpe");
  EXPECT_EQ(make_sampler("nsga2")->name(), "nsgaii");
  EXPECT_EQ(make_sampler("brute_force")->name(), "bruteforce");
}

}  // namespace
}  // namespace qdse::search
