// Studies that survive, through the `qdse` binary: resuming a study, SIGKILL mid-search
// and resume (SQLite and PostgreSQL), three concurrent `qdse search` processes on one
// study, n_jobs = 2 against serial, `qdse studies` / `qdse trials`, and the errors for a
// mismatched space and a corrupt database file.
// Model: fmnist-mlp with the peer's trained weights (--load), a 36-configuration space
// (two layers x weight {2,4,8} x data_in {4,8}) and a small evaluation split, so each
// test runs in seconds. Skipped when Fashion-MNIST or the weights are missing.
#include <gtest/gtest.h>

#include "../support/prerequisites.hpp"
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "../storage/postgres_server.hpp"
#include "../support/csv_rows.hpp"
#include "../support/temp_dir.hpp"
#include "small_search.hpp"
#include "qdse/core/error.hpp"
#include "qdse/storage/open_storage.hpp"

extern char** environ;

namespace qdse::cli {
namespace {

using storage::testing::PostgresServer;
namespace fs = std::filesystem;

using namespace qdse::testing;

// The peer's weights (named apart from search_session_test's kWeights for unity builds).
const std::string kPeerWeights = small_search_weights();
constexpr int kSpaceSize = 36;

// The small search (tests/cli/small_search.hpp) with `num_samples` validation samples.
std::string config_text(int num_samples, const std::string& weight_choices = "[2, 4, 8]") {
  SmallSearch s;
  s.num_samples = num_samples;
  s.first_weight_widths = weight_choices;
  return s.toml();
}

// Runs qdse with `args` (shell words), capturing stdout and stderr.
CliResult qdse(const std::string& args) {
  static const auto io = scratch_dir("search-storage");
  return run_qdse(args, io);
}

// Starts qdse in the background (output to `log`); returns its pid.
pid_t spawn_qdse(const std::vector<std::string>& args, const std::string& log) {
  std::vector<std::string> argv_s = {QDSE_BINARY};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  pid_t pid = -1;
  if (posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ) != 0) pid = -1;
  posix_spawn_file_actions_destroy(&fa);
  return pid;
}

int wait_exit(pid_t pid) {
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string search_args(const std::string& config, const std::string& storage, const std::string& study,
                        const std::string& out, const std::string& extra = "") {
  return "search -q --config " + config + " --load " + kPeerWeights + " --storage '" + storage + "' --study " + study +
         " --out " + out + " " + extra;
}

// The study's trials as `qdse trials --format json` prints them.
nlohmann::json trials_of(const std::string& storage, const std::string& study) {
  const auto r = qdse("trials --storage '" + storage + "' --study " + study + " --format json");
  EXPECT_EQ(r.status, 0) << r.err;
  return nlohmann::json::parse(r.out);
}

std::string config_key(const nlohmann::json& trial) { return trial.at("params").dump(); }

// Every configuration of the space has exactly one COMPLETE trial; returns "" or what is wrong.
std::string check_complete_once(const nlohmann::json& trials) {
  std::map<std::string, int> complete;
  for (const auto& t : trials)
    if (t.at("state") == "COMPLETE") ++complete[config_key(t)];
  if (static_cast<int>(complete.size()) != kSpaceSize)
    return std::to_string(complete.size()) + " distinct configurations completed, expected " + std::to_string(kSpaceSize);
  for (const auto& [k, n] : complete)
    if (n != 1) return k + " completed " + std::to_string(n) + " times";
  return "";
}

TEST(SearchStorage, SecondInvocationResumesTheStudy) {
  QDSE_REQUIRE_SMALL_SEARCH();
  TempDir dir("qdse_cli_storage");
  const auto cfg = dir.write("tiny.toml", config_text(256));
  const std::string db = dir.file("s.db");
  auto r = qdse(search_args(cfg, db, "tiny", dir.file("run1"), "--n-trials 10"));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("10 trials"), std::string::npos) << r.out;
  auto trials = trials_of(db, "tiny");
  ASSERT_EQ(trials.size(), 10u);
  // n_trials counts this invocation's trials: 10 more, numbered 10..19.
  r = qdse(search_args(cfg, db, "tiny", dir.file("run2"), "--n-trials 10"));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("resuming study `tiny`"), std::string::npos) << r.err;
  trials = trials_of(db, "tiny");
  ASSERT_EQ(trials.size(), 20u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(trials[i].at("number"), i);
  // A third run finishes the space; every configuration exactly once, nothing failed.
  r = qdse(search_args(cfg, db, "tiny", dir.file("run3"), "--n-trials 100"));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("16 trials"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("space exhausted"), std::string::npos) << r.out;
  trials = trials_of(db, "tiny");
  EXPECT_EQ(trials.size(), static_cast<std::size_t>(kSpaceSize));
  EXPECT_EQ(check_complete_once(trials), "");
  // The run outputs reflect the whole study, not just this invocation.
  const auto outputs = nlohmann::json::parse(read_text(dir.file("run3/trials.json")));
  EXPECT_EQ(outputs.size(), static_cast<std::size_t>(kSpaceSize));
  // Resuming a finished brute-force study runs nothing and succeeds.
  r = qdse(search_args(cfg, db, "tiny", dir.file("run4")));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("0 trials"), std::string::npos) << r.out;
}

