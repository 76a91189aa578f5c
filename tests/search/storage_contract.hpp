// Storage contract suite: every Storage implementation must pass it.
//
// To plug in a storage, write a factory type with `static std::shared_ptr<Storage>
// make();` (fresh, empty study each call) and instantiate:
//   using MyStorages = ::testing::Types<SqliteStorageFactory>;
//   INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, StorageContract, MyStorages);
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include "qdse/core/error.hpp"
#include "qdse/search/storage.hpp"

namespace qdse::search::testing {

template <class Factory>
class StorageContract : public ::testing::Test {
 protected:
  std::shared_ptr<Storage> storage_ = Factory::make();
};

TYPED_TEST_SUITE_P(StorageContract);

TYPED_TEST_P(StorageContract, StartsEmpty) {
  EXPECT_EQ(this->storage_->n_trials(), 0);
  EXPECT_TRUE(this->storage_->trials().empty());
  EXPECT_FALSE(this->storage_->trial(0).has_value());
}

TYPED_TEST_P(StorageContract, CreateNumbersConsecutivelyAndStartsRunning) {
  Storage& s = *this->storage_;
  EXPECT_EQ(s.create_trial({1, 2}, 0.5, "w1"), 0);
  EXPECT_EQ(s.create_trial({3, 4}), 1);
  auto t = s.trial(0);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->number, 0);
  EXPECT_EQ(t->state, TrialState::Running);
  EXPECT_EQ(t->params, (ParamVector{1, 2}));
  EXPECT_DOUBLE_EQ(t->sample_seconds, 0.5);
  EXPECT_EQ(t->worker, "w1");
  EXPECT_FALSE(t->start_time.empty());
  EXPECT_TRUE(t->end_time.empty());
  EXPECT_EQ(s.n_trials(), 2);
}

TYPED_TEST_P(StorageContract, FinishRecordsEverything) {
  Storage& s = *this->storage_;
  const int n = s.create_trial({0.25, 7});
  TrialResult r;
  r.state = TrialState::Complete;
  r.values = {0.9, -3.5};
  r.constraints = {-1.0, 0.5};
  r.metrics = {{"accuracy", 0.9}, {"bits", 4.5}};
  r.eval_seconds = 12.25;
  s.finish_trial(n, r);
  auto t = s.trial(n);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->state, TrialState::Complete);
  EXPECT_EQ(t->values, r.values);
  EXPECT_EQ(t->constraints, r.constraints);
  EXPECT_EQ(t->metrics, r.metrics);
  EXPECT_DOUBLE_EQ(t->eval_seconds, 12.25);
  EXPECT_FALSE(t->end_time.empty());
  EXPECT_EQ(t->params, (ParamVector{0.25, 7}));
}

TYPED_TEST_P(StorageContract, FinishRulesAreEnforced) {
  Storage& s = *this->storage_;
  const int n = s.create_trial({1});
  TrialResult running;
  running.state = TrialState::Running;
  EXPECT_THROW(s.finish_trial(n, running), Error);
  TrialResult failed;
  failed.state = TrialState::Failed;
  EXPECT_THROW(s.finish_trial(n + 1, failed), Error);
  EXPECT_THROW(s.finish_trial(-1, failed), Error);
  s.finish_trial(n, failed);
  EXPECT_THROW(s.finish_trial(n, failed), Error);  // only once
  EXPECT_EQ(s.trial(n)->state, TrialState::Failed);
}

TYPED_TEST_P(StorageContract, TrialsAreASnapshotInNumberOrder) {
  Storage& s = *this->storage_;
  for (int i = 0; i < 5; ++i) s.create_trial({static_cast<double>(i)});
  TrialResult pruned;
  pruned.state = TrialState::Pruned;
  s.finish_trial(3, pruned);
  auto all = s.trials();
  ASSERT_EQ(all.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(all[i].number, i);
    EXPECT_EQ(all[i].params, (ParamVector{static_cast<double>(i)}));
  }
  EXPECT_EQ(all[3].state, TrialState::Pruned);
  s.create_trial({9});
  EXPECT_EQ(all.size(), 5u);  // a snapshot does not move
}

TYPED_TEST_P(StorageContract, ConcurrentCreateAndFinishGiveUniqueNumbers) {
  Storage& s = *this->storage_;
  constexpr int kThreads = 4, kPerThread = 50;
  std::vector<std::vector<int>> got(kThreads);
  std::vector<std::thread> threads;
  for (int w = 0; w < kThreads; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < kPerThread; ++i) {
        const int n = s.create_trial({static_cast<double>(w), static_cast<double>(i)}, 0.0, "w" + std::to_string(w));
        got[w].push_back(n);
        TrialResult r;
        r.values = {static_cast<double>(n)};
        s.finish_trial(n, r);
      }
    });
  }
  for (auto& t : threads) t.join();
  std::set<int> numbers;
  for (const auto& g : got) numbers.insert(g.begin(), g.end());
  EXPECT_EQ(numbers.size(), static_cast<std::size_t>(kThreads * kPerThread));
  EXPECT_EQ(*numbers.begin(), 0);
  EXPECT_EQ(*numbers.rbegin(), kThreads * kPerThread - 1);
  for (const auto& t : s.trials()) {
    EXPECT_EQ(t.state, TrialState::Complete);
    EXPECT_EQ(t.values, (std::vector<double>{static_cast<double>(t.number)}));
    EXPECT_EQ(t.worker, "w" + std::to_string(static_cast<int>(t.params[0])));
  }
}

REGISTER_TYPED_TEST_SUITE_P(StorageContract, StartsEmpty, CreateNumbersConsecutivelyAndStartsRunning,
                            FinishRecordsEverything, FinishRulesAreEnforced, TrialsAreASnapshotInNumberOrder,
                            ConcurrentCreateAndFinishGiveUniqueNumbers);

}  // namespace qdse::search::testing
