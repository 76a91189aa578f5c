// JournalReplay: the state an Optuna journal describes, rebuilt by applying its
// operations in file order with Optuna's rules (optuna/storages/_journal/storage.py,
// JournalStorageReplayResult), so qdse and Optuna agree on every study and trial:
//  - study ids count CREATE_STUDY operations that created a study (a second CREATE_STUDY
//    of an existing name is ignored); trial ids count CREATE_TRIAL operations over all
//    studies; a trial's number is its position in its study;
//  - an operation on an unknown study or trial, or on a finished trial, is ignored (the
//    first SET_TRIAL_STATE_VALUES that finishes a trial wins);
//  - SET_TRIAL_PARAM adds a param (its value in the distribution's internal form).
// Op codes, state codes and direction codes are Optuna's (kOp*, kState*).
// Internal to qdse_storage. Thread-safety: none; JournalStorage serialises calls.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace qdse::storage::detail {

// optuna.storages._journal.storage.JournalOperation
enum JournalOp : int {
  kOpCreateStudy = 0,
  kOpDeleteStudy = 1,
  kOpSetStudyUserAttr = 2,
  kOpSetStudySystemAttr = 3,
  kOpCreateTrial = 4,
  kOpSetTrialParam = 5,
  kOpSetTrialStateValues = 6,
  kOpSetTrialIntermediateValue = 7,
  kOpSetTrialUserAttr = 8,
  kOpSetTrialSystemAttr = 9,
};
// optuna.trial.TrialState and optuna.study.StudyDirection
enum JournalTrialState : int { kStateRunning = 0, kStateComplete = 1, kStatePruned = 2, kStateFail = 3, kStateWaiting = 4 };
enum JournalDirection : int { kDirectionNotSet = 0, kDirectionMinimize = 1, kDirectionMaximize = 2 };

struct JournalStudy {
  int id = -1;
  std::string name;
  std::vector<int> directions;  // JournalDirection codes
  nlohmann::json user_attrs = nlohmann::json::object();
  nlohmann::json system_attrs = nlohmann::json::object();
  std::vector<int> trial_ids;   // by number
};

struct JournalTrial {
  int id = -1;
  int study_id = -1;
  int number = -1;
  int state = kStateRunning;
  std::map<std::string, double> params;             // internal representation
  std::map<std::string, nlohmann::json> distributions;  // parsed distribution JSON
  nlohmann::json values;                            // null or an array
  nlohmann::json user_attrs = nlohmann::json::object();
  nlohmann::json system_attrs = nlohmann::json::object();
  std::map<long long, double> intermediate_values;
  std::string datetime_start;     // as written (Python isoformat); "" if null
  std::string datetime_complete;  // "" until finished
};

bool journal_finished(int state);

class JournalReplay {
 public:
  // Applies one operation (a parsed journal line); `where` names file and line for errors.
  // A line of unknown shape throws qdse::Error(Storage) naming `where`.
  void apply(const nlohmann::json& op, const std::string& where);

  const std::map<int, JournalStudy>& studies() const { return studies_; }
  const JournalStudy* study_named(const std::string& name) const;
  const JournalTrial& trial(int id) const { return trials_.at(static_cast<std::size_t>(id)); }
  int n_trials_total() const { return static_cast<int>(trials_.size()); }
  // The id the next created study gets.
  int next_study_id() const { return next_study_id_; }

 private:
  JournalTrial* updatable(const nlohmann::json& op, const std::string& where);

  std::map<int, JournalStudy> studies_;
  std::vector<JournalTrial> trials_;  // by trial id
  int next_study_id_ = 0;
};

}  // namespace qdse::storage::detail