TEST(SearchStorage, DefaultStorageIsStudyDbInTheRunDirectory) {
  QDSE_REQUIRE_SMALL_SEARCH();
  TempDir dir("qdse_cli_storage");
  const auto cfg = dir.write("tiny.toml", config_text(128));
  const std::string out = dir.file("run");
  auto r = qdse("search -q --config " + cfg + " --load " + kPeerWeights + " --out " + out + " --n-trials 3");
  ASSERT_EQ(r.status, 0) << r.err;
  ASSERT_TRUE(fs::exists(out + "/study.db"));
  // Where the time and memory went, on stdout and in best.json.
  EXPECT_NE(r.out.find("time: start-up "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("MB after the first trial, peak "), std::string::npos) << r.out;
  const auto best = nlohmann::json::parse(read_text(out + "/best.json"));
  const auto& summary = best.at("summary");
  EXPECT_GT(summary.at("rss_after_first_trial_mb").get<double>(), 0);
  EXPECT_GE(summary.at("peak_rss_mb").get<double>(), summary.at("rss_after_first_trial_mb").get<double>());
  EXPECT_GT(best.at("provenance").at("startup_seconds").get<double>(), 0);
  // The study is named after the config file's stem; running again in the same directory resumes.
  r = qdse("search -q --config " + cfg + " --load " + kPeerWeights + " --out " + out + " --n-trials 2");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(trials_of(out + "/study.db", "tiny").size(), 5u);
}

// Starts a search, waits until it has finished some trials and is evaluating another,
// kills it with SIGKILL, then resumes. `storage` is a URL both runs use.
void kill_and_resume(const std::string& storage, const std::string& study) {
  TempDir dir("qdse_cli_storage");
  const auto cfg = dir.write("tiny.toml", config_text(6000));
  const pid_t pid = spawn_qdse({"search", "-q", "--config", cfg, "--load", kPeerWeights, "--storage", storage,
                                "--study", study, "--out", dir.file("run1"), "--heartbeat", "1"},
                               dir.file("run1.log"));
  ASSERT_GT(pid, 0);
  // Poll the study (a separate connection) until >= 5 trials are complete and one is running.
  std::map<int, nlohmann::json> complete_before;
  bool killed = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  std::shared_ptr<search::Storage> reader;
  while (std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (!reader) {
      try {
        reader = storage::open_storage(storage, study);
      } catch (const Error&) {
        continue;  // not created yet
      }
    }
    const auto trials = reader->trials();
    int complete = 0, running = 0;
    for (const auto& t : trials) {
      complete += t.state == search::TrialState::Complete;
      running += t.state == search::TrialState::Running;
    }
    if (complete >= 5 && running >= 1 && complete < kSpaceSize - 5) {
      kill(pid, SIGKILL);
      killed = true;
      break;
    }
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) FAIL() << "search ended before it could be killed:\n"
                                                       << read_text(dir.file("run1.log"));
  }
  ASSERT_TRUE(killed) << "the search never reached 5 complete trials:\n" << read_text(dir.file("run1.log"));
  wait_exit(pid);
  const auto after_kill = trials_of(storage, study);
  std::set<int> running;
  for (const auto& t : after_kill) {
    if (t.at("state") == "COMPLETE") complete_before[t.at("number").get<int>()] = t;
    if (t.at("state") == "RUNNING") running.insert(t.at("number").get<int>());
  }
  ASSERT_GE(complete_before.size(), 5u);
  ASSERT_FALSE(running.empty()) << "the kill left no Running trial (it finished one in the meantime)";
  // Resume after the heartbeat timeout (1 s): the dead worker's Running trials become
  // Failed and their configurations are retried once.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  const auto r = qdse(search_args(cfg, storage, study, dir.file("run2"), "--heartbeat 1"));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("Running trials of dead workers marked failed"), std::string::npos) << r.err;
  const auto trials = trials_of(storage, study);
  EXPECT_EQ(check_complete_once(trials), "");
  std::map<int, nlohmann::json> by_number;
  for (const auto& t : trials) by_number[t.at("number").get<int>()] = t;
  for (const auto& [n, t] : complete_before) {  // every finished trial is still there, unchanged
    ASSERT_TRUE(by_number.count(n));
    EXPECT_EQ(by_number[n], t);
  }
  for (int n : running) {
    EXPECT_EQ(by_number[n].at("state"), "FAILED") << n;
    int retries = 0;
    for (const auto& t : trials) {
      if (t.at("retry_of") == n) {
        ++retries;
        EXPECT_EQ(t.at("state"), "COMPLETE");
        EXPECT_EQ(t.at("params"), by_number[n].at("params"));
      }
    }
    EXPECT_EQ(retries, 1) << "trial " << n;
  }
  // Only the killed trials failed; nothing else was evaluated twice.
  EXPECT_EQ(trials.size(), static_cast<std::size_t>(kSpaceSize) + running.size());
}

