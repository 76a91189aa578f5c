// JournalStorage (Optuna's journal file): the storage and claim contracts, several
// threads and processes finishing one brute-force space exactly once, a worker killed
// with SIGKILL (its finished trials kept, its Running trial failed at once and retried),
// and the file format details Optuna relies on (op codes, NaN tokens, half-written last
// line, damaged lines, the lock file).
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <ctime>
#include <fstream>
#include <sstream>

#include "../search/storage_contract.hpp"
#include "../support/errors.hpp"
#include "claim_contract.hpp"
#include "qdse/storage/journal_storage.hpp"
#include "qdse/storage/open_storage.hpp"
#include "qdse/storage/process_identity.hpp"
#include "storage_test_util.hpp"

namespace qdse::storage::testing {
namespace {

using search::TrialState;

struct JournalFactory {
  static std::shared_ptr<search::Storage> make() { return fresh_file_storage<JournalStorage>(".log"); }
};

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void append_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out << text;
}

// qdse search's form of a space description: categorical choices as the user wrote them.
const char* kQdseSpace =
    R"({"params": [{"name": "a", "choices": ["x", "y", "z"]}, {"name": "b", "distribution": "int[0, 3]"},)"
    R"( {"name": "c", "distribution": "int[10, 14]"}]})";

using Opener = std::function<std::shared_ptr<search::Storage>()>;

Opener journal_opener(const std::string& path) {
  return [path] { return std::make_shared<JournalStorage>(path, "study", kQdseSpace, kMin); };
}

TEST(JournalConcurrency, ThreadsFinishTheSpaceOnce) {
  TempDir dir;
  threads_finish_space(journal_opener(dir.file("threads.log")));
}

TEST(JournalConcurrency, ProcessesFinishTheSpaceOnce) {
  TempDir dir;
  const auto open = journal_opener(dir.file("processes.log"));
  const auto space = space_3x4x5();
  open();  // creates the study first, so the children only load it
  std::vector<pid_t> children;
  for (int w = 0; w < 3; ++w) {
    children.push_back(fork_child([&, w] {
      run_brute_force(*open(), space, "process" + std::to_string(w));
      return 0;
    }));
  }
  for (pid_t pid : children) EXPECT_EQ(wait_child(pid), 0);
  const auto trials = open()->trials();
  EXPECT_EQ(trials.size(), 60u);
  EXPECT_EQ(check_exactly_once(space, trials), "");
  EXPECT_FALSE(std::filesystem::exists(dir.file("processes.log.lock"))) << "the lock was left behind";
}

// A child finishes 9 configurations, claims a tenth and is killed with SIGKILL while
// "evaluating" it: nothing finished is lost, the Running trial of the dead process is
// failed at once (no heartbeat wait), its params are retried, and the space completes.
TEST(JournalConcurrency, KilledWorkerLosesNothingAndIsResumed) {
  if (this_process().start.empty()) GTEST_SKIP() << "no /proc: processes cannot be judged here";
  TempDir dir;
  const auto open = journal_opener(dir.file("kill.log"));
  const auto space = space_3x4x5();
  open();
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t pid = fork_child([&] {
    close(fds[0]);
    auto storage = open();
    run_brute_force(*storage, space, "doomed", 9);
    search::BruteForceSampler sampler;
    const int number = *storage->try_create_trial(*sampler.ask(space, kMin, storage->trials()), 0.0, "doomed");
    if (write(fds[1], &number, sizeof number) != sizeof number) return 1;
    while (true) std::this_thread::sleep_for(std::chrono::seconds(1));
  });
  close(fds[1]);
  int claimed = -1;
  ASSERT_EQ(read(fds[0], &claimed, sizeof claimed), static_cast<ssize_t>(sizeof claimed));
  close(fds[0]);
  kill(pid, SIGKILL);
  wait_child(pid);
  ASSERT_EQ(claimed, 9);

  auto storage = open();
  auto trials = storage->trials();
  ASSERT_EQ(trials.size(), 10u);
  for (int n = 0; n < 9; ++n) EXPECT_EQ(trials[n].state, TrialState::Complete) << n;
  EXPECT_EQ(trials[9].state, TrialState::Running);
  EXPECT_TRUE(storage->fail_stale_trials(3600.0).empty());  // its heartbeat is fresh...
  const auto dead = storage->fail_dead_local_trials();     // ...but its process is gone
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].number, 9);
  EXPECT_EQ(dead[0].worker, "doomed");
  EXPECT_EQ(storage->trial(9)->state, TrialState::Failed);
  const auto retry = storage->try_create_trial(dead[0].params, 0.0, "resume", 9);
  ASSERT_TRUE(retry) << "the dead trial's params were not released";
  EXPECT_EQ(storage->retry_of(*retry), std::optional<int>(9));
  search::TrialResult r;
  r.values = {objective(space, dead[0].params)};
  storage->finish_trial(*retry, r);
  run_brute_force(*storage, space, "resume");
  EXPECT_EQ(check_exactly_once(space, storage->trials()), "");
  // A fresh reader replays the same claims from the file alone.
  EXPECT_EQ(open()->try_create_trial(dead[0].params), std::nullopt);
}

