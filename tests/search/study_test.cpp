#include <gtest/gtest.h>

#include <functional>
#include <set>

#include "qdse/core/error.hpp"
#include "qdse/search/brute_force_sampler.hpp"
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

// A sampler that proposes from a script (ignoring the history) and may act just before
// returning, e.g. to play another worker claiming the same configuration.
class ScriptedSampler final : public Sampler {
 public:
  ScriptedSampler(std::vector<ParamVector> script, std::function<void(const ParamVector&)> before_return = {})
      : script_(std::move(script)), before_return_(std::move(before_return)) {}
  std::string name() const override { return "scripted"; }
  std::optional<ParamVector> ask(const SearchSpace&, const std::vector<Direction>&,
                                 const std::vector<FrozenTrial>&) override {
    ++asks;
    if (next_ >= script_.size()) return std::nullopt;
    const auto p = script_[next_++];
    if (before_return_) before_return_(p);
    return p;
  }
  int asks = 0;

 private:
  std::vector<ParamVector> script_;
  std::size_t next_ = 0;
  std::function<void(const ParamVector&)> before_return_;
};

TEST(StudyClaims, ARepeatByDesignIsRecordedAsWithoutClaims) {
  auto storage = std::make_shared<InMemoryStorage>();
  auto sampler = std::make_unique<ScriptedSampler>(std::vector<ParamVector>{{1}, {1}, {2}});
  auto* raw = sampler.get();
  Study study(small_space(), {Direction::Minimize}, storage, std::move(sampler));
  EXPECT_EQ(study.ask()->params, ParamVector{1});
  const auto repeat = study.ask();  // 1 is in the history the sampler saw: a deliberate repeat
  ASSERT_TRUE(repeat);
  EXPECT_EQ(repeat->number, 1);
  EXPECT_EQ(repeat->params, ParamVector{1});
  EXPECT_EQ(study.lost_claims(), 0);
  EXPECT_EQ(raw->asks, 2);
  EXPECT_EQ(study.ask()->params, ParamVector{2});
}

TEST(StudyClaims, ALostRaceAsksTheSamplerAgainWithTheFreshHistory) {
  auto storage = std::make_shared<InMemoryStorage>();
  bool raced = false;
  // Another worker claims 5 between this study's history read and its claim.
  auto sampler = std::make_unique<ScriptedSampler>(std::vector<ParamVector>{{5}, {6}}, [&](const ParamVector& p) {
    if (!raced && p == ParamVector{5}) {
      raced = true;
      ASSERT_TRUE(storage->try_create_trial(p, 0.0, "other"));
    }
  });
  Study study(small_space(), {Direction::Minimize}, storage, std::move(sampler), "me");
  const auto t = study.ask();
  ASSERT_TRUE(t);
  EXPECT_EQ(t->params, ParamVector{6});
  EXPECT_EQ(t->number, 1);
  EXPECT_EQ(study.lost_claims(), 1);
  EXPECT_EQ(storage->trial(0)->worker, "other");
}

TEST(StudyClaims, TwoBruteForceStudiesOnOneStorageCoverTheSpaceOnce) {
  auto storage = std::make_shared<InMemoryStorage>();
  Study a(small_space(), {Direction::Minimize}, storage, std::make_unique<BruteForceSampler>(), "a");
  Study b(small_space(), {Direction::Minimize}, storage, std::make_unique<BruteForceSampler>(), "b");
  std::multiset<double> seen;
  // Interleaved asks before tells: each study must skip what the other holds.
  while (true) {
    auto ta = a.ask();
    auto tb = b.ask();
    if (ta) seen.insert(ta->params[0]);
    if (tb) seen.insert(tb->params[0]);
    if (ta) a.tell(ta->number, {ta->params[0]});
    if (tb) b.tell(tb->number, {tb->params[0]});
    if (!ta && !tb) break;
  }
  EXPECT_EQ(seen.size(), 10u);
  EXPECT_EQ(std::set<double>(seen.begin(), seen.end()).size(), 10u);
  EXPECT_EQ(storage->n_trials(), 10);
}

TEST(StudyRetries, StaleTrialsAreRetriedOnceBeforeTheSampler) {
  auto storage = std::make_shared<InMemoryStorage>();
  {
    // A worker that dies with trials 0 and 1 Running and trial 2 failed by evaluation.
    Study dead(small_space(), {Direction::Minimize}, storage, std::make_unique<BruteForceSampler>(), "dead");
    dead.ask();
    dead.ask();
    const auto t2 = dead.ask();
    dead.tell(t2->number, {}, {}, {}, TrialState::Failed);
  }
  Study study(small_space(), {Direction::Minimize}, storage, std::make_unique<BruteForceSampler>(), "new");
  const auto stale = study.fail_stale_trials(0.0);
  ASSERT_EQ(stale.size(), 2u);
  EXPECT_EQ(study.pending_retries(), 3u);  // trial 2 is a candidate too; its claim will fail (held)
  auto r0 = study.ask();
  auto r1 = study.ask();
  ASSERT_TRUE(r0 && r1);
  EXPECT_EQ(r0->retry_of, 0);
  EXPECT_EQ(r0->params, ParamVector{0});
  EXPECT_EQ(r1->retry_of, 1);
  EXPECT_EQ(storage->retry_of(r1->number), 1);
  auto next = study.ask();  // trial 2's claim fails (failed by evaluation): the sampler's next cell
  ASSERT_TRUE(next);
  EXPECT_FALSE(next->retry_of);
  EXPECT_EQ(next->params, ParamVector{3});
  EXPECT_EQ(study.pending_retries(), 0u);
  study.tell(r0->number, {0.0});
  // r1 and `next` die too: r1 was a retry (not retried again), `next` is retried once.
  Study again(small_space(), {Direction::Minimize}, storage, std::make_unique<BruteForceSampler>(), "again");
  EXPECT_EQ(again.fail_stale_trials(0.0).size(), 2u);
  const auto r = again.ask();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->retry_of, next->number);
  EXPECT_EQ(r->params, ParamVector{3});
  again.tell(r->number, {3.0});
  // A third start finds nothing left to retry: 0 and 3 were retried, 1's retry was a retry.
  Study third(small_space(), {Direction::Minimize}, storage, std::make_unique<BruteForceSampler>(), "third");
  EXPECT_TRUE(third.fail_stale_trials(0.0).empty());
  const auto fresh = third.ask();
  ASSERT_TRUE(fresh);
  EXPECT_FALSE(fresh->retry_of);
  EXPECT_EQ(fresh->params, ParamVector{4});
}

}  // namespace
}  // namespace qdse::search
