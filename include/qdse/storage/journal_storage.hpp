// JournalStorage: a study kept in an Optuna journal file (JSON lines, Optuna's
// JournalStorage + JournalFileStorage format), so that a qdse study is an Optuna study:
// `optuna.load_study(study_name=..., storage=JournalStorage(JournalFileStorage(PATH)))`
// reads it, and qdse reads and resumes studies Optuna wrote. docs/storage.md has the
// mapping (which qdse field goes to which Optuna field or attribute) and the versions.
//
// Opening is "create or load" as SqliteStorage: an existing study must have the same
// space description and directions (a study Optuna created, which has no qdse space
// description, is adopted when its trials' distributions agree with the given space).
// An empty space_json and no directions only load. A file that is not a journal (a line
// that is not an Optuna operation) is refused naming file and line, and never written.
// Concurrency: every write appends under Optuna's file lock (journal_file.hpp) after
// replaying the lines other processes appended, so claims are atomic across qdse and
// Optuna processes; each append is fsynced before the lock is released.
// Ownership: one object replays the file once and then only its new lines.
// Thread-safety: every method is safe to call concurrently (serialised on a mutex).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "qdse/search/storage.hpp"
#include "qdse/storage/study_summary.hpp"

namespace qdse::storage {

namespace detail {
struct JournalState;
}

class JournalStorage final : public search::Storage {
 public:
  JournalStorage(const std::string& path, const std::string& study, const std::string& space_json = "",
                 const std::vector<search::Direction>& directions = {}, bool read_only = false);
  ~JournalStorage() override;
  JournalStorage(const JournalStorage&) = delete;
  JournalStorage& operator=(const JournalStorage&) = delete;

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

  const std::string& space_json() const;  // canonical form
  const std::vector<search::Direction>& directions() const;

  // Every study of the file, by name; reads only (a missing file has none).
  static std::vector<StudySummary> list_studies(const std::string& path);

 private:
  std::unique_ptr<detail::JournalState> s_;
};

}  // namespace qdse::storage