// What Optuna reads: op codes, field names, the distribution JSON inside a string,
// Python's NaN token, attributes before the state line.
TEST(JournalFormat, WritesOptunaOperations) {
  TempDir dir;
  const std::string path = dir.file("format.log");
  JournalStorage s(path, "fmt", kQdseSpace, kMin);
  const int n = s.create_trial({2, 1, 13}, 0.5, "w");
  search::TrialResult r;
  r.values = {0.25};
  r.constraints = {-1.0, 0.5};
  r.metrics = {{"accuracy", 0.75}, {"odd", std::nan("")}};
  r.eval_seconds = 1.5;
  s.finish_trial(n, r);
  const std::string text = read_text(path);
  EXPECT_CONTAINS(text, R"({"op_code":0,"worker_id":")");
  EXPECT_CONTAINS(text, R"("study_name":"fmt","directions":[1]})");
  EXPECT_CONTAINS(text, R"("params":{"a":2.0,"b":1.0,"c":13.0})");
  EXPECT_CONTAINS(text, R"("a":"{\"name\":\"CategoricalDistribution\",\"attributes\":{\"choices\":[\"x\",\"y\",\"z\"]}}")");
  EXPECT_CONTAINS(text, R"(\"IntDistribution\",\"attributes\":{\"log\":false,\"step\":1,\"low\":0,\"high\":3}})");
  EXPECT_CONTAINS(text, R"("user_attr":{"odd":NaN}})");
  EXPECT_CONTAINS(text, R"("system_attr":{"constraints":[-1.0,0.5]}})");
  EXPECT_CONTAINS(text, R"({"op_code":6,)");
  EXPECT_CONTAINS(text, R"("state":1,"values":[0.25],"datetime_complete":")");
  const auto t = JournalStorage(path, "fmt").trial(n);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->params, (search::ParamVector{2, 1, 13}));
  EXPECT_EQ(t->values, (std::vector<double>{0.25}));
  EXPECT_EQ(t->constraints, (std::vector<double>{-1.0, 0.5}));
  EXPECT_EQ(t->metrics.at("accuracy"), 0.75);
  EXPECT_TRUE(std::isnan(t->metrics.at("odd")));
  EXPECT_EQ(t->eval_seconds, 1.5);
  EXPECT_EQ(t->sample_seconds, 0.5);
  EXPECT_EQ(t->worker, "w");
  EXPECT_EQ(t->start_time.size(), 24u) << t->start_time;  // 2024-05-01T12:34:56.789Z
}

