// Rows checked against their study (docs/storage.md "Rows are untrusted"): with qdse
// search's space description, a categorical index out of range, a fractional or
// negative index, a wrong number of params, a Complete trial without one finite value
// per direction, a NaN constraint or a negative time is Error(Storage) naming the study,
// the trial and the column, on every read path. And read-only opening
// (SqliteOptions::read_only): a WAL study in a directory the reader cannot write is
// read without creating -wal/-shm files, and one whose WAL holds commits that cannot be
// read there is a clear error.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "qdse/core/error.hpp"
#include "qdse/storage/open_storage.hpp"
#include "qdse/storage/sqlite_storage.hpp"
#include "sqlite_sql.hpp"
#include "storage_test_util.hpp"

namespace qdse::storage::testing {
namespace {

namespace fs = std::filesystem;
using search::Direction;

// qdse search's form: names and choices (or a distribution) per param.
constexpr const char* kQdseSpace =
    R"({"kind":"qdse mixed_precision_ptq","params":[{"name":"fc1/weight_width","choices":[2,4,8]},)"
    R"({"name":"fc1/name","choices":["integer"]},{"name":"lr","distribution":"float[0.1, 1]"}]})";

// A study of two trials: 0 Complete, 1 Complete; `damage` is applied to trial 1.
std::string study_with_damage(const TempDir& dir, const std::string& name, const std::string& damage) {
  const auto path = dir.file(name + ".db");
  {
    SqliteStorage s(path, "s", kQdseSpace, {Direction::Maximize});
    search::TrialResult r;
    r.values = {0.5};
    r.constraints = {-1};
    s.finish_trial(s.create_trial({2, 0, 0.25}), r);
    s.finish_trial(s.create_trial({1, 0, 0.5}), r);
  }
  sqlite_exec(path, "UPDATE trials SET " + damage + " WHERE number = 1");
  return path;
}

struct Damage {
  const char* set;
  const char* column;
  const char* says;
};

const Damage kDamages[] = {
    {"params_json = '[3,0,0.5]'", "params_json", "`fc1/weight_width`"},       // index past the 3 choices
    {"params_json = '[-1,0,0.5]'", "params_json", "not an index"},            // negative
    {"params_json = '[1.5,0,0.5]'", "params_json", "not an index"},           // fractional
    {"params_json = '[1,1,0.5]'", "params_json", "`fc1/name`"},               // one choice only
    {"params_json = '[1,0]'", "params_json", "3 params"},                     // too few values
    {"params_json = '[\"a\",0,0.5]'", "params_json", "where a number"},       // wrong type
    {"params_json = '[1,0,\"NaN\"]'", "params_json", "non-finite"},           // NaN param
    {"values_json = '[\"NaN\"]'", "values_json", "non-finite"},               // NaN objective, Complete
    {"values_json = '[]'", "values_json", "1-objective"},                     // no objective, Complete
    {"values_json = '[1,2]'", "values_json", "1-objective"},                  // two objectives
    {"constraints_json = '[\"NaN\"]'", "constraints_json", "NaN"},            // NaN constraint
    {"eval_seconds = -3", "eval_seconds", ">= 0"},                            // negative time
};

void expect_row_error(const std::function<void()>& read, const Damage& d) {
  try {
    read();
    ADD_FAILURE() << d.set << ": no error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_EQ(e.kind(), ErrorKind::Storage) << msg;
    EXPECT_NE(msg.find("study `s`"), std::string::npos) << msg;
    EXPECT_NE(msg.find(", trial 1"), std::string::npos) << msg;
    EXPECT_NE(msg.find(std::string("column `") + d.column + "`"), std::string::npos) << msg;
    EXPECT_NE(msg.find(d.says), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
}

TEST(StudyRows, DamagedRowsAreErrorsNamingStudyTrialAndColumn) {
  TempDir dir;
  int i = 0;
  for (const auto& d : kDamages) {
    const auto path = study_with_damage(dir, "d" + std::to_string(i++), d.set);
    SqliteStorage s(path, "s", kQdseSpace, {Direction::Maximize});
    expect_row_error([&] { s.trials(); }, d);
    expect_row_error([&] { s.trial(1); }, d);
    EXPECT_NO_THROW(s.trial(0));
    // A read command's path (qdse trials) and the resume path (trials_since).
    expect_row_error([&] { open_storage_read_only("sqlite:///" + path, "s")->trials(); }, d);
    expect_row_error([&] { SqliteStorage(path, "s", kQdseSpace, {Direction::Maximize}).trials_since(0, {}); }, d);
  }
}

TEST(StudyRows, ValidRowsOfQdseSpacesStillRead) {
  TempDir dir;
  const auto path = study_with_damage(dir, "ok", "state = 'failed', values_json = '[\"NaN\"]'");  // a Failed NaN is fine
  SqliteStorage s(path, "s", kQdseSpace, {Direction::Maximize});
  ASSERT_EQ(s.trials().size(), 2u);
  EXPECT_EQ(s.trials()[1].state, search::TrialState::Failed);
}

std::string bytes_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs `body` in a child that cannot write `dir`: as root, the child drops to the
// user `nobody` (root ignores permissions); otherwise permissions suffice. Returns the
// child's exit code, or -2 when the privileges could not be dropped.
int without_write_permission(const std::string& dir, const std::function<int()>& body) {
  chmod(dir.c_str(), 0555);
  const pid_t pid = fork_child([&] {
    if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) return 100;
    return body();
  });
  const int rc = wait_child(pid);
  chmod(dir.c_str(), 0755);
  return rc == 100 ? -2 : rc;
}

TEST(ReadOnlyOpen, WalStudyInAnUnwritableDirectoryIsReadWithoutSideFiles) {
  TempDir dir;
  const auto path = dir.file("ro.db");
  {
    SqliteStorage s(path, "s", kQdseSpace, {Direction::Maximize});
    search::TrialResult r;
    r.values = {0.75};
    s.finish_trial(s.create_trial({1, 0, 0.5}), r);
  }  // a clean close checkpoints and removes -wal and -shm
  ASSERT_FALSE(fs::exists(path + "-wal"));
  const std::string before = bytes_of(path);
  // The permission part first (a reader in a writable directory may leave SQLite's
  // usual -shm/-wal files behind): a reader that cannot write the directory.
  const int rc = without_write_permission(dir.path(), [&] {
    if (access(dir.path().c_str(), W_OK) == 0) return 10;  // still writable: not a real check
    if (list_studies("sqlite:///" + path).size() != 1) return 11;
    if (open_storage_read_only("sqlite:///" + path, "s")->trials().size() != 1) return 12;
    return 0;
  });
  if (rc != -2) {
    EXPECT_EQ(rc, 0) << "1x: the child could not read the study read-only";
    EXPECT_FALSE(fs::exists(path + "-wal"));
    EXPECT_FALSE(fs::exists(path + "-shm"));
    EXPECT_EQ(bytes_of(path), before);
  }
  // The read-only open path, here (even as root): loads, never writes or switches modes.
  {
    auto s = open_storage_read_only("sqlite:///" + path, "s");
    ASSERT_EQ(s->trials().size(), 1u);
    EXPECT_THROW(s->create_trial({0, 0, 0.5}), Error);  // SQLITE_OPEN_READONLY refuses
    EXPECT_THROW(open_storage_read_only("sqlite:///" + path, "absent"), Error);
  }
  EXPECT_EQ(bytes_of(path), before);
  if (rc == -2) GTEST_SKIP() << "running as root and cannot switch to user nobody: only the read-only open path "
                                "was checked, not a directory without write permission";
}

TEST(ReadOnlyOpen, CommitsOnlyInTheWalAreAClearErrorWhereTheyCannotBeRead) {
  TempDir dir;
  const auto path = dir.file("live.db");
  SqliteStorage writer(path, "s", kQdseSpace, {Direction::Maximize});
  writer.create_trial({1, 0, 0.5});
  ASSERT_TRUE(fs::exists(path + "-wal"));
  // A copy of the file and its WAL without the -shm (as a backup tool might make).
  chmod(dir.path().c_str(), 0755);  // let the reader through to copy/
  fs::create_directories(dir.file("copy"));
  const auto copy = dir.file("copy/live.db");
  fs::copy_file(path, copy);
  fs::copy_file(path + "-wal", copy + "-wal");
  const int rc = without_write_permission(dir.file("copy"), [&] {
    try {
      open_storage_read_only("sqlite:///" + copy, "s")->trials();
      return 20;  // must not silently read the file without its WAL
    } catch (const Error& e) {
      const std::string msg = e.what();
      return msg.find("-wal") != std::string::npos && msg.find("writable") != std::string::npos ? 0 : 21;
    }
  });
  if (rc == -2) GTEST_SKIP() << "running as root and cannot switch to user nobody";
  EXPECT_EQ(rc, 0);
}

}  // namespace
}  // namespace qdse::storage::testing
