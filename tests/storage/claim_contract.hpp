// Claim / heartbeat / stale-trial contract: the Storage methods added for persistent,
// multi-worker studies (try_create_trial, retry_of, heartbeat, fail_stale_trials).
// Plugged in like tests/search/storage_contract.hpp:
//   INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, ClaimContract, ::testing::Types<SqliteFactory>);
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "qdse/core/error.hpp"
#include "qdse/search/storage.hpp"

namespace qdse::storage::testing {

using search::ParamVector;
using search::Storage;
using search::TrialResult;
using search::TrialState;

template <class Factory>
class ClaimContract : public ::testing::Test {
 protected:
  std::shared_ptr<Storage> storage_ = Factory::make();
};

TYPED_TEST_SUITE_P(ClaimContract);

TYPED_TEST_P(ClaimContract, ClaimsEachConfigurationOnce) {
  Storage& s = *this->storage_;
  EXPECT_EQ(s.try_create_trial({1, 2}, 0.25, "w"), std::optional<int>(0));
  EXPECT_EQ(s.try_create_trial({1, 2}), std::nullopt);
  EXPECT_EQ(s.try_create_trial({1, 3}), std::optional<int>(1));
  EXPECT_EQ(s.n_trials(), 2);  // the lost claim wrote nothing and used no number
  EXPECT_EQ(s.trial(0)->params, (ParamVector{1, 2}));
  EXPECT_EQ(s.trial(0)->worker, "w");
  EXPECT_EQ(s.trial(0)->state, TrialState::Running);
  EXPECT_EQ(s.retry_of(0), std::nullopt);
}

TYPED_TEST_P(ClaimContract, ClaimSeesTrialsInEveryStateAndPlainCreates) {
  Storage& s = *this->storage_;
  EXPECT_EQ(s.create_trial({5}), 0);
  EXPECT_EQ(s.try_create_trial({5}), std::nullopt);  // a plain trial holds its params
  EXPECT_EQ(s.create_trial({5}), 1);                  // plain creates may repeat (random sampler)
  TrialResult failed;
  failed.state = TrialState::Failed;
  s.finish_trial(0, failed);
  EXPECT_EQ(s.try_create_trial({5}), std::nullopt);  // a failed trial still holds them
  EXPECT_EQ(s.try_create_trial({-0.0}), std::optional<int>(2));
  EXPECT_EQ(s.try_create_trial({0.0}), std::nullopt);  // -0 and 0 are one configuration
}

TYPED_TEST_P(ClaimContract, FreshHeartbeatIsNotStale) {
  Storage& s = *this->storage_;
  const int n = s.create_trial({1});
  s.heartbeat(n);
  EXPECT_TRUE(s.fail_stale_trials(3600.0).empty());
  EXPECT_EQ(s.trial(n)->state, TrialState::Running);
}

TYPED_TEST_P(ClaimContract, HeartbeatRules) {
  Storage& s = *this->storage_;
  EXPECT_THROW(s.heartbeat(0), Error);
  const int n = s.create_trial({1});
  TrialResult done;
  done.values = {1.0};
  s.finish_trial(n, done);
  EXPECT_NO_THROW(s.heartbeat(n));  // late beat of a finished trial: ignored
  EXPECT_EQ(s.trial(n)->state, TrialState::Complete);
  EXPECT_THROW(s.retry_of(7), Error);
}

TYPED_TEST_P(ClaimContract, StaleTrialsFailAndCanBeRetriedOnce) {
  Storage& s = *this->storage_;
  EXPECT_EQ(s.create_trial({0, 1}, 0.0, "dead"), 0);
  EXPECT_EQ(s.create_trial({0, 2}), 1);
  EXPECT_EQ(*s.try_create_trial({0, 3}, 0.0, "dead"), 2);
  TrialResult done;
  done.values = {1.0};
  s.finish_trial(1, done);
  // Timeout 0: every Running trial is stale (heartbeats are in the past).
  const auto stale = s.fail_stale_trials(0.0);
  ASSERT_EQ(stale.size(), 2u);
  EXPECT_EQ(stale[0].number, 0);
  EXPECT_EQ(stale[0].params, (ParamVector{0, 1}));
  EXPECT_EQ(stale[0].worker, "dead");
  EXPECT_EQ(stale[1].number, 2);
  EXPECT_EQ(stale[1].params, (ParamVector{0, 3}));
  EXPECT_EQ(stale[1].retry_of, std::nullopt);
  for (int n : {0, 2}) {
    EXPECT_EQ(s.trial(n)->state, TrialState::Failed);
    EXPECT_FALSE(s.trial(n)->end_time.empty());
  }
  EXPECT_EQ(s.trial(1)->state, TrialState::Complete);
  EXPECT_TRUE(s.fail_stale_trials(0.0).empty());  // failed once only
  // The stale trials released their params: one retry each may claim them.
  EXPECT_EQ(s.try_create_trial({0, 3}, 0.0, "w2", 2), std::optional<int>(3));
  EXPECT_EQ(s.try_create_trial({0, 3}, 0.0, "w3", 2), std::nullopt);
  EXPECT_EQ(s.try_create_trial({0, 1}, 0.0, "w2", 0), std::optional<int>(4));
  EXPECT_EQ(s.retry_of(3), std::optional<int>(2));
  EXPECT_EQ(s.retry_of(4), std::optional<int>(0));
  EXPECT_EQ(s.retry_of(1), std::nullopt);
  // A retry that goes stale too reports what it retried, so callers can stop.
  const auto again = s.fail_stale_trials(0.0);
  ASSERT_EQ(again.size(), 2u);
  EXPECT_EQ(again[0].retry_of, std::optional<int>(2));
  EXPECT_EQ(again[1].retry_of, std::optional<int>(0));
}

TYPED_TEST_P(ClaimContract, ConcurrentClaimsHaveOneWinnerPerConfiguration) {
  Storage& s = *this->storage_;
  constexpr int kThreads = 4, kConfigs = 20;
  std::atomic<int> wins{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kThreads; ++w) {
    threads.emplace_back([&] {
      for (int i = 0; i < kConfigs; ++i)
        if (s.try_create_trial({static_cast<double>(i)})) ++wins;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wins.load(), kConfigs);
  EXPECT_EQ(s.n_trials(), kConfigs);
}

REGISTER_TYPED_TEST_SUITE_P(ClaimContract, ClaimsEachConfigurationOnce, ClaimSeesTrialsInEveryStateAndPlainCreates,
                            FreshHeartbeatIsNotStale, HeartbeatRules, StaleTrialsFailAndCanBeRetriedOnce,
                            ConcurrentClaimsHaveOneWinnerPerConfiguration);

}  // namespace qdse::storage::testing
