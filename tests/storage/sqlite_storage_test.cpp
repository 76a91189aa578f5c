// SqliteStorage: create/load, several studies per file, row validation, and refusal of
// foreign, corrupt, truncated and other-version files (left byte-identical).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include "qdse/core/error.hpp"
#include "qdse/storage/sqlite_storage.hpp"
#include "sqlite_sql.hpp"
#include "storage_test_util.hpp"

namespace qdse::storage::testing {
namespace {

using search::Direction;
using search::TrialResult;
using search::TrialState;

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

// Runs SQL on a file with the raw SQLite API (to forge foreign or damaged databases).
void raw_sql(const std::string& path, const std::string& sql) { sqlite_exec(path, sql); }

// Expects opening `path` to throw a Storage error naming the file and containing `needle`.
void expect_sqlite_refused(const std::string& path, const std::string& needle) {
  const std::string err = storage_error_of([&] { SqliteStorage s(path, "study", kSpaceJson, kMin); });
  EXPECT_NE(err.find(path), std::string::npos) << "opening " << path << ": " << err;
  EXPECT_NE(err.find(needle), std::string::npos) << "opening " << path << ": " << err;
}

TEST(SqliteStorage, TrialsSurviveReopening) {
  TempDir dir;
  const auto path = dir.file("s.db");
  {
    SqliteStorage s(path, "study", kSpaceJson, kMin);
    EXPECT_EQ(s.create_trial({0, 1, 10}, 0.5, "host:1"), 0);
    EXPECT_EQ(s.create_trial({1, 2, 11}), 1);
    TrialResult r;
    r.values = {3.25};
    r.constraints = {-1.0};
    r.metrics = {{"accuracy", 0.75}, {"odd \"name\"", -2.5}};
    r.eval_seconds = 7.5;
    s.finish_trial(0, r);
    TrialResult nan;
    nan.state = TrialState::Failed;
    nan.values = {std::nan("")};
    s.finish_trial(1, nan);
  }
  // The same space spelled differently (whitespace, key order) is the same study.
  SqliteStorage s(path, "study", R"({"c":[10,14],"b":[0,3],"a":["x","y","z"]})", kMin);
  auto all = s.trials();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].state, TrialState::Complete);
  EXPECT_EQ(all[0].params, (search::ParamVector{0, 1, 10}));
  EXPECT_EQ(all[0].values, (std::vector<double>{3.25}));
  EXPECT_EQ(all[0].constraints, (std::vector<double>{-1.0}));
  EXPECT_EQ(all[0].metrics.at("odd \"name\""), -2.5);
  EXPECT_EQ(all[0].metrics.at("accuracy"), 0.75);
  EXPECT_EQ(all[0].eval_seconds, 7.5);
  EXPECT_EQ(all[0].sample_seconds, 0.5);
  EXPECT_EQ(all[0].worker, "host:1");
  EXPECT_EQ(all[1].state, TrialState::Failed);
  ASSERT_EQ(all[1].values.size(), 1u);
  EXPECT_TRUE(std::isnan(all[1].values[0]));
  EXPECT_EQ(s.create_trial({2, 3, 14}), 2);  // numbering continues
  EXPECT_EQ(s.integrity_check(), "ok");
  EXPECT_EQ(s.directions(), kMin);
}

TEST(SqliteStorage, LoadOnlyNeedsAnExistingStudy) {
  TempDir dir;
  const auto path = dir.file("s.db");
  { SqliteStorage s(path, "first", kSpaceJson, kMin); }
  SqliteStorage loaded(path, "first");
  EXPECT_EQ(loaded.space_json(), R"({"a":["x","y","z"],"b":[0,3],"c":[10,14]})");
  const std::string err = storage_error_of([&] { SqliteStorage missing(path, "second"); });
  EXPECT_NE(err.find("no study `second`"), std::string::npos) << err;
  EXPECT_NE(err.find("first"), std::string::npos) << err;  // lists what exists
}

TEST(SqliteStorage, AnotherSpaceOrDirectionIsAClearError) {
  TempDir dir;
  const auto path = dir.file("s.db");
  { SqliteStorage s(path, "study", kSpaceJson, kMin); }
  const std::string err = storage_error_of([&] { SqliteStorage s(path, "study", R"({"a": ["x"]})", kMin); });
  EXPECT_NE(err.find("another search space"), std::string::npos) << err;
  EXPECT_NE(err.find(path), std::string::npos) << err;
  try {
    SqliteStorage s(path, "study", kSpaceJson, {Direction::Maximize});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("directions"), std::string::npos) << e.what();
  }
  EXPECT_THROW(SqliteStorage(path, "other", "{not json", kMin), Error);
}

