// Per-trial storage overhead: one create_trial + finish_trial (and one claiming
// try_create_trial + finish_trial) on InMemoryStorage, SqliteStorage (a file under /tmp,
// WAL, synchronous=FULL) and PostgresStorage (a throw-away server this bench starts
// itself, fsync on; skipped with a message if it cannot be started). Also the cost of
// reading a 1000-trial history with trials(), which every ask() pays.
// Time per iteration = time per trial. Study sizes grow during a run; indexes keep both
// calls O(log n), so the numbers compare across commits.
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "../tests/storage/postgres_server.hpp"
#include "qdse/storage/postgres_storage.hpp"
#include "qdse/storage/sqlite_storage.hpp"

namespace {

using namespace qdse;
using qdse::storage::testing::PostgresServer;

const std::vector<search::Direction> kMin = {search::Direction::Minimize};
constexpr const char* kSpace = R"({"bench": true})";

// A fresh SQLite file per benchmark, removed afterwards.
class TempFile {
 public:
  explicit TempFile(const std::string& name)
      : path_("/tmp/qdse_storage_bench_" + std::to_string(getpid()) + "_" + name + ".db") {
    remove();
  }
  ~TempFile() { remove(); }
  const std::string& path() const { return path_; }

 private:
  void remove() {
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + suffix, ec);
  }
  std::string path_;
};

PostgresServer* bench_server() {
  static std::unique_ptr<PostgresServer> server = [] {
    auto s = std::make_unique<PostgresServer>();
    s->start(/*fsync=*/true);
    return s;
  }();
  return server->running() ? server.get() : nullptr;
}

int g_study = 0;  // a new PostgreSQL study per benchmark run

std::unique_ptr<search::Storage> make(const std::string& kind, TempFile& file) {
  if (kind == "memory") return std::make_unique<search::InMemoryStorage>();
  if (kind == "sqlite") return std::make_unique<storage::SqliteStorage>(file.path(), "bench", kSpace, kMin);
  return std::make_unique<storage::PostgresStorage>(bench_server()->url(), "bench" + std::to_string(g_study++), kSpace,
                                                    kMin);
}

bool available(benchmark::State& state, const std::string& kind) {
  if (kind != "postgres" || bench_server()) return true;
  state.SkipWithError(PostgresServer::last_failure().c_str());
  return false;
}

void run_create_finish(benchmark::State& state, const std::string& kind, bool claim) {
  if (!available(state, kind)) return;
  TempFile file(kind + (claim ? "_claim" : "_create"));
  auto s = make(kind, file);
  search::TrialResult r;
  r.values = {0.5};
  r.metrics = {{"accuracy", 0.9}, {"bits", 4.0}};
  double i = 0;
  for (auto _ : state) {
    const search::ParamVector params = {i, 4.0, 8.0, 2.0};
    const int n = claim ? *s->try_create_trial(params, 0.001, "bench") : s->create_trial(params, 0.001, "bench");
    s->finish_trial(n, r);
    i += 1;
  }
  state.SetItemsProcessed(state.iterations());
}

void run_read_history(benchmark::State& state, const std::string& kind) {
  if (!available(state, kind)) return;
  TempFile file(kind + "_read");
  auto s = make(kind, file);
  search::TrialResult r;
  r.values = {0.5};
  for (int i = 0; i < 1000; ++i) s->finish_trial(s->create_trial({static_cast<double>(i), 4.0}), r);
  for (auto _ : state) benchmark::DoNotOptimize(s->trials());
}

void BM_CreateFinish_InMemory(benchmark::State& s) { run_create_finish(s, "memory", false); }
void BM_CreateFinish_Sqlite(benchmark::State& s) { run_create_finish(s, "sqlite", false); }
void BM_CreateFinish_Postgres(benchmark::State& s) { run_create_finish(s, "postgres", false); }
void BM_ClaimFinish_InMemory(benchmark::State& s) { run_create_finish(s, "memory", true); }
void BM_ClaimFinish_Sqlite(benchmark::State& s) { run_create_finish(s, "sqlite", true); }
void BM_ClaimFinish_Postgres(benchmark::State& s) { run_create_finish(s, "postgres", true); }
void BM_ReadHistory1000_InMemory(benchmark::State& s) { run_read_history(s, "memory"); }
void BM_ReadHistory1000_Sqlite(benchmark::State& s) { run_read_history(s, "sqlite"); }
void BM_ReadHistory1000_Postgres(benchmark::State& s) { run_read_history(s, "postgres"); }

BENCHMARK(BM_CreateFinish_InMemory);
BENCHMARK(BM_CreateFinish_Sqlite)->UseRealTime();
BENCHMARK(BM_CreateFinish_Postgres)->UseRealTime();
BENCHMARK(BM_ClaimFinish_InMemory);
BENCHMARK(BM_ClaimFinish_Sqlite)->UseRealTime();
BENCHMARK(BM_ClaimFinish_Postgres)->UseRealTime();
BENCHMARK(BM_ReadHistory1000_InMemory);
BENCHMARK(BM_ReadHistory1000_Sqlite)->UseRealTime();
BENCHMARK(BM_ReadHistory1000_Postgres)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