// A writer killed mid-line leaves a partial last line: ignored (as Optuna does) until it
// is completed; a damaged line with lines after it is an error naming file and line.
TEST(JournalFormat, HalfWrittenLastLineIsIgnoredDamagedLineIsRefused) {
  TempDir dir;
  const std::string path = dir.file("partial.log");
  JournalStorage(path, "p", kQdseSpace, kMin).create_trial({0, 0, 10});
  append_text(path, R"({"op_code": 4, "worker_id": "w", "study_id": 0, "datetime_)");
  EXPECT_EQ(JournalStorage(path, "p").n_trials(), 1);
  append_text(path, "start\": \"2024-05-01T12:34:56.000001\"}\n");
  EXPECT_EQ(JournalStorage(path, "p").n_trials(), 2);
  append_text(path, "{\"op_code\": 4, garbage\n{\"op_code\": 1, \"worker_id\": \"w\", \"study_id\": 7}\n");
  const std::string before = read_text(path);
  const auto msg = storage_error_of([&] { JournalStorage(path, "p", kQdseSpace, kMin); });
  EXPECT_CONTAINS(msg, path);
  EXPECT_CONTAINS(msg, "line 6");  // 3 study lines, 2 trials, then the damaged one
  EXPECT_EQ(read_text(path), before);  // never written
}

// Bad journals: each a one-line qdse::Error naming the file (and line), none a crash.
TEST(JournalFormat, BadJournalsAreCleanErrors) {
  TempDir dir;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"[1, 2]\n{}\n", "line 1"},
      {"{\"op_code\": 99, \"worker_id\": \"w\"}\n", "unknown op_code 99"},
      {"{\"op_code\": 0, \"worker_id\": \"w\", \"study_name\": 5, \"directions\": [1]}\n", "line 1"},
      {"{\"op_code\": 0, \"worker_id\": \"w\", \"study_name\": \"s\", \"directions\": [0]}\n", "direction code 0"},
      {"{\"op_code\": 4, \"worker_id\": \"w\"}\n", "no field `study_id`"},
  };
  int i = 0;
  for (const auto& [text, expected] : cases) {
    const std::string path = dir.file("bad" + std::to_string(i++) + ".log");
    append_text(path, text);
    const auto msg = storage_error_of([&] { JournalStorage(path, "s", kQdseSpace, kMin); });
    EXPECT_CONTAINS(msg, path);
    EXPECT_CONTAINS(msg, expected);
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    EXPECT_EQ(read_text(path), text);
  }
  EXPECT_CONTAINS(storage_error_of([&] { JournalStorage(dir.file("none.log"), "s", "", {}, true); }), "does not exist");
  EXPECT_CONTAINS(storage_error_of([&] { JournalStorage(dir.path(), "s", kQdseSpace, kMin); }), "directory");
}

