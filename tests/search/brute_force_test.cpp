#include <gtest/gtest.h>

#include <set>

#include "qdse/core/error.hpp"
#include "qdse/search/brute_force_sampler.hpp"

namespace qdse::search {
namespace {

SearchSpace space_3x4x5() {
  return SearchSpace({{"a", CategoricalDistribution{{"x", "y", "z"}, {}, false}},
                      {"b", IntDistribution{0, 6, 2}},
                      {"c", IntDistribution{1, 5, 1}}});
}

FrozenTrial running(int number, ParamVector p) {
  FrozenTrial t;
  t.number = number;
  t.params = std::move(p);
  return t;
}

TEST(BruteForce, VisitsEveryCellOnceFirstParamOutermost) {
  const SearchSpace s = space_3x4x5();
  BruteForceSampler sampler;
  std::vector<FrozenTrial> trials;
  for (int i = 0; i < 60; ++i) {
    auto p = sampler.ask(s, {Direction::Minimize}, trials);
    ASSERT_TRUE(p) << i;
    trials.push_back(running(i, *p));
  }
  // Odometer: c changes fastest, a slowest.
  EXPECT_EQ(trials[0].params, (ParamVector{0, 0, 1}));
  EXPECT_EQ(trials[1].params, (ParamVector{0, 0, 2}));
  EXPECT_EQ(trials[5].params, (ParamVector{0, 2, 1}));
  EXPECT_EQ(trials[20].params, (ParamVector{1, 0, 1}));
  EXPECT_EQ(trials[59].params, (ParamVector{2, 6, 5}));
  std::set<ParamVector> distinct;
  for (const auto& t : trials) distinct.insert(t.params);
  EXPECT_EQ(distinct.size(), 60u);
  for (int k = 0; k < 3; ++k) EXPECT_FALSE(sampler.ask(s, {Direction::Minimize}, trials));
}

TEST(BruteForce, RepeatedAsksWithoutTrialsDoNotRepeat) {
  const SearchSpace s = space_3x4x5();
  BruteForceSampler sampler;
  std::set<ParamVector> got;
  for (int i = 0; i < 60; ++i) got.insert(*sampler.ask(s, {Direction::Minimize}, {}));
  EXPECT_EQ(got.size(), 60u);
  EXPECT_FALSE(sampler.ask(s, {Direction::Minimize}, {}));
}

TEST(BruteForce, ResumesFromAHalfDoneStudy) {
  const SearchSpace s = space_3x4x5();
  // Half the cells already exist, scattered (every other index), some still Running.
  std::vector<FrozenTrial> trials;
  for (std::uint64_t i = 0; i < 60; i += 2) {
    auto t = running(static_cast<int>(trials.size()), config_at(s, i));
    t.state = i % 4 == 0 ? TrialState::Complete : TrialState::Running;
    if (i % 12 == 0) t.state = TrialState::Failed;
    trials.push_back(t);
  }
  BruteForceSampler sampler;
  std::set<ParamVector> all;
  for (const auto& t : trials) all.insert(t.params);
  int added = 0;
  while (auto p = sampler.ask(s, {Direction::Minimize}, trials)) {
    EXPECT_TRUE(all.insert(*p).second) << "repeat " << to_string(s, *p);
    trials.push_back(running(static_cast<int>(trials.size()), *p));
    ++added;
  }
  EXPECT_EQ(added, 30);
  EXPECT_EQ(all.size(), 60u);
}

TEST(BruteForce, SeesCellsAddedByAnotherWorker) {
  const SearchSpace s = space_3x4x5();
  BruteForceSampler sampler;
  std::vector<FrozenTrial> trials;
  trials.push_back(running(0, *sampler.ask(s, {Direction::Minimize}, trials)));  // cell 0
  // Another worker takes cells 1 and 2 meanwhile.
  trials.push_back(running(1, config_at(s, 1)));
  trials.push_back(running(2, config_at(s, 2)));
  EXPECT_EQ(*sampler.ask(s, {Direction::Minimize}, trials), config_at(s, 3));
  // A history that is not an extension (e.g. filtered) is rescanned, not trusted.
  std::vector<FrozenTrial> other{running(7, config_at(s, 4))};
  auto p = sampler.ask(s, {Direction::Minimize}, other);
  EXPECT_NE(*p, config_at(s, 4));
}

TEST(BruteForce, FloatParamIsAnError) {
  SearchSpace s({{"a", IntDistribution{0, 3, 1}}, {"lr", FloatDistribution{0.1, 1.0, false}}});
  BruteForceSampler sampler;
  try {
    sampler.ask(s, {Direction::Minimize}, {});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("lr"), std::string::npos) << e.what();
  }
}

TEST(BruteForce, LargeSpaceStaysCheap) {
  // 30^3 = 27,000 cells: every ask must be O(1) amortised, so this runs in milliseconds.
  SearchSpace s({{"a", IntDistribution{0, 29, 1}}, {"b", IntDistribution{0, 29, 1}}, {"c", IntDistribution{0, 29, 1}}});
  BruteForceSampler sampler;
  std::vector<FrozenTrial> trials;
  trials.reserve(27000);
  while (auto p = sampler.ask(s, {Direction::Minimize}, trials))
    trials.push_back(running(static_cast<int>(trials.size()), *p));
  EXPECT_EQ(trials.size(), 27000u);
  EXPECT_EQ(trials.back().params, (ParamVector{29, 29, 29}));
}

}  // namespace
}  // namespace qdse::search