TEST(SqliteStorage, OneFileHoldsSeveralStudies) {
  TempDir dir;
  const auto path = dir.file("s.db");
  SqliteStorage a(path, "a", kSpaceJson, kMin);
  SqliteStorage b(path, "b", "[1]", {Direction::Maximize, Direction::Minimize});
  EXPECT_EQ(a.create_trial({1}), 0);
  EXPECT_EQ(a.create_trial({2}), 1);
  EXPECT_EQ(b.create_trial({1}), 0);  // numbers and claims are per study
  EXPECT_EQ(b.try_create_trial({2}), std::optional<int>(1));
  TrialResult done;
  done.values = {1.0};
  a.finish_trial(0, done);
  TrialResult pruned;
  pruned.state = TrialState::Pruned;
  b.finish_trial(1, pruned);
  const auto studies = SqliteStorage::list_studies(path);
  ASSERT_EQ(studies.size(), 2u);
  EXPECT_EQ(studies[0].name, "a");
  EXPECT_EQ(studies[0].directions, kMin);
  EXPECT_EQ(studies[0].n_complete, 1);
  EXPECT_EQ(studies[0].n_running, 1);
  EXPECT_EQ(studies[0].n_trials(), 2);
  EXPECT_FALSE(studies[0].created_time.empty());
  EXPECT_EQ(studies[1].name, "b");
  EXPECT_EQ(studies[1].directions, (std::vector<Direction>{Direction::Maximize, Direction::Minimize}));
  EXPECT_EQ(studies[1].n_pruned, 1);
  EXPECT_EQ(studies[1].n_running, 1);
}

TEST(SqliteStorage, ZeroLengthFileIsANewDatabase) {
  TempDir dir;
  const auto path = dir.file("empty.db");
  write_bytes(path, "");
  SqliteStorage s(path, "study", kSpaceJson, kMin);
  EXPECT_EQ(s.n_trials(), 0);
}

TEST(SqliteStorage, RandomBytesAreRefusedUntouched) {
  TempDir dir;
  const auto path = dir.file("random.db");
  std::mt19937 rng(42);
  std::string bytes(8192, '\0');
  for (auto& c : bytes) c = static_cast<char>(rng());
  write_bytes(path, bytes);
  expect_sqlite_refused(path, "not an SQLite database");
  EXPECT_EQ(read_bytes(path), bytes);
  write_bytes(path, "hello");  // too short to be SQLite
  expect_sqlite_refused(path, "not an SQLite database");
}

TEST(SqliteStorage, TruncatedDatabaseIsRefused) {
  TempDir dir;
  const auto path = dir.file("trunc.db");
  {
    SqliteStorage s(path, "study", kSpaceJson, kMin);
    // Enough rows for many pages (a long worker name per row).
    for (int i = 0; i < 300; ++i) s.create_trial({static_cast<double>(i)}, 0.0, std::string(200, 'w'));
  }
  const std::string full = read_bytes(path);
  ASSERT_GT(full.size(), 16u * 4096u);
  const std::string half = full.substr(0, full.size() / 2);
  write_bytes(path, half);
  expect_sqlite_refused(path, "corrupt");
  EXPECT_EQ(read_bytes(path), half);
}

TEST(SqliteStorage, ForeignDatabaseIsRefusedUntouched) {
  TempDir dir;
  const auto path = dir.file("foreign.db");
  raw_sql(path, "CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users VALUES (1, 'ann');");
  const std::string before = read_bytes(path);
  expect_sqlite_refused(path, "another program");
  EXPECT_EQ(read_bytes(path), before);
  // A table named like ours is not enough either.
  raw_sql(path, "CREATE TABLE trials(x INTEGER);");
  expect_sqlite_refused(path, "no qdse_meta");
}

TEST(SqliteStorage, OtherSchemaVersionIsRefusedUntouched) {
  TempDir dir;
  const auto path = dir.file("v999.db");
  { SqliteStorage s(path, "study", kSpaceJson, kMin); }
  raw_sql(path, "UPDATE qdse_meta SET value = '999' WHERE key = 'schema_version';");
  const std::string before = read_bytes(path);
  expect_sqlite_refused(path, "schema version 999");
  EXPECT_EQ(read_bytes(path), before);
  EXPECT_THROW(SqliteStorage::list_studies(path), Error);
}

TEST(SqliteStorage, DamagedRowsAreStorageErrorsNamingStudyAndTrial) {
  TempDir dir;
  const auto path = dir.file("rows.db");
  SqliteStorage s(path, "study", kSpaceJson, kMin);
  s.create_trial({1});
  s.create_trial({2});
  raw_sql(path, "UPDATE trials SET state = 'exploded' WHERE number = 1;");
  const std::string msg = storage_error_of([&] { s.trials(); });
  EXPECT_NE(msg.find("study `study`"), std::string::npos) << msg;
  EXPECT_NE(msg.find("trial 1"), std::string::npos) << msg;
  EXPECT_NE(msg.find("exploded"), std::string::npos) << msg;
  EXPECT_NO_THROW(s.trial(0));
  raw_sql(path, "UPDATE trials SET state = 'running', params_json = '[1,' WHERE number = 1;");
  EXPECT_THROW(s.trial(1), Error);
  raw_sql(path, "UPDATE trials SET params_json = '[1]', metrics_json = '[]' WHERE number = 1;");
  EXPECT_THROW(s.trial(1), Error);
  raw_sql(path, "UPDATE trials SET metrics_json = '{}', sample_seconds = 'soon' WHERE number = 1;");
  EXPECT_THROW(s.trial(1), Error);
}

TEST(SqliteStorage, UnopenablePathsAreStorageErrors) {
  TempDir dir;
  EXPECT_THROW(SqliteStorage(dir.path(), "study", kSpaceJson, kMin), Error);  // a directory
  EXPECT_THROW(SqliteStorage(dir.file("no/such/dir/s.db"), "study", kSpaceJson, kMin), Error);
  EXPECT_THROW(SqliteStorage::list_studies(dir.file("absent.db")), Error);
}

}  // namespace
}  // namespace qdse::storage::testing