TEST(SearchStorage, KillMinus9AndResumeSqlite) {
  QDSE_REQUIRE_SMALL_SEARCH();
  TempDir dir("qdse_cli_storage");
  kill_and_resume("sqlite:///" + dir.file("k.db"), "killed");
}

TEST(SearchStorage, KillMinus9AndResumePostgres) {
  QDSE_REQUIRE_SMALL_SEARCH();
  PostgresServer* server = PostgresServer::shared();
  QDSE_REQUIRE(server, PostgresServer::shared_failure());
  kill_and_resume(server->url(), "killed");
}

// Three `qdse search` processes on one study finish the space, each configuration once.
void three_workers(const std::string& storage, const std::string& study) {
  TempDir dir("qdse_cli_storage");
  const auto cfg = dir.write("tiny.toml", config_text(1000));
  std::vector<pid_t> pids;
  for (int w = 0; w < 3; ++w) {
    const std::string run = dir.file("w" + std::to_string(w));
    pids.push_back(spawn_qdse({"search", "-q", "--config", cfg, "--load", kPeerWeights, "--storage", storage, "--study",
                               study, "--out", run},
                              run + ".log"));
  }
  for (int w = 0; w < 3; ++w)
    EXPECT_EQ(wait_exit(pids[w]), 0) << read_text(dir.file("w" + std::to_string(w) + ".log"));
  const auto trials = trials_of(storage, study);
  EXPECT_EQ(trials.size(), static_cast<std::size_t>(kSpaceSize));
  EXPECT_EQ(check_complete_once(trials), "");
  std::set<std::string> workers;
  for (const auto& t : trials) workers.insert(t.at("worker").get<std::string>());
  EXPECT_GE(workers.size(), 1u);
}

TEST(SearchStorage, ThreeProcessesOnOneSqliteStudy) {
  QDSE_REQUIRE_SMALL_SEARCH();
  TempDir dir("qdse_cli_storage");
  three_workers(dir.file("shared.db"), "shared");
}

TEST(SearchStorage, ThreeProcessesOnOnePostgresStudy) {
  QDSE_REQUIRE_SMALL_SEARCH();
  PostgresServer* server = PostgresServer::shared();
  QDSE_REQUIRE(server, PostgresServer::shared_failure());
  three_workers(server->url(), "shared");
}

