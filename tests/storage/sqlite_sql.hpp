// Raw SQL on an SQLite file, bypassing qdse: how the tests damage rows or rewrite the
// schema the way another program, a hand edit or an older qdse would.
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>

namespace qdse::storage::testing {

// Runs `sql` (one or more statements) on `path`; a failure fails the test.
inline void sqlite_exec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  const std::string msg = err ? err : "";
  sqlite3_free(err);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << msg << " in: " << sql;
}

}  // namespace qdse::storage::testing
