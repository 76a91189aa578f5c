// HeartbeatThread keeps a trial fresh and stops cleanly. Bounded waits, no timing asserts.
#include <gtest/gtest.h>

#include "qdse/storage/heartbeat.hpp"
#include "qdse/storage/sqlite_storage.hpp"
#include "storage_test_util.hpp"

namespace qdse::storage::testing {
namespace {

// Waits (at most 30 s) until pred() holds.
template <class Pred>
bool eventually(Pred pred) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

TEST(HeartbeatThread, BeatsUntilDestroyed) {
  TempDir dir;
  auto storage = std::make_shared<SqliteStorage>(dir.file("hb.db"), "study", kSpaceJson,
                                                 std::vector<search::Direction>{search::Direction::Minimize});
  const int n = storage->create_trial({1});
  {
    HeartbeatThread beat(storage, n, std::chrono::milliseconds(1));
    EXPECT_TRUE(eventually([&] { return beat.beats() >= 3; }));
  }
  EXPECT_TRUE(storage->fail_stale_trials(3600.0).empty());
  EXPECT_EQ(storage->trial(n)->state, search::TrialState::Running);
}

TEST(HeartbeatThread, SurvivesAStorageError) {
  auto storage = std::make_shared<search::InMemoryStorage>();
  // Trial 5 does not exist: every beat throws inside the thread, which must swallow it.
  HeartbeatThread beat(storage, 5, std::chrono::milliseconds(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(beat.beats(), 0);
}

// One thread serves a worker's trials one after another: idle until a trial is
// tracked, then that trial, then the next one, and nothing once untracked.
TEST(HeartbeatThread, FollowsTheTrackedTrial) {
  auto storage = std::make_shared<search::InMemoryStorage>();
  HeartbeatThread beat(storage, std::chrono::milliseconds(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(beat.beats(), 0);  // idle: nothing tracked
  const int a = storage->create_trial({1});
  beat.track(a);
  EXPECT_TRUE(eventually([&] { return beat.beats() >= 3; }));
  storage->finish_trial(a, search::TrialResult{search::TrialState::Complete, {1.0}, {}, {}, 0.0});
  const int b = storage->create_trial({2});
  beat.track(b);
  const int before = beat.beats();
  EXPECT_TRUE(eventually([&] { return beat.beats() >= before + 3; }));
  beat.untrack();
  const int after = beat.beats();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_LE(beat.beats(), after + 1);  // at most the beat that was under way
}

}  // namespace
}  // namespace qdse::storage::testing