// metrics by configuration from trials.json, without the ones that depend on the order
// of evaluation (cache hits, memo reuse).
std::map<std::string, nlohmann::json> results_by_config(const std::string& trials_json) {
  std::map<std::string, nlohmann::json> out;
  for (auto t : nlohmann::json::parse(read_text(trials_json))) {
    EXPECT_EQ(t.at("state"), "COMPLETE");
    auto m = t.at("metrics");
    m.erase("cached");
    m.erase("first_recomputed_node");
    EXPECT_FALSE(out.count(config_key(t))) << "configuration evaluated twice: " << config_key(t);
    out[config_key(t)] = {{"metrics", m}, {"values", t.at("values")}, {"constraints", t.at("constraints")}};
  }
  return out;
}

TEST(SearchStorage, NJobsTwoEqualsSerial) {
  QDSE_REQUIRE_SMALL_SEARCH();
  TempDir dir("qdse_cli_storage");
  const auto cfg = dir.write("tiny.toml", config_text(512));
  auto r = qdse(search_args(cfg, dir.file("a.db"), "serial", dir.file("serial"), "--threads 1 --n-jobs 1"));
  ASSERT_EQ(r.status, 0) << r.err;
  r = qdse(search_args(cfg, dir.file("b.db"), "parallel", dir.file("parallel"), "--threads 1 --n-jobs 2"));
  ASSERT_EQ(r.status, 0) << r.err;
  const auto best = nlohmann::json::parse(read_text(dir.file("parallel/best.json")));
  EXPECT_EQ(best.at("provenance").at("n_jobs"), 2);
  const auto serial = results_by_config(dir.file("serial/trials.json"));
  const auto parallel = results_by_config(dir.file("parallel/trials.json"));
  EXPECT_EQ(serial.size(), static_cast<std::size_t>(kSpaceSize));
  EXPECT_EQ(serial, parallel);
  // Both jobs did work.
  std::set<std::string> workers;
  for (const auto& t : nlohmann::json::parse(read_text(dir.file("parallel/trials.json"))))
    workers.insert(t.at("worker").get<std::string>());
  EXPECT_EQ(workers.size(), 1u);  // one process: one worker name
}

TEST(SearchStorage, StudiesAndTrialsCommands) {
  QDSE_REQUIRE_SMALL_SEARCH();
  TempDir dir("qdse_cli_storage");
  const auto cfg = dir.write("tiny.toml", config_text(128));
  const std::string db = dir.file("s.db");
  ASSERT_EQ(qdse(search_args(cfg, db, "first", dir.file("r1"), "--n-trials 4")).status, 0);
  ASSERT_EQ(qdse(search_args(cfg, db, "second", dir.file("r2"), "--n-trials 7")).status, 0);

  auto r = qdse("studies --storage " + db);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("first"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("second"), std::string::npos) << r.out;
  r = qdse("--json studies --storage sqlite:///" + db);
  ASSERT_EQ(r.status, 0) << r.err;
  const auto studies = nlohmann::json::parse(r.out);
  ASSERT_EQ(studies.size(), 2u);
  EXPECT_EQ(studies[0].at("name"), "first");
  EXPECT_EQ(studies[0].at("n_trials"), 4);
  EXPECT_EQ(studies[0].at("complete"), 4);
  EXPECT_EQ(studies[1].at("n_trials"), 7);
  EXPECT_EQ(studies[1].at("directions"), nlohmann::json({"maximize"}));
  // best_value is the best objective among the trials.
  const auto second = trials_of(db, "second");
  double best = -1e300;
  for (const auto& t : second) best = std::max(best, t.at("values")[0].get<double>());
  EXPECT_DOUBLE_EQ(studies[1].at("best_value").get<double>(), best);

  // CSV: a header and one row per trial, every row as wide as the header.
  r = qdse("trials --storage " + db + " --study second --format csv");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto rows = csv_rows(r.out);
  ASSERT_EQ(rows.size(), 8u);
  EXPECT_EQ(rows[0][0], "number");
  EXPECT_NE(std::find(rows[0].begin(), rows[0].end(), "seq_blocks_1/config/weight_width"), rows[0].end());
  EXPECT_NE(std::find(rows[0].begin(), rows[0].end(), "accuracy"), rows[0].end());
  for (std::size_t i = 1; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].size(), rows[0].size()) << i;
    EXPECT_EQ(rows[i][0], std::to_string(i - 1));
    EXPECT_EQ(rows[i][1], "COMPLETE");
  }
  // JSON to a file, with named params and their chosen values.
  r = qdse("trials --storage " + db + " --study first --format json --out " + dir.file("t.json"));
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(read_text(dir.file("t.json")));
  ASSERT_EQ(j.size(), 4u);
  const auto width = j[0].at("params").at("seq_blocks_1/config/weight_width");
  EXPECT_TRUE(width == 2 || width == 4 || width == 8) << width;
  EXPECT_TRUE(j[0].at("metrics").contains("accuracy"));
  // --json is JSON too; the table names the trials.
  r = qdse("--json trials --storage " + db + " --study first");
  EXPECT_EQ(nlohmann::json::parse(r.out).size(), 4u);
  r = qdse("trials --storage " + db + " --study first");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("COMPLETE"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("seq_blocks_1.weight_width="), std::string::npos) << r.out;
  // Two studies and no --study: a clear error naming them.
  r = qdse("trials --storage " + db);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("first, second"), std::string::npos) << r.err;
  r = qdse("trials --storage " + db + " --study third");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("no study `third`"), std::string::npos) << r.err;
}

