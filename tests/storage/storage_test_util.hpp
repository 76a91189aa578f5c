// Helpers shared by the storage tests: temp dirs, the 3x4x5 brute-force space, a
// claiming brute-force worker loop, and fork helpers for multi-process tests.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "qdse/core/error.hpp"
#include "qdse/search/brute_force_sampler.hpp"
#include "qdse/search/space.hpp"
#include "qdse/search/storage.hpp"

namespace qdse::storage::testing {

// A fresh directory removed on destruction (only by the process that made it).
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/qdse_storage_test_XXXXXX";
    path_ = mkdtemp(tmpl) ? tmpl : "";
    owner_ = getpid();
  }
  ~TempDir() {
    if (getpid() != owner_ || path_.empty()) return;
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  pid_t owner_ = -1;
};

// 3 x 4 x 5 = 60 configurations.
inline search::SearchSpace space_3x4x5() {
  using namespace search;
  return SearchSpace({{"a", CategoricalDistribution{{"x", "y", "z"}, {}, false}},
                      {"b", IntDistribution{0, 3, 1}},
                      {"c", IntDistribution{10, 14, 1}}});
}
// The message of the qdse::Error that `fn` throws, expected to be a Storage error; a test
// failure and "" when it throws none (another exception propagates and fails the test).
inline std::string storage_error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Storage) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no qdse::Error was thrown";
  return "";
}

// One objective, minimized: the directions of every study these tests create.
inline const std::vector<search::Direction> kMin = {search::Direction::Minimize};
// The space description stored with the study (any JSON; qdse's CLI writes its own).
inline const char* kSpaceJson = R"({"a": ["x", "y", "z"], "b": [0, 3], "c": [10, 14]})";

// Objective of a configuration: its mixed-radix index, so each value identifies it.
inline double objective(const search::SearchSpace& space, const search::ParamVector& p) {
  return static_cast<double>(search::config_index(space, p));
}

// Claims and evaluates configurations until the brute-force sampler is exhausted (a
// lost claim just asks again) or `max_trials` were finished; `after_finish` runs after
// each finish (progress reports). Returns the finished trial numbers.
inline std::vector<int> run_brute_force(search::Storage& storage, const search::SearchSpace& space,
                                        const std::string& worker, int max_trials = -1,
                                        const std::function<void(int)>& after_finish = {}) {
  search::BruteForceSampler sampler;
  const std::vector<search::Direction> dirs = {search::Direction::Minimize};
  std::vector<int> done;
  while (max_trials < 0 || static_cast<int>(done.size()) < max_trials) {
    auto params = sampler.ask(space, dirs, storage.trials());
    if (!params) break;
    auto number = storage.try_create_trial(*params, 0.0, worker);
    if (!number) continue;  // another worker holds it
    search::TrialResult r;
    r.values = {objective(space, *params)};
    storage.finish_trial(*number, r);
    done.push_back(*number);
    if (after_finish) after_finish(*number);
  }
  return done;
}

// Runs `body` in a forked child; the child exits with body's return code through _exit
// (no static destructors: they would touch the parent's server and files).
inline pid_t fork_child(const std::function<int()>& body) {
  const pid_t pid = fork();
  if (pid == 0) {
    int rc = 1;
    try {
      rc = body();
    } catch (const std::exception& e) {
      fprintf(stderr, "child %d: %s\n", getpid(), e.what());
      rc = 2;
    } catch (...) {
      rc = 3;
    }
    _exit(rc);
  }
  return pid;
}

// Exit code of a child (-1 if it did not exit normally).
inline int wait_child(pid_t pid) {
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Checks a finished brute-force study: one Complete trial per configuration and its
// value is the configuration's index. Returns "" when correct, else what is wrong.
inline std::string check_exactly_once(const search::SearchSpace& space, const std::vector<search::FrozenTrial>& trials) {
  const auto n = static_cast<std::size_t>(*space.size());
  std::vector<int> complete(n, 0);
  for (const auto& t : trials) {
    if (t.state != search::TrialState::Complete) continue;
    const auto i = search::config_index(space, t.params);
    ++complete[i];
    if (t.values != std::vector<double>{static_cast<double>(i)}) return "trial " + std::to_string(t.number) + " has a wrong value";
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (complete[i] != 1) {
      return "configuration " + std::to_string(i) + " completed " + std::to_string(complete[i]) + " times";
    }
  }
  return "";
}

// A fresh storage of type S (constructed from a file path, as SQLite and journal storages
// are) for the contract suites: one temp dir per type, a new file per call.
template <class S>
std::shared_ptr<search::Storage> fresh_file_storage(const std::string& extension) {
  static TempDir dir;
  static std::atomic<int> counter{0};
  return std::make_shared<S>(dir.file("contract" + std::to_string(counter++) + extension), "contract", kSpaceJson,
                             kMin);
}

// 3 threads, each with its own connection from `open`, finish the 3x4x5 space: every
// configuration evaluated exactly once, lost claims write nothing.
inline void threads_finish_space(const std::function<std::shared_ptr<search::Storage>()>& open) {
  const auto space = space_3x4x5();
  std::vector<std::thread> threads;
  std::vector<std::string> errors(3);
  for (int w = 0; w < 3; ++w) {
    threads.emplace_back([&, w] {
      try {
        auto storage = open();  // one connection per thread
        run_brute_force(*storage, space, "thread" + std::to_string(w));
      } catch (const std::exception& e) {
        errors[w] = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& e : errors) EXPECT_EQ(e, "");
  const auto trials = open()->trials();
  EXPECT_EQ(trials.size(), 60u);
  EXPECT_EQ(check_exactly_once(space, trials), "");
}

}  // namespace qdse::storage::testing
