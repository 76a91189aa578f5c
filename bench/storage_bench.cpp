// Per-trial storage overhead, all back ends in one run:
//  - BM_StudyTrial/<backend>: what a search pays per trial for its storage: one
//    Study::ask (history read + atomic claim) and one Study::tell (finish), with a
//    random sampler over a space too large to repeat, 500 trials per back end. The
//    InMemory run is the baseline; the summary after the table prints each back end's
//    overhead over it and that overhead as a share of one evaluated trial.
//  - BM_CreateFinish / BM_ClaimFinish: the raw create_trial (or try_create_trial) +
//    finish_trial.
//  - BM_ReadHistory1000: trials() of a 1000-trial study; the SQL back ends re-read only
//    rows that can have changed (src/storage/trial_cache.hpp).
// Back ends: InMemory; SQLite in a file under /tmp (WAL, synchronous=NORMAL, the default,
// and synchronous=FULL); PostgreSQL on a throw-away local server this bench starts itself
// (fsync on; skipped with a message if it cannot be started), with qdse's default session
// (synchronous_commit = off) and with synchronous_commit = on (postgres_full); Optuna's
// journal file (journal: every write appended under the file lock and fsynced).
// The reference trial time (default 8 ms, the fast end of a fmnist-mlp trial on the
// development VM: `qdse search --config configs/fmnist_mlp.toml` reports 8-40 ms) can be
// set with QDSE_TRIAL_MS, e.g. to the mean eval_seconds of your own trials.json.
// Torch-free (links qdse_storage only), so it builds in seconds.
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "../tests/storage/postgres_server.hpp"
#include "qdse/search/random_sampler.hpp"
#include "qdse/search/study.hpp"
#include "qdse/storage/journal_storage.hpp"
#include "qdse/storage/postgres_storage.hpp"
#include "qdse/storage/sqlite_storage.hpp"

namespace {

using namespace qdse;
using qdse::storage::testing::PostgresServer;

const std::vector<search::Direction> kMin = {search::Direction::Minimize};
constexpr const char* kSpace = R"({"bench": true})";
constexpr int kStudyTrials = 500;

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

std::shared_ptr<search::Storage> make(const std::string& kind, TempFile& file) {
  if (kind == "memory") return std::make_shared<search::InMemoryStorage>();
  if (kind == "journal") return std::make_shared<storage::JournalStorage>(file.path(), "bench", kSpace, kMin);
  if (kind == "sqlite") return std::make_shared<storage::SqliteStorage>(file.path(), "bench", kSpace, kMin);
  if (kind == "sqlite_full")
    return std::make_shared<storage::SqliteStorage>(file.path(), "bench", kSpace, kMin, storage::SqliteOptions{true});
  // postgres: the default session (synchronous_commit = off); postgres_full: fsync per commit.
  const std::string url = bench_server()->url() + (kind == "postgres_full" ? "?options=-csynchronous_commit%3Don" : "");
  return std::make_shared<storage::PostgresStorage>(url, "bench" + std::to_string(g_study++), kSpace, kMin);
}

bool available(benchmark::State& state, const std::string& kind) {
  if (kind.rfind("postgres", 0) != 0 || bench_server()) return true;
  state.SkipWithError(PostgresServer::last_failure().c_str());
  return false;
}

void run_study_trial(benchmark::State& state, const std::string& kind) {
  if (!available(state, kind)) return;
  TempFile file(kind + "_study");
  const search::SearchSpace space({{"a", search::IntDistribution{0, 999, 1}},
                                   {"b", search::IntDistribution{0, 999, 1}},
                                   {"c", search::IntDistribution{0, 999, 1}}});
  search::Study study(space, kMin, make(kind, file), std::make_unique<search::RandomSampler>(1), "bench");
  const std::map<std::string, double> metrics = {{"accuracy", 0.9}, {"average_bitwidth", 4.5}, {"bitops", 1e6},
                                                 {"loss", 0.3},     {"model_size_bytes", 1e5}, {"cached", 0}};
  for (auto _ : state) {
    const auto t = study.ask();
    study.tell(t->number, {t->params[0]}, {-0.1}, metrics, search::TrialState::Complete, 0.01);
  }
  state.SetItemsProcessed(state.iterations());
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

const char* kKinds[] = {"memory", "sqlite", "sqlite_full", "journal", "postgres", "postgres_full"};

void register_all() {
  for (const char* kind : kKinds) {
    const std::string k = kind;
    benchmark::RegisterBenchmark(("BM_StudyTrial/" + k).c_str(), [k](benchmark::State& s) { run_study_trial(s, k); })
        ->Iterations(kStudyTrials)
        ->Unit(benchmark::kMicrosecond)
        ->UseRealTime();
  }
  for (const char* kind : kKinds) {
    const std::string k = kind;
    benchmark::RegisterBenchmark(("BM_CreateFinish/" + k).c_str(),
                                 [k](benchmark::State& s) { run_create_finish(s, k, false); })
        ->Unit(benchmark::kMicrosecond)
        ->UseRealTime();
    benchmark::RegisterBenchmark(("BM_ClaimFinish/" + k).c_str(),
                                 [k](benchmark::State& s) { run_create_finish(s, k, true); })
        ->Unit(benchmark::kMicrosecond)
        ->UseRealTime();
    benchmark::RegisterBenchmark(("BM_ReadHistory1000/" + k).c_str(),
                                 [k](benchmark::State& s) { run_read_history(s, k); })
        ->Unit(benchmark::kMicrosecond)
        ->UseRealTime();
  }
}

// The console table, plus the per-trial times of BM_StudyTrial for the summary.
class Reporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const auto& run : runs) {
      const std::string name = run.benchmark_name();
      if (run.error_occurred || name.rfind("BM_StudyTrial/", 0) != 0 || run.iterations == 0) continue;
      std::string kind = name.substr(std::string("BM_StudyTrial/").size());
      kind = kind.substr(0, kind.find('/'));
      per_trial_us[kind] = run.real_accumulated_time / static_cast<double>(run.iterations) * 1e6;
      cpu_us[kind] = run.cpu_accumulated_time / static_cast<double>(run.iterations) * 1e6;
    }
  }
  std::map<std::string, double> per_trial_us;  // wall time
  std::map<std::string, double> cpu_us;        // this process's CPU time (not the PostgreSQL server's)
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  register_all();
  Reporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  const auto& t = reporter.per_trial_us;
  if (!t.count("memory")) return 0;
  const char* env = std::getenv("QDSE_TRIAL_MS");
  const double trial_ms = env ? std::atof(env) : 8.0;
  std::printf("\nStorage overhead per trial (Study::ask + tell, %d trials each), against a %.3g ms trial%s:\n",
              kStudyTrials, trial_ms, env ? " (QDSE_TRIAL_MS)" : " (fast end of fmnist-mlp; set QDSE_TRIAL_MS)");
  std::printf("  %-14s %12s %14s %12s %14s\n", "backend", "per trial", "over memory", "of a trial", "client CPU");
  for (const char* kind : kKinds) {
    if (!t.count(kind)) continue;
    const double over = t.at(kind) - t.at("memory");
    std::printf("  %-14s %9.1f us %11.1f us %11.2f%% %11.1f us\n", kind, t.at(kind), over, over / (trial_ms * 10.0),
                reporter.cpu_us.at(kind));
  }
  return 0;
}
