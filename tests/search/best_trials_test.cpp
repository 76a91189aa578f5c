// The one best-trial rule (search/best_trials.hpp) that Study, `qdse studies`, best.json
// and the report share: single objective with ties, infeasible, failed and running
// trials; the feasible Pareto front with dominated and infeasible trials.
#include <gtest/gtest.h>


#include "qdse/search/best_trials.hpp"

namespace qdse::search {
namespace {

FrozenTrial trial_of(int number, std::vector<double> values, std::vector<double> constraints = {},
                     TrialState state = TrialState::Complete) {
  FrozenTrial t;
  t.number = number;
  t.state = state;
  t.values = std::move(values);
  t.constraints = std::move(constraints);
  return t;
}

std::vector<int> numbers(const std::vector<FrozenTrial>& trials) {
  std::vector<int> out;
  for (const auto& t : trials) out.push_back(t.number);
  return out;
}

TEST(BestTrials, SingleObjectiveTiesGoToTheEarlierTrial) {
  const std::vector<FrozenTrial> trials = {trial_of(0, {0.5}), trial_of(1, {0.8}), trial_of(2, {0.8}),
                                           trial_of(3, {0.2})};
  const auto max = single_objective_best(trials, Direction::Maximize);
  ASSERT_TRUE(max);
  EXPECT_EQ(max->trial.number, 1);
  EXPECT_TRUE(max->feasible);
  const auto min = single_objective_best(trials, Direction::Minimize);
  ASSERT_TRUE(min);
  EXPECT_EQ(min->trial.number, 3);
}

TEST(BestTrials, FailedRunningAndPrunedTrialsNeverWin) {
  const std::vector<FrozenTrial> trials = {
      trial_of(0, {9.0}, {}, TrialState::Failed), trial_of(1, {9.0}, {}, TrialState::Running),
      trial_of(2, {9.0}, {}, TrialState::Pruned), trial_of(3, {0.1}), trial_of(4, {1.0, 2.0})};  // 4: wrong arity
  const auto best = single_objective_best(trials, Direction::Maximize);
  ASSERT_TRUE(best);
  EXPECT_EQ(best->trial.number, 3);
  EXPECT_FALSE(single_objective_best({trials[0], trials[1], trials[2]}, Direction::Maximize));
  EXPECT_FALSE(single_objective_best({}, Direction::Minimize));
}

TEST(BestTrials, FeasibleBeatsABetterInfeasibleTrial) {
  const std::vector<FrozenTrial> trials = {trial_of(0, {0.9}, {0.5}), trial_of(1, {0.7}, {-1.0}),
                                           trial_of(2, {0.8}, {0.0})};  // 0 counts as satisfied
  const auto best = single_objective_best(trials, Direction::Maximize);
  ASSERT_TRUE(best);
  EXPECT_EQ(best->trial.number, 2);
  EXPECT_TRUE(best->feasible);
}

TEST(BestTrials, WithoutAFeasibleTrialTheLeastViolationWinsThenTheObjective) {
  // Violations 3, 0.5 (the negative part does not offset), 0.5, 1.
  const std::vector<FrozenTrial> trials = {trial_of(0, {0.1}, {2.0, 1.0}), trial_of(1, {0.5}, {0.5, -4.0}),
                                           trial_of(2, {0.3}, {0.5}), trial_of(3, {0.0}, {1.0})};
  const auto min = single_objective_best(trials, Direction::Minimize);
  ASSERT_TRUE(min);
  EXPECT_FALSE(min->feasible);
  EXPECT_EQ(min->trial.number, 2);  // ties with 1 on violation, better objective
  const auto max = single_objective_best(trials, Direction::Maximize);
  ASSERT_TRUE(max);
  EXPECT_EQ(max->trial.number, 1);
}

TEST(BestTrials, RanksBeforeIsTheOrderOfTheWinner) {
  const Standing feasible_low{true, 0.0, 0.1}, feasible_high{true, 0.0, 0.9}, violating{false, 2.0, 5.0},
      violating_less{false, 1.0, -5.0};
  EXPECT_TRUE(ranks_before(feasible_high, feasible_low, Direction::Maximize));
  EXPECT_TRUE(ranks_before(feasible_low, feasible_high, Direction::Minimize));
  EXPECT_TRUE(ranks_before(feasible_low, violating, Direction::Maximize));
  EXPECT_FALSE(ranks_before(violating, feasible_low, Direction::Maximize));
  EXPECT_TRUE(ranks_before(violating_less, violating, Direction::Maximize));
  EXPECT_FALSE(ranks_before(feasible_low, feasible_low, Direction::Minimize));  // strict
  const auto s = standing_of(trial_of(7, {0.25}, {1.5, -1.0, 0.5}));
  EXPECT_FALSE(s.feasible);
  EXPECT_EQ(s.violation, 2.0);
  EXPECT_EQ(s.value, 0.25);
}

TEST(BestTrials, FrontKeepsTheFeasibleNonDominatedTrialsInOrder) {
  const std::vector<Direction> dirs = {Direction::Maximize, Direction::Minimize};
  const std::vector<FrozenTrial> trials = {
      trial_of(0, {0.9, 8.0}),                            // front
      trial_of(1, {0.8, 9.0}),                            // dominated by 0
      trial_of(2, {0.7, 2.0}),                            // front
      trial_of(3, {0.99, 1.0}, {0.1}),                    // dominates everything, but infeasible
      trial_of(4, {0.9, 8.0}),                            // a duplicate of 0: kept
      trial_of(5, {1.0, 0.0}, {}, TrialState::Failed),    // never
      trial_of(6, {0.95}),                                // wrong arity
      trial_of(7, {0.5, 1.5}, {-0.5}),                    // front (feasible)
  };
  EXPECT_EQ(numbers(feasible_pareto_front(trials, dirs)), (std::vector<int>{0, 2, 4, 7}));
  EXPECT_TRUE(feasible_pareto_front({trials[3], trials[5]}, dirs).empty());
  EXPECT_TRUE(feasible_pareto_front(trials, {}).empty());
}

}  // namespace
}  // namespace qdse::search
