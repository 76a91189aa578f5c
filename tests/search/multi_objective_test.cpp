#include <gtest/gtest.h>

#include "qdse/search/nsgaii_sampler.hpp"
#include "qdse/search/pareto.hpp"
#include "qdse/search/random_sampler.hpp"
#include "qdse/search/tpe_sampler.hpp"
#include "test_problems.hpp"

namespace qdse::search {
namespace {

using testing::categorical_space;
using testing::run_study;
using testing::two_objectives;

double final_hypervolume(std::unique_ptr<Sampler> sampler, int n_trials) {
  const auto space = categorical_space(6, 6);
  const std::vector<Direction> dirs{Direction::Minimize, Direction::Minimize};
  auto r = run_study(space, dirs, std::move(sampler), n_trials, [](const ParamVector& x) { return two_objectives(x, 6); });
  PointList pts;
  for (const auto& t : r.trials)
    if (t.state == TrialState::Complete) pts.push_back(t.values);
  return hypervolume(pts, {7.0, 9.0}, dirs);
}

TEST(MultiObjective, NsgaIIBeatsRandomOnHypervolume) {
  double nsga = 0, rnd = 0;
  const int seeds = 8;
  for (int s = 0; s < seeds; ++s) {
    NsgaIIOptions o;
    o.population_size = 20;
    o.seed = static_cast<std::uint64_t>(s);
    nsga += final_hypervolume(std::make_unique<NsgaIISampler>(o), 200) / seeds;
    rnd += final_hypervolume(std::make_unique<RandomSampler>(s + 100), 200) / seeds;
  }
  EXPECT_GT(nsga, rnd) << "nsga " << nsga << " random " << rnd;
}

TEST(MultiObjective, MotpeBeatsRandomOnHypervolume) {
  double tpe = 0, rnd = 0;
  const int seeds = 8;
  for (int s = 0; s < seeds; ++s) {
    TpeOptions o;
    o.seed = static_cast<std::uint64_t>(s);
    tpe += final_hypervolume(std::make_unique<TpeSampler>(o), 100) / seeds;
    rnd += final_hypervolume(std::make_unique<RandomSampler>(s + 100), 100) / seeds;
  }
  EXPECT_GT(tpe, rnd) << "motpe " << tpe << " random " << rnd;
}

TEST(MultiObjective, NsgaIIGenerationsFollowThePopulation) {
  // After the first generation the children come from the elite: with population 4 and
  // no mutation/crossover randomness left, every child copies or mixes parents.
  const auto space = categorical_space(3, 4);
  NsgaIIOptions o;
  o.population_size = 4;
  o.mutation_prob = 0.0;
  o.avoid_duplicates = false;
  o.seed = 9;
  auto r = run_study(space, {Direction::Minimize, Direction::Minimize}, std::make_unique<NsgaIISampler>(o), 8,
                     [](const ParamVector& x) { return two_objectives(x, 4); });
  ASSERT_EQ(r.trials.size(), 8u);
  for (int i = 4; i < 8; ++i) {
    for (std::size_t p = 0; p < 3; ++p) {
      bool from_parent = false;
      for (int j = 0; j < 4; ++j) from_parent = from_parent || r.trials[i].params[p] == r.trials[j].params[p];
      EXPECT_TRUE(from_parent) << "trial " << i << " param " << p;
    }
  }
}

}  // namespace
}  // namespace qdse::search
