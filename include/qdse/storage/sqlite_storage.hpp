// SqliteStorage: a study kept in an SQLite file, the default persistent storage. One
// file may hold several named studies; the schema (docs/storage.md) is versioned in a
// `qdse_meta` table and PRAGMA application_id.
//
// Opening is "create or load": an existing study must have the same search space (JSON,
// compared canonically) and directions, else qdse::Error(Storage). Passing an empty
// space_json and no directions only loads (error if the study does not exist). A file
// that is not SQLite, is corrupt, belongs to another program or has another schema
// version is refused with an error naming it, and is never written to.
// Durability: WAL journal, every write one transaction, so a process killed at any
// moment (SIGKILL included) leaves a consistent file and no trial whose write returned
// is lost. synchronous=NORMAL by default: commits reach the OS but are fsynced only at
// checkpoints, so an OS crash or power loss may roll back the last commits (the file
// stays consistent); SqliteOptions::synchronous_full (URL `?synchronous=full`) fsyncs
// every commit (~6 ms each on a virtio disk) and survives power loss too.
// Ownership: one object owns one connection. Thread-safety: every method is safe to call
// concurrently (calls are serialised on the connection); several objects, threads or
// processes may share a file (writers wait up to kBusyTimeoutMs for the lock).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "qdse/search/storage.hpp"
#include "qdse/storage/study_summary.hpp"

namespace qdse::storage {

namespace detail {
class SqliteDb;  // the connection (sqlite3 stays out of this header)
}

struct SqliteOptions {
  bool synchronous_full = false;  // PRAGMA synchronous = FULL instead of NORMAL
  // Read commands (`qdse studies`, `qdse trials`): opened SQLITE_OPEN_READONLY (URI
  // `mode=ro`; `immutable=1` when the directory is not writable and no WAL file holds
  // commits), never written, never switched to WAL; load only (no space or directions).
  bool read_only = false;
};

class SqliteStorage final : public search::Storage {
 public:
  static constexpr int kBusyTimeoutMs = 60'000;

  SqliteStorage(const std::string& path, const std::string& study, const std::string& space_json = "",
                const std::vector<search::Direction>& directions = {}, SqliteOptions options = {});
  ~SqliteStorage() override;
  SqliteStorage(const SqliteStorage&) = delete;
  SqliteStorage& operator=(const SqliteStorage&) = delete;

  int create_trial(const search::ParamVector& params, double sample_seconds = 0.0,
                   const std::string& worker = "") override;
  void finish_trial(int number, const search::TrialResult& result) override;
  std::vector<search::FrozenTrial> trials() const override;
  std::vector<search::FrozenTrial> trials_since(int from, const std::vector<int>& watch) const override;
  std::optional<search::FrozenTrial> trial(int number) const override;
  int n_trials() const override;
  std::optional<int> try_create_trial(const search::ParamVector& params, double sample_seconds = 0.0,
                                      const std::string& worker = "",
                                      std::optional<int> retry_of = std::nullopt) override;
  std::optional<int> retry_of(int number) const override;
  void heartbeat(int number) override;
  std::vector<search::StaleTrial> fail_stale_trials(double timeout_seconds) override;
  std::vector<search::RunningTrial> running_trials() const override;
  std::vector<search::StaleTrial> fail_dead_local_trials() override;

  const std::string& path() const;
  const std::string& study_name() const;
  const std::string& space_json() const;  // canonical form, as stored
  const std::vector<search::Direction>& directions() const;

  // Result of PRAGMA integrity_check: "ok" for a sound file.
  std::string integrity_check() const;

  // Every study of the file (validated as on open), by name; opened read-only.
  static std::vector<StudySummary> list_studies(const std::string& path);

 private:
  std::unique_ptr<detail::SqliteDb> db_;
};

}  // namespace qdse::storage
