// PostgresStorage: a study kept in a PostgreSQL database (libpqxx), for many workers on
// many hosts sharing one study. Selected by a URL such as
// `postgresql://user@host:5432/db` (anything libpq accepts).
//
// Same schema and semantics as SqliteStorage (docs/storage.md): `qdse_meta`, `studies`,
// `trials`; "create or load" by study name with a space/directions check; a database
// with `studies`/`trials` tables but no `qdse_meta`, or another schema version, is
// refused untouched. Trial numbers are unique across processes: creating a trial locks
// the study row (UPDATE ... next_trial_number), which also makes claims atomic.
// Heartbeats use the server's clock, so workers on hosts with skewed clocks agree.
// Durability: the session runs with synchronous_commit = off (commits do not wait for
// the server's WAL fsync; ~0.3 ms instead of ~3 ms each): a killed worker loses nothing,
// a crashed server may lose its last commits (the database stays consistent; a lost
// claim is simply run again, a lost finish leaves a Running trial that is retried). A
// URL with `?options=-csynchronous_commit%3Don` keeps the server's setting instead.
// Ownership: one object owns one connection. Thread-safety: every method is safe to call
// concurrently (calls are serialised on the connection). Never use an object in a
// forked child: open a new one there.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "qdse/search/storage.hpp"
#include "qdse/storage/study_summary.hpp"

namespace qdse::storage {

namespace detail {
class PostgresDb;  // the connection (libpqxx stays out of this header)
}

class PostgresStorage final : public search::Storage {
 public:
  // read_only: a load-only session with default_transaction_read_only = on (read commands).
  PostgresStorage(const std::string& url, const std::string& study, const std::string& space_json = "",
                  const std::vector<search::Direction>& directions = {}, bool read_only = false);
  ~PostgresStorage() override;
  PostgresStorage(const PostgresStorage&) = delete;
  PostgresStorage& operator=(const PostgresStorage&) = delete;

  int create_trial(const search::ParamVector& params, double sample_seconds = 0.0,
                   const std::string& worker = "") override;
  void finish_trial(int number, const search::TrialResult& result) override;
  std::vector<search::FrozenTrial> trials() const override;
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

  const std::string& study_name() const;
  const std::string& space_json() const;  // canonical form, as stored
  const std::vector<search::Direction>& directions() const;

  static std::vector<StudySummary> list_studies(const std::string& url);

 private:
  std::unique_ptr<detail::PostgresDb> db_;
};

// `url` with any password replaced by "***", for error messages.
std::string redact_url(const std::string& url);

}  // namespace qdse::storage
