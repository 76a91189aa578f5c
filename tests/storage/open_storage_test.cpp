// open_storage / list_studies / parse_storage_url: URL forms and their errors.
#include <gtest/gtest.h>

#include "qdse/core/error.hpp"
#include "qdse/storage/open_storage.hpp"
#include "qdse/storage/postgres_storage.hpp"
#include "qdse/storage/sqlite_storage.hpp"
#include "storage_test_util.hpp"

namespace qdse::storage::testing {
namespace {

TEST(ParseStorageUrl, AcceptedForms) {
  auto u = parse_storage_url("sqlite:///runs/study.db");
  EXPECT_EQ(u.kind, StorageKind::Sqlite);
  EXPECT_EQ(u.target, "runs/study.db");
  u = parse_storage_url("sqlite:////tmp/study.db");
  EXPECT_EQ(u.kind, StorageKind::Sqlite);
  EXPECT_EQ(u.target, "/tmp/study.db");
  for (const char* path : {"study.db", "runs/x.sqlite", "/abs/y.sqlite3"}) {
    u = parse_storage_url(path);
    EXPECT_EQ(u.kind, StorageKind::Sqlite) << path;
    EXPECT_EQ(u.target, path);
  }
  u = parse_storage_url("postgresql://qdse@db.example:5432/studies");
  EXPECT_EQ(u.kind, StorageKind::Postgres);
  EXPECT_EQ(u.target, "postgresql://qdse@db.example:5432/studies");
  EXPECT_EQ(parse_storage_url("postgres://h/db").kind, StorageKind::Postgres);
  EXPECT_EQ(parse_storage_url("memory:").kind, StorageKind::Memory);
}

TEST(ParseStorageUrl, SqliteSynchronousOption) {
  auto u = parse_storage_url("sqlite:///runs/study.db?synchronous=full");
  EXPECT_EQ(u.kind, StorageKind::Sqlite);
  EXPECT_EQ(u.target, "runs/study.db");
  EXPECT_TRUE(u.synchronous_full);
  u = parse_storage_url("runs/study.db?synchronous=normal");
  EXPECT_EQ(u.target, "runs/study.db");
  EXPECT_FALSE(u.synchronous_full);
  EXPECT_FALSE(parse_storage_url("runs/study.db").synchronous_full);
  try {
    parse_storage_url("runs/study.db?cache=shared");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("?synchronous=full"), std::string::npos) << e.what();
  }
}

TEST(ParseStorageUrl, OtherFormsListTheAcceptedOnes) {
  for (const char* bad : {"mysql://h/db", "study.txt", "", "sqlite://study.db", "sqlite:///", "redis://x.db"}) {
    try {
      parse_storage_url(bad);
      FAIL() << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Config);
      const std::string msg = e.what();
      for (const char* form : {"sqlite:///", ".db", "postgresql://", "memory:"})
        EXPECT_NE(msg.find(form), std::string::npos) << msg;
    }
  }
}

TEST(ParseStorageUrl, PasswordsAreRedactedInErrors) {
  EXPECT_EQ(redact_url("postgresql://u:secret@h:1/db"), "postgresql://u:***@h:1/db");
  EXPECT_EQ(redact_url("postgresql://u@h:1/db"), "postgresql://u@h:1/db");
  const std::string err = storage_error_of([] {
    open_storage("postgresql://u:secret@127.0.0.1:1/db", "s", "{}", kMin);  // nothing listens on port 1
  });
  EXPECT_EQ(err.find("secret"), std::string::npos) << err;
  EXPECT_NE(err.find("cannot connect"), std::string::npos) << err;
}

TEST(OpenStorage, PicksTheBackEnd) {
  TempDir dir;
  auto memory = open_storage("memory:", "s", "{}", kMin);
  EXPECT_NE(dynamic_cast<search::InMemoryStorage*>(memory.get()), nullptr);
  EXPECT_TRUE(list_studies("memory:").empty());

  const std::string url = "sqlite:///" + dir.file("a.db");  // an absolute path after three slashes
  auto sqlite = open_storage(url, "s", "{}", kMin);
  ASSERT_NE(dynamic_cast<SqliteStorage*>(sqlite.get()), nullptr);
  EXPECT_EQ(dynamic_cast<SqliteStorage*>(sqlite.get())->path(), dir.file("a.db"));
  sqlite->create_trial({1});
  auto again = open_storage(dir.file("a.db"), "s");  // plain path, load only
  EXPECT_EQ(again->n_trials(), 1);
  const auto studies = list_studies(url);
  ASSERT_EQ(studies.size(), 1u);
  EXPECT_EQ(studies[0].name, "s");
  EXPECT_EQ(studies[0].n_running, 1);
  EXPECT_EQ(studies[0].space_json, "{}");
  auto full = open_storage(url + "?synchronous=full", "s");
  EXPECT_EQ(full->n_trials(), 1);
}

}  // namespace
}  // namespace qdse::storage::testing