// Trials Optuna wrote need not suggest a param with a single choice (qdse's spaces list
// `node/config/name = ["NA"]`): it reads as that choice. A Complete trial lacking a param
// with several choices is an error naming it.
TEST(JournalFormat, SingleChoiceParamsAreImpliedOthersAreNamed) {
  TempDir dir;
  const char* space =
      R"({"params": [{"name": "fmt", "choices": ["NA"]}, {"name": "w", "choices": [2, 4]}, {"name": "d", "choices": [4, 8]}]})";
  const std::string cat_w = R"("{\"name\": \"CategoricalDistribution\", \"attributes\": {\"choices\": [2, 4]}}")";
  const std::string cat_d = R"("{\"name\": \"CategoricalDistribution\", \"attributes\": {\"choices\": [4, 8]}}")";
  const std::string head =
      R"({"op_code": 0, "worker_id": "w", "study_name": "s", "directions": [1]})" "\n"
      R"({"op_code": 4, "worker_id": "w", "study_id": 0, "datetime_start": "2024-05-01T14:34:56.789012", "state": 1, "value": 1.5, "datetime_complete": "2024-05-01T14:34:57.000000", "distributions": {"w": )" +
      cat_w + R"(, "d": )" + cat_d + R"(}, "params": {"w": 1, "d": 0}})" + "\n";
  const std::string good = dir.file("implied.log");
  append_text(good, head);
  JournalStorage s(good, "s", space, kMin);
  const auto t = s.trials();
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].params, (search::ParamVector{0, 1, 0}));
  EXPECT_EQ(s.try_create_trial({0, 1, 0}), std::nullopt);  // Optuna's trial holds it

  const std::string bad = dir.file("missing.log");
  append_text(bad, head + R"({"op_code": 4, "worker_id": "w", "study_id": 0, "datetime_start": "2024-05-01T14:35:00.000000", "state": 1, "value": 2.5, "datetime_complete": "2024-05-01T14:35:01.000000", "distributions": {"w": )" +
                       cat_w + R"(}, "params": {"w": 0}})" + "\n");
  const auto msg = storage_error_of([&] { JournalStorage(bad, "s", space, kMin).trials(); });
  EXPECT_CONTAINS(msg, "trial 1");
  EXPECT_CONTAINS(msg, "`d`");
  EXPECT_EQ(msg.find("`fmt`"), std::string::npos) << msg;
}

// A lock left by a writer killed while holding it (Optuna 3.1 never breaks one) is
// broken once older than Optuna 4.x's grace period; a fresh one is waited for.
TEST(JournalFormat, StaleLockIsBroken) {
  TempDir dir;
  const std::string path = dir.file("lock.log");
  JournalStorage s(path, "l", kQdseSpace, kMin);
  ASSERT_EQ(symlink(path.c_str(), (path + ".lock").c_str()), 0);
  const timespec old[2] = {{0, UTIME_OMIT}, {std::time(nullptr) - 60, 0}};
  ASSERT_EQ(utimensat(AT_FDCWD, (path + ".lock").c_str(), old, AT_SYMLINK_NOFOLLOW), 0);
  EXPECT_EQ(s.create_trial({0, 0, 10}), 0);
  EXPECT_FALSE(std::filesystem::exists(path + ".lock"));
}

TEST(JournalUrl, OpensAndListsThroughTheUrl) {
  TempDir dir;
  const std::string url = "journal:" + dir.file("u.log");
  const auto parsed = parse_storage_url(url);
  EXPECT_EQ(parsed.kind, StorageKind::Journal);
  EXPECT_EQ(parsed.target, dir.file("u.log"));
  EXPECT_THROW(parse_storage_url("journal:"), Error);
  open_storage(url, "one", kQdseSpace, kMin)->create_trial({1, 2, 12});
  open_storage(url, "two", kSpaceJson, {search::Direction::Maximize});
  const auto studies = list_studies(url);
  ASSERT_EQ(studies.size(), 2u);
  EXPECT_EQ(studies[0].name, "one");
  EXPECT_EQ(studies[0].n_running, 1);
  EXPECT_EQ(studies[1].directions, (std::vector<search::Direction>{search::Direction::Maximize}));
  EXPECT_EQ(open_storage_read_only(url, "one")->trials().size(), 1u);
  EXPECT_CONTAINS(storage_error_of([&] { open_storage(url, "one", kSpaceJson, kMin); }), "another search space");
}

}  // namespace
}  // namespace qdse::storage::testing

namespace qdse::search::testing {
using JournalStorages = ::testing::Types<qdse::storage::testing::JournalFactory>;
INSTANTIATE_TYPED_TEST_SUITE_P(Journal, StorageContract, JournalStorages);
}  // namespace qdse::search::testing

namespace qdse::storage::testing {
using JournalClaimStorages = ::testing::Types<JournalFactory>;
INSTANTIATE_TYPED_TEST_SUITE_P(Journal, ClaimContract, JournalClaimStorages);
}  // namespace qdse::storage::testing
