// export_to_journal (`qdse export-study`): an SQLite and a PostgreSQL study with every
// kind of trial written as an Optuna journal reads back through JournalStorage as the same study
// (every FrozenTrial field, retry_of, the summary), keeps its claims (a resumed worker
// cannot re-claim a configuration, not even the one a retry took over), and bad
// targets are refused without touching them.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "../support/errors.hpp"
#include "../support/prerequisites.hpp"
#include "mixed_study.hpp"
#include "postgres_server.hpp"
#include "qdse/storage/journal_export.hpp"
#include "qdse/storage/journal_storage.hpp"
#include "qdse/storage/open_storage.hpp"
#include "qdse/storage/postgres_storage.hpp"
#include "qdse/storage/sqlite_storage.hpp"
#include "storage_test_util.hpp"

namespace qdse::storage::testing {
namespace {

using qdse::testing::error_of;
using search::FrozenTrial;

std::string file_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Equal doubles, NaN equal to NaN (a Failed trial's value).
void expect_same_doubles(const std::vector<double>& a, const std::vector<double>& b, const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::isnan(a[i])) EXPECT_TRUE(std::isnan(b[i])) << what << "[" << i << "]";
    else EXPECT_EQ(a[i], b[i]) << what << "[" << i << "]";
  }
}

void expect_same_trial(const FrozenTrial& a, const FrozenTrial& b) {
  SCOPED_TRACE("trial " + std::to_string(a.number));
  EXPECT_EQ(a.number, b.number);
  EXPECT_EQ(a.state, b.state);
  EXPECT_EQ(a.params, b.params);
  expect_same_doubles(a.values, b.values, "values");
  EXPECT_EQ(a.constraints, b.constraints);
  ASSERT_EQ(a.metrics.size(), b.metrics.size());
  for (const auto& [k, v] : a.metrics) expect_same_doubles({v}, {b.metrics.at(k)}, k);
  EXPECT_EQ(a.sample_seconds, b.sample_seconds);
  EXPECT_EQ(a.eval_seconds, b.eval_seconds);
  EXPECT_EQ(a.start_time, b.start_time);
  EXPECT_EQ(a.end_time, b.end_time);
  EXPECT_EQ(a.worker, b.worker);
}

// Exports the only study of `url` (fill_mixed_study'd through `source`) into `path` and
// checks that the export is the same study, claims included.
void expect_faithful_export(const search::Storage& source, const std::string& url, const std::string& path) {
  const auto done = export_to_journal(url, "", path, false);  // the only study
  EXPECT_EQ(done.study, "mixed");
  EXPECT_EQ(done.n_trials, 8);

  JournalStorage exported(path, "mixed", "", {}, /*read_only=*/true);
  const auto want = source.trials(), got = exported.trials();
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t k = 0; k < want.size(); ++k) {
    expect_same_trial(want[k], got[k]);
    EXPECT_EQ(source.retry_of(want[k].number), exported.retry_of(got[k].number));
  }
  EXPECT_EQ(exported.retry_of(6), std::optional<int>(5));
  const auto src_sum = list_studies(url), exp_sum = JournalStorage::list_studies(path);
  ASSERT_EQ(exp_sum.size(), 1u);
  EXPECT_EQ(exp_sum[0].directions, src_sum[0].directions);
  EXPECT_EQ(exp_sum[0].created_time, src_sum[0].created_time);
  EXPECT_EQ(exp_sum[0].space_json, src_sum[0].space_json);
  EXPECT_EQ(exp_sum[0].n_running, 1);
  EXPECT_EQ(exp_sum[0].n_complete, 4);
  EXPECT_EQ(exp_sum[0].n_failed, 2);
  EXPECT_EQ(exp_sum[0].n_pruned, 1);

  // Claims: every configuration of the export is held, the retried one by its retry.
  JournalStorage resumed(path, "mixed", kMixedSpace, kMixedDirections);
  for (const auto& t : want) EXPECT_FALSE(resumed.try_create_trial(t.params).has_value()) << "trial " << t.number;
  EXPECT_EQ(resumed.try_create_trial({1, 0, 3, 0.02}), std::optional<int>(8));
}

TEST(JournalExport, EveryTrialFieldAndClaimOfAnSqliteStudySurvives) {
  TempDir dir;
  const std::string db = dir.file("study.db");
  SqliteStorage source(db, "mixed", kMixedSpace, kMixedDirections);
  fill_mixed_study(source);
  expect_faithful_export(source, "sqlite:///" + db, dir.file("export.log"));
}

TEST(JournalExport, EveryTrialFieldAndClaimOfAPostgresStudySurvives) {
  PostgresServer* server = PostgresServer::shared();
  QDSE_REQUIRE(server, PostgresServer::shared_failure());
  TempDir dir;
  const std::string url = server->create_database("t_journal_export");
  PostgresStorage source(url, "mixed", kMixedSpace, kMixedDirections);
  fill_mixed_study(source);
  expect_faithful_export(source, url, dir.file("export.log"));
}

TEST(JournalExport, RefusesTargetsThatWouldLoseData) {
  TempDir dir;
  const std::string db = dir.file("study.db"), path = dir.file("export.log");
  SqliteStorage source(db, "mixed", kMixedSpace, kMixedDirections);
  fill_mixed_study(source);
  // A non-empty file: refused, unchanged; replaced with force.
  std::ofstream(path) << "keep me\n";
  EXPECT_NE(error_of([&] { export_to_journal(db, "mixed", path, false); }).find("give --force"), std::string::npos);
  EXPECT_EQ(file_text(path), "keep me\n");
  EXPECT_FALSE(std::filesystem::exists(path + ".lock"));
  export_to_journal(db, "mixed", path, true);
  EXPECT_EQ(JournalStorage(path, "mixed", "", {}, true).n_trials(), 8);
  // An empty file is no data: written without force.
  const std::string empty = dir.file("empty.log");
  std::ofstream{empty};
  EXPECT_EQ(export_to_journal(db, "mixed", empty, false).n_trials, 8);
  // A directory, an unknown study: refused naming them.
  EXPECT_NE(error_of([&] { export_to_journal(db, "mixed", dir.path(), true); }).find("is a directory"),
            std::string::npos);
  const std::string unknown = error_of([&] { export_to_journal(db, "nope", dir.file("x.log"), false); });
  EXPECT_NE(unknown.find("no study `nope`"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("mixed"), std::string::npos) << unknown;
  EXPECT_FALSE(std::filesystem::exists(dir.file("x.log")));
}

}  // namespace
}  // namespace qdse::storage::testing
