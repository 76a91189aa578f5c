#include <gtest/gtest.h>

#include "qdse/core/error.hpp"
#include "qdse/search/random_sampler.hpp"
#include "qdse/search/study.hpp"

namespace qdse::search {
namespace {

SearchSpace small_space() { return SearchSpace({{"a", IntDistribution{0, 9, 1}}}); }

Study make_study(std::vector<Direction> dirs) {
  return Study(small_space(), std::move(dirs), std::make_shared<InMemoryStorage>(), std::make_unique<RandomSampler>(1),
               "tester");
}

TEST(Study, AskRecordsARunningTrialAndTellFinishesIt) {
  Study study = make_study({Direction::Minimize});
  auto t = study.ask();
  ASSERT_TRUE(t);
  EXPECT_EQ(t->number, 0);
  auto stored = study.storage().trial(0);
  EXPECT_EQ(stored->state, TrialState::Running);
  EXPECT_EQ(stored->worker, "tester");
  EXPECT_GE(stored->sample_seconds, 0.0);
  study.tell(0, {1.5}, {}, {{"acc", 0.7}});
  stored = study.storage().trial(0);
  EXPECT_EQ(stored->state, TrialState::Complete);
  EXPECT_EQ(stored->metrics.at("acc"), 0.7);
}

TEST(Study, BestTrialPrefersFeasible) {
  Study study = make_study({Direction::Maximize});
  for (int i = 0; i < 4; ++i) study.ask();
  study.tell(0, {0.9}, {0.5});   // best value but infeasible
  study.tell(1, {0.7}, {-1.0});  // feasible
  study.tell(2, {0.8}, {0.0});   // feasible (0 counts as satisfied), best feasible
  study.tell(3, {}, {}, {}, TrialState::Failed);
  auto best = study.best_trial();
  ASSERT_TRUE(best);
  EXPECT_TRUE(best->feasible);
  EXPECT_EQ(best->trial.number, 2);
}

TEST(Study, BestTrialWithNoFeasibleIsTheLeastViolatingAndFlagged) {
  Study study = make_study({Direction::Minimize});
  for (int i = 0; i < 3; ++i) study.ask();
  study.tell(0, {0.1}, {2.0, 1.0});   // violation 3
  study.tell(1, {0.5}, {0.5, -4.0});  // violation 0.5 (negative parts do not offset)
  study.tell(2, {0.2}, {1.0});        // violation 1
  auto best = study.best_trial();
  ASSERT_TRUE(best);
  EXPECT_FALSE(best->feasible);
  EXPECT_EQ(best->trial.number, 1);
}

TEST(Study, BestTrialsIsTheFeasibleParetoFront) {
  Study study = make_study({Direction::Minimize, Direction::Maximize});
  for (int i = 0; i < 5; ++i) study.ask();
  study.tell(0, {1, 1});
  study.tell(1, {2, 3});
  study.tell(2, {0, 5}, {1.0});  // would dominate everything but is infeasible
  study.tell(3, {1, 0.5});       // dominated by 0
  study.tell(4, {3, 3});         // dominated by 1
  auto front = study.best_trials();
  ASSERT_EQ(front.size(), 2u);
  EXPECT_EQ(front[0].number, 0);
  EXPECT_EQ(front[1].number, 1);
  EXPECT_THROW(study.best_trial(), Error);
}

TEST(Study, NanObjectiveFailsTheTrial) {
  Study study = make_study({Direction::Minimize});
  study.ask();
  study.tell(0, {std::nan("")});
  EXPECT_EQ(study.storage().trial(0)->state, TrialState::Failed);
  EXPECT_FALSE(study.best_trial().has_value());
}

TEST(Study, BadInputIsRejected) {
  EXPECT_THROW(Study(SearchSpace{}, {Direction::Minimize}, std::make_shared<InMemoryStorage>(),
                     std::make_unique<RandomSampler>()),
               Error);
  EXPECT_THROW(Study(small_space(), {}, std::make_shared<InMemoryStorage>(), std::make_unique<RandomSampler>()), Error);
  EXPECT_THROW(Study(small_space(), {Direction::Minimize}, nullptr, std::make_unique<RandomSampler>()), Error);
  Study study = make_study({Direction::Minimize, Direction::Minimize});
  study.ask();
  try {
    study.tell(0, {1.0});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("expected 2 objective values, got 1"), std::string::npos) << e.what();
  }
  EXPECT_THROW(study.tell(5, {1.0, 2.0}), Error);  // unknown trial
  EXPECT_THROW(parse_direction("up"), Error);
  EXPECT_EQ(parse_direction("Maximize"), Direction::Maximize);
}

}  // namespace
}  // namespace qdse::search
