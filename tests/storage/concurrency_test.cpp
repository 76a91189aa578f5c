// Several workers on one study: 3 threads and 3 forked processes, each with its own
// connection, finish a 3x4x5 brute-force space with every configuration evaluated
// exactly once (claims); and a worker killed with SIGKILL mid-search loses no finished
// trial, leaves a sound database, and its Running leftover is failed via the heartbeat
// timeout and retried by a resumed search.
#include <gtest/gtest.h>

#include "../support/prerequisites.hpp"
#include <signal.h>

#include <set>

#include "postgres_server.hpp"
#include "qdse/storage/postgres_storage.hpp"
#include "qdse/storage/sqlite_storage.hpp"
#include "storage_test_util.hpp"

namespace qdse::storage::testing {
namespace {

using search::Storage;
using search::TrialState;
using Opener = std::function<std::shared_ptr<Storage>()>;

void processes_finish_space(const Opener& open) {
  const auto space = space_3x4x5();
  std::vector<pid_t> children;
  for (int w = 0; w < 3; ++w) {
    children.push_back(fork_child([&, w] {
      auto storage = open();  // opened in the child: nothing shared with the parent
      run_brute_force(*storage, space, "process" + std::to_string(w));
      return 0;
    }));
  }
  for (pid_t pid : children) EXPECT_EQ(wait_child(pid), 0);
  auto storage = open();
  const auto trials = storage->trials();
  EXPECT_EQ(trials.size(), 60u);
  EXPECT_EQ(check_exactly_once(space, trials), "");
  std::set<std::string> workers;
  for (const auto& t : trials) workers.insert(t.worker);
  EXPECT_LE(workers.size(), 3u);
}

// 6 x 6 x 6 = 216 configurations: long enough to kill the worker mid-search.
search::SearchSpace space_6x6x6() {
  using namespace search;
  return SearchSpace({{"a", IntDistribution{0, 5, 1}}, {"b", IntDistribution{0, 5, 1}}, {"c", IntDistribution{0, 5, 1}}});
}

void kill_mid_search(const Opener& open, const std::function<void(Storage&)>& check_sound) {
  const auto space = space_6x6x6();
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  // The child reports 2n when it claimed trial n and 2n+1 once trial n is finished.
  const pid_t pid = fork_child([&] {
    close(fds[0]);
    auto storage = open();
    search::BruteForceSampler sampler;
    auto report = [&](int code) { return write(fds[1], &code, sizeof code) == sizeof code; };
    while (auto params = sampler.ask(space, kMin, storage->trials())) {
      auto number = storage->try_create_trial(*params, 0.0, "doomed");
      if (!number) continue;
      if (!report(2 * *number)) return 4;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the "evaluation"
      search::TrialResult r;
      r.values = {objective(space, *params)};
      storage->finish_trial(*number, r);
      if (!report(2 * *number + 1)) return 4;  // reported only once durable
    }
    return 0;
  });
  close(fds[1]);
  // Kill right after the claim that follows the 20th finished trial: the child is then
  // most likely evaluating, so a Running leftover is exercised (not relied upon).
  std::vector<int> reported;
  int code = 0;
  bool killed = false;
  while (read(fds[0], &code, sizeof code) == sizeof code) {
    if (code % 2 == 1) reported.push_back(code / 2);
    if (!killed && code % 2 == 0 && reported.size() >= 20) {
      kill(pid, SIGKILL);
      killed = true;
    }
  }
  if (!killed) kill(pid, SIGKILL);
  wait_child(pid);
  close(fds[0]);
  ASSERT_GE(reported.size(), 20u);

  auto storage = open();
  check_sound(*storage);
  auto trials = storage->trials();
  for (int r : reported) {
    ASSERT_LT(r, static_cast<int>(trials.size()));
    EXPECT_EQ(trials[r].state, TrialState::Complete) << "finished trial " << r << " was lost";
    EXPECT_EQ(trials[r].values, (std::vector<double>{objective(space, trials[r].params)}));
  }
  std::set<std::uint64_t> configs;
  int running = 0;
  for (const auto& t : trials) {
    EXPECT_TRUE(configs.insert(search::config_index(space, t.params)).second) << "duplicate claim, trial " << t.number;
    if (t.state == TrialState::Running) ++running;
  }
  EXPECT_LE(running, 1);  // one worker, one trial at a time
  ::testing::Test::RecordProperty("running_leftovers", running);
  ::testing::Test::RecordProperty("finished_before_kill", static_cast<int>(reported.size()));

  // Timeout 0: the dead worker's heartbeats are all in the past.
  const auto stale = storage->fail_stale_trials(0.0);
  EXPECT_EQ(static_cast<int>(stale.size()), running);
  for (const auto& s : stale) {
    EXPECT_EQ(storage->trial(s.number)->state, TrialState::Failed);
    EXPECT_EQ(s.worker, "doomed");
    auto retry = storage->try_create_trial(s.params, 0.0, "resume", s.number);
    ASSERT_TRUE(retry) << "the stale trial's params were not released";
    EXPECT_EQ(storage->retry_of(*retry), std::optional<int>(s.number));
    search::TrialResult r;
    r.values = {objective(space, s.params)};
    storage->finish_trial(*retry, r);
  }
  run_brute_force(*storage, space, "resume");
  EXPECT_EQ(check_exactly_once(space, storage->trials()), "");
  check_sound(*storage);
}

class SqliteConcurrency : public ::testing::Test {
 protected:
  Opener opener(const std::string& name) {
    const std::string path = dir_.file(name);
    return [path] { return std::make_shared<SqliteStorage>(path, "study", kSpaceJson, kMin); };
  }
  TempDir dir_;
};

TEST_F(SqliteConcurrency, ThreadsFinishTheSpaceOnce) { threads_finish_space(opener("threads.db")); }
TEST_F(SqliteConcurrency, ProcessesFinishTheSpaceOnce) { processes_finish_space(opener("processes.db")); }
TEST_F(SqliteConcurrency, KilledWorkerLosesNothing) {
  kill_mid_search(opener("kill.db"), [](Storage& s) {
    EXPECT_EQ(dynamic_cast<SqliteStorage&>(s).integrity_check(), "ok");
  });
}

class PostgresConcurrency : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = PostgresServer::shared();
    QDSE_REQUIRE(server_, PostgresServer::shared_failure());
  }
  Opener opener(const std::string& study) {
    const std::string url = server_->url();
    return [url, study] { return std::make_shared<PostgresStorage>(url, study, kSpaceJson, kMin); };
  }
  PostgresServer* server_ = nullptr;
};

TEST_F(PostgresConcurrency, ThreadsFinishTheSpaceOnce) { threads_finish_space(opener("threads")); }
TEST_F(PostgresConcurrency, ProcessesFinishTheSpaceOnce) { processes_finish_space(opener("processes")); }
TEST_F(PostgresConcurrency, KilledWorkerLosesNothing) {
  kill_mid_search(opener("kill"), [](Storage&) {});
}

}  // namespace
}  // namespace qdse::storage::testing
