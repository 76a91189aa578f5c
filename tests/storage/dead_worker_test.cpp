// Trials of dead local processes (schema version 2 records each trial's process): a
// worker killed with SIGKILL leaves Running trials that fail_dead_local_trials fails at
// once, whatever their heartbeat, while trials of live processes stay Running; a Study
// resumed right after the kill completes the space exactly once. Also: version-1 files
// (no process columns) are still read and written, as version 1.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>

#include <chrono>
#include <thread>

#include "postgres_server.hpp"
#include "qdse/core/error.hpp"
#include "qdse/search/sampler_factory.hpp"
#include "qdse/search/study.hpp"
#include "qdse/storage/postgres_storage.hpp"
#include "qdse/storage/process_identity.hpp"
#include "qdse/storage/row_codec.hpp"
#include "qdse/storage/sqlite_storage.hpp"
#include "sqlite_sql.hpp"
#include "storage_test_util.hpp"

namespace qdse::storage::testing {
namespace {

using search::Direction;
using search::TrialState;
using Factory = std::function<std::shared_ptr<search::Storage>()>;
const std::vector<Direction> kMinimize = {Direction::Minimize};

// A child process finishes `finished` configurations, claims one more and blocks
// ("evaluating"); the parent kills it with SIGKILL once the child reports the claim
// through a pipe. Returns the killed trial's number (-1 if the child failed).
int kill_worker_mid_trial(const Factory& open, int finished) {
  const auto space = space_3x4x5();
  int fds[2];
  if (pipe(fds) != 0) return -1;
  const pid_t pid = fork_child([&] {
    close(fds[0]);
    auto storage = open();
    run_brute_force(*storage, space, "doomed", finished);
    search::BruteForceSampler sampler;
    auto params = sampler.ask(space, kMinimize, storage->trials());
    const int number = *storage->try_create_trial(*params, 0.0, "doomed");
    if (write(fds[1], &number, sizeof number) != sizeof number) return 1;
    while (true) std::this_thread::sleep_for(std::chrono::seconds(1));
    return 0;
  });
  close(fds[1]);
  int running = -1;
  if (read(fds[0], &running, sizeof running) != sizeof running) running = -1;
  close(fds[0]);
  kill(pid, SIGKILL);
  wait_child(pid);
  return running;
}

void dead_worker_is_failed_at_once(const Factory& open) {
  if (this_process().start.empty()) GTEST_SKIP() << "no /proc: processes cannot be judged here";
  const int killed = kill_worker_mid_trial(open, 7);
  ASSERT_EQ(killed, 7);
  auto storage = open();
  // This process holds a Running trial too: it is alive, so it stays Running.
  const int mine = *storage->try_create_trial({2, 3, 14}, 0.0, "alive");
  const auto running = storage->running_trials();
  ASSERT_EQ(running.size(), 2u);
  EXPECT_EQ(running[0].number, killed);
  EXPECT_EQ(running[0].worker, "doomed");
  EXPECT_EQ(running[0].host, this_process().host);
  EXPECT_GT(running[0].pid, 0);
  EXPECT_NE(running[0].pid, this_process().pid);
  EXPECT_GE(running[0].heartbeat_age, 0.0);
  EXPECT_LT(running[0].heartbeat_age, 60.0);
  EXPECT_EQ(running[1].pid, this_process().pid);
  // The heartbeat is fresh, so the timeout rule fails nothing; the process rule does.
  EXPECT_TRUE(storage->fail_stale_trials(3600).empty());
  const auto dead = storage->fail_dead_local_trials();
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].number, killed);
  EXPECT_EQ(dead[0].worker, "doomed");
  EXPECT_FALSE(dead[0].retry_of);
  EXPECT_EQ(storage->trial(killed)->state, TrialState::Failed);
  EXPECT_EQ(storage->trial(mine)->state, TrialState::Running);
  EXPECT_TRUE(storage->fail_dead_local_trials().empty());  // exactly once
  // The params were released: exactly one retry can claim them.
  EXPECT_TRUE(storage->try_create_trial(dead[0].params, 0.0, "retry", killed));
  EXPECT_FALSE(storage->try_create_trial(dead[0].params, 0.0, "retry", killed));
}

