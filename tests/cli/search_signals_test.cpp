// Stopping a search (issue 13, item 7): SIGINT (Ctrl-C) and SIGTERM (Slurm, Docker,
// kill) both stop after the trials in flight, write trials.json, best.json and the
// report, and exit 128 + the signal (130, 143), so scripts can tell the run was stopped.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "qdse/storage/open_storage.hpp"
#include "small_search.hpp"

extern char** environ;

namespace qdse::cli {
namespace {

namespace fs = std::filesystem;
using namespace qdse::testing;

// Raw wait status of `qdse` run with `args` after `sig` was sent once the study holds
// a few finished trials (the search is then surely inside its loop).
int stopped_search_status(const fs::path& dir, int sig) {
  const auto cfg = dir / "search.toml", run = dir / "run";
  SmallSearch s;
  s.sampler = "random";  // 36 configurations, repeats answered from cache: runs until stopped
  write_text(cfg, s.toml());
  std::vector<std::string> args = {QDSE_BINARY, "-q", "search", "--config", cfg.string(),
                                   "--load", small_search_weights(), "--n-trials", "1000000",
                                   "--study", "s", "--out", run.string()};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  const std::string log = (dir / "log.txt").string();
  posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  pid_t pid = -1;
  const int spawned = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (spawned != 0) return -1;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid, &status, WNOHANG) == pid) return status;  // ended by itself: a failure
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    if (!fs::exists(run / "study.db")) continue;
    try {
      if (storage::open_storage((run / "study.db").string(), "s")->n_trials() >= 20) break;
    } catch (const std::exception&) {  // not created yet
    }
  }
  kill(pid, sig);
  waitpid(pid, &status, 0);
  return status;
}

void expect_stopped_with_outputs(int sig, int code) {
  QDSE_REQUIRE_SMALL_SEARCH();
  const auto dir = scratch_dir("signal-" + std::to_string(sig));
  const int status = stopped_search_status(dir, sig);
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << (WIFSIGNALED(status) ? WTERMSIG(status) : 0) << "\n"
                                 << read_text(dir / "log.txt");
  EXPECT_EQ(WEXITSTATUS(status), code) << read_text(dir / "log.txt");
  ASSERT_TRUE(fs::exists(dir / "run" / "trials.json"));
  ASSERT_TRUE(fs::exists(dir / "run" / "best.json"));
  const auto best = nlohmann::json::parse(read_text(dir / "run" / "best.json"));
  EXPECT_TRUE(best.at("summary").at("interrupted").get<bool>());
  EXPECT_GE(nlohmann::json::parse(read_text(dir / "run" / "trials.json")).size(), 20u);
  EXPECT_TRUE(fs::exists(dir / "run" / "report" / "index.html") ||
              read_text(dir / "log.txt").find("no report written") != std::string::npos);
  fs::remove_all(dir);
}

TEST(SearchSignals, SigintWritesOutputsAndExits130) { expect_stopped_with_outputs(SIGINT, 130); }

TEST(SearchSignals, SigtermWritesOutputsAndExits143) { expect_stopped_with_outputs(SIGTERM, 143); }

}  // namespace
}  // namespace qdse::cli