TEST(SearchStorage, ResumingWithAnotherSpaceIsAClearError) {
  QDSE_REQUIRE_SMALL_SEARCH();
  TempDir dir("qdse_cli_storage");
  const std::string db = dir.file("s.db");
  const auto cfg = dir.write("tiny.toml", config_text(128));
  ASSERT_EQ(qdse(search_args(cfg, db, "s", dir.file("r1"), "--n-trials 2")).status, 0);
  const auto other = dir.write("other.toml", config_text(128, "[4, 8]"));
  auto r = qdse(search_args(other, db, "s", dir.file("r2"), "--n-trials 2"));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("another search space"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("study `s`"), std::string::npos) << r.err;
  // Scoring differently (another num_samples) is another study too.
  const auto fewer = dir.write("fewer.toml", config_text(64));
  r = qdse(search_args(fewer, db, "s", dir.file("r3"), "--n-trials 2"));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("another search space"), std::string::npos) << r.err;
  EXPECT_EQ(trials_of(db, "s").size(), 2u);  // untouched
}

TEST(SearchStorage, CorruptDatabaseFileIsAClearErrorAndExit1) {
  QDSE_REQUIRE_SMALL_SEARCH();
  TempDir dir("qdse_cli_storage");
  const auto cfg = dir.write("tiny.toml", config_text(128));
  std::string junk(4096, '\0');
  for (std::size_t i = 0; i < junk.size(); ++i) junk[i] = static_cast<char>((i * 7919 + 13) % 251);
  const auto bad = dir.write("bad.db", junk);
  auto r = qdse(search_args(cfg, bad, "s", dir.file("r1"), "--n-trials 2"));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("not an SQLite database"), std::string::npos) << r.err;
  EXPECT_EQ(read_text(bad), junk);  // untouched
  r = qdse("studies --storage " + bad);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("bad.db"), std::string::npos) << r.err;
  // A real study database with its pages damaged.
  const std::string db = dir.file("s.db");
  ASSERT_EQ(qdse(search_args(cfg, db, "s", dir.file("r2"), "--n-trials 3")).status, 0);
  {
    std::fstream f(db, std::ios::in | std::ios::out | std::ios::binary);
    // Page 1 (the schema) stays; every table and index page after it is overwritten.
    f.seekp(4096);
    const std::string garbage(fs::file_size(db) - 4096, '\x5a');
    f.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  fs::remove(db + "-wal");
  fs::remove(db + "-shm");
  r = qdse(search_args(cfg, db, "s", dir.file("r3"), "--n-trials 2"));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("qdse: storage error:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("corrupt"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("s.db"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace qdse::cli