// kill -9, then a Study resumed at once (heartbeat timeout 120 s) finishes the space:
// every configuration exactly once, the killed trial Failed with one retry.
void resume_right_after_kill_completes_the_space(const Factory& open) {
  if (this_process().start.empty()) GTEST_SKIP() << "no /proc: processes cannot be judged here";
  const int killed = kill_worker_mid_trial(open, 11);
  ASSERT_GE(killed, 0);
  const auto space = space_3x4x5();
  auto storage = open();
  search::Study study(space, kMinimize, storage, search::make_sampler("bruteforce"), "resumer");
  const auto stale = study.fail_stale_trials(120);
  ASSERT_EQ(stale.size(), 1u);
  EXPECT_EQ(stale[0].number, killed);
  while (auto t = study.ask()) study.tell(t->number, {objective(space, t->params)});
  const auto trials = storage->trials();
  EXPECT_EQ(check_exactly_once(space, trials), "");
  EXPECT_EQ(trials.size(), static_cast<std::size_t>(*space.size()) + 1);
  EXPECT_EQ(storage->trial(killed)->state, TrialState::Failed);
  EXPECT_TRUE(storage->running_trials().empty());
}

Factory sqlite_factory(const TempDir& dir) {
  const std::string path = dir.file("dead.db");
  return [path] { return std::make_shared<SqliteStorage>(path, "study", kSpaceJson, kMinimize); };
}

TEST(DeadWorkerSqlite, RunningTrialOfAKilledProcessFailsAtOnce) {
  TempDir dir;
  dead_worker_is_failed_at_once(sqlite_factory(dir));
}

TEST(DeadWorkerSqlite, ResumeRightAfterKillCompletesTheSpace) {
  TempDir dir;
  resume_right_after_kill_completes_the_space(sqlite_factory(dir));
}

Factory postgres_factory(const std::string& db) {
  return [db] { return std::make_shared<PostgresStorage>(db, "study", kSpaceJson, kMinimize); };
}

TEST(DeadWorkerPostgres, RunningTrialOfAKilledProcessFailsAtOnce) {
  PostgresServer* server = PostgresServer::shared();
  if (!server) GTEST_SKIP() << PostgresServer::shared_failure();
  dead_worker_is_failed_at_once(postgres_factory(server->create_database("dead_a")));
}

TEST(DeadWorkerPostgres, ResumeRightAfterKillCompletesTheSpace) {
  PostgresServer* server = PostgresServer::shared();
  if (!server) GTEST_SKIP() << PostgresServer::shared_failure();
  resume_right_after_kill_completes_the_space(postgres_factory(server->create_database("dead_b")));
}

std::string meta_version(const std::string& path) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(db, "SELECT value FROM qdse_meta WHERE key = 'schema_version'", -1, &s, nullptr);
  std::string v = sqlite3_step(s) == SQLITE_ROW ? reinterpret_cast<const char*>(sqlite3_column_text(s, 0)) : "";
  sqlite3_finalize(s);
  sqlite3_close(db);
  return v;
}

// A study written by a qdse of schema version 1 (made here from a version-2 file by
// dropping the process columns): read, resumed and written as version 1.
TEST(SchemaVersion1, IsStillReadAndWrittenAsVersion1) {
  TempDir dir;
  const auto path = dir.file("v1.db");
  {
    SqliteStorage s(path, "study", kSpaceJson, kMinimize);
    search::TrialResult r;
    r.values = {1.5};
    s.finish_trial(s.create_trial({0, 1, 10}), r);
    s.create_trial({1, 1, 10});  // left Running by a worker of the old qdse
  }
  EXPECT_EQ(meta_version(path), std::to_string(kSchemaVersion));
  sqlite_exec(path, "ALTER TABLE trials DROP COLUMN host; ALTER TABLE trials DROP COLUMN pid; "
                 "ALTER TABLE trials DROP COLUMN process_start; UPDATE qdse_meta SET value = '1' WHERE key = "
                 "'schema_version';");
  ASSERT_EQ(SqliteStorage::list_studies(path).size(), 1u);
  SqliteStorage s(path, "study", kSpaceJson, kMinimize);
  ASSERT_EQ(s.trials().size(), 2u);
  EXPECT_EQ(s.trials()[0].values, std::vector<double>{1.5});
  const auto running = s.running_trials();
  ASSERT_EQ(running.size(), 1u);
  EXPECT_EQ(running[0].host, "");  // not recorded in version 1
  EXPECT_TRUE(s.fail_dead_local_trials().empty());  // unknown process: the heartbeat decides
  EXPECT_EQ(s.fail_stale_trials(0).size(), 1u);
  search::TrialResult r;
  r.values = {2.5};
  s.finish_trial(*s.try_create_trial({1, 1, 10}, 0.0, "new", 1), r);
  EXPECT_EQ(s.trials().size(), 3u);
  EXPECT_EQ(meta_version(path), "1");
  EXPECT_EQ(s.integrity_check(), "ok");
}

}  // namespace
}  // namespace qdse::storage::testing
