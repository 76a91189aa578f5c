// open_storage / list_studies: pick a study storage back end from a URL, the way
// `qdse search --storage URL` and `qdse studies URL` name them.
//
//   sqlite:///study.db        SQLite, relative path (SQLAlchemy/Optuna spelling)
//   sqlite:////abs/study.db   SQLite, absolute path
//   runs/study.db, x.sqlite   SQLite: a plain path ending in .db, .sqlite or .sqlite3
//   postgresql://user@host:5432/db   PostgreSQL (postgres:// too)
//   memory:                   in-memory, a fresh study for each call (nothing persists)
//   journal:runs/study.log    Optuna's journal file (JSON lines; journal_storage.hpp)
// An SQLite URL or path may end in `?synchronous=full` (fsync every commit: survives
// power loss, ~6 ms per commit) or `?synchronous=normal` (the default; survives a killed
// process, see sqlite_storage.hpp).
//
// Anything else is qdse::Error(Config) listing these forms. Opening is "create or
// load" (see sqlite_storage.hpp): empty space_json and no directions only load.
// Thread-safety: free functions; the returned storages are thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "qdse/search/storage.hpp"
#include "qdse/storage/study_summary.hpp"

namespace qdse::storage {

enum class StorageKind { Memory, Sqlite, Postgres, Journal };

struct StorageUrl {
  StorageKind kind = StorageKind::Memory;
  std::string target;  // file path for SQLite and journal, the URL itself for PostgreSQL, "" for memory
  bool synchronous_full = false;  // SQLite: `?synchronous=full`
};

// Parses a storage URL; throws qdse::Error(Config) listing the accepted forms.
StorageUrl parse_storage_url(const std::string& url);

std::shared_ptr<search::Storage> open_storage(const std::string& url, const std::string& study,
                                              const std::string& space_json = "",
                                              const std::vector<search::Direction>& directions = {});

// Load-only and read-only, for commands that only look (`qdse studies`, `qdse trials`):
// an SQLite file is opened SQLITE_OPEN_READONLY, so a study on a read-only mount or in a
// directory without write permission can be inspected (see SqliteOptions::read_only).
std::shared_ptr<search::Storage> open_storage_read_only(const std::string& url, const std::string& study);

// Studies of a storage by name (empty for memory: and for a database without studies).
std::vector<StudySummary> list_studies(const std::string& url);

}  // namespace qdse::storage
