// The mapping between qdse's study/trial model and Optuna's, for the journal back end
// (docs/storage.md, "Optuna journal"): params as Optuna params with Optuna distribution
// JSON, qdse's extra per-trial fields as attributes under the keys below, times in
// Python's isoformat.
// Internal to qdse_storage. Thread-safety: free functions without shared state.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "journal_replay.hpp"
#include "qdse/search/trial.hpp"

namespace qdse::storage::detail {

// Study system attributes.
inline constexpr const char* kAttrSpace = "qdse:space";          // qdse's space description (JSON)
inline constexpr const char* kAttrCreated = "qdse:created_time";  // ISO-8601 UTC
// Trial system attributes.
inline constexpr const char* kAttrConstraints = "constraints";  // Optuna's own key: <= 0 feasible
inline constexpr const char* kAttrParams = "qdse:params";       // internal values, when the space is not mappable
inline constexpr const char* kAttrWorker = "qdse:worker";
inline constexpr const char* kAttrSampleSeconds = "qdse:sample_seconds";
inline constexpr const char* kAttrEvalSeconds = "qdse:eval_seconds";
inline constexpr const char* kAttrHeartbeat = "qdse:heartbeat";  // Unix seconds
inline constexpr const char* kAttrHost = "qdse:host";
inline constexpr const char* kAttrPid = "qdse:pid";
inline constexpr const char* kAttrProcessStart = "qdse:process_start";
inline constexpr const char* kAttrRetryOf = "qdse:retry_of";
inline constexpr const char* kAttrReleased = "qdse:released";  // a failed stale trial gave up its claim
inline constexpr const char* kAttrValues = "qdse:values";      // values of a trial that is not Complete
// Trial user attributes: one per qdse metric, under the metric's name.

// How the study's params appear in Optuna: known when the space description has
// `qdse search`'s form and every param maps to an Optuna distribution.
struct JournalParam {
  std::string name;
  nlohmann::json distribution;  // {"name": "...Distribution", "attributes": {...}}
  std::string text;             // the same as Optuna's distribution_to_json writes it
};
struct JournalSpace {
  bool known = false;
  std::vector<JournalParam> params;
};
JournalSpace journal_space_of(const std::string& space_json);

// A space description in `qdse search`'s form built from the distributions of a study's
// trials (a study Optuna wrote; params in name order). Throws naming the param when a
// distribution has no qdse equivalent.
std::string describe_trials_space(const JournalReplay& replay, const JournalStudy& study, const std::string& context);

// The trial's params as qdse's internal vector; nullopt while params are missing. A
// categorical param with a single choice that the trial lacks is that choice.
std::optional<search::ParamVector> params_of(const JournalTrial& t, const JournalSpace& space);

// The qdse view of a trial. `context` names the study for errors.
search::FrozenTrial to_frozen(const JournalTrial& t, const JournalSpace& space, const std::string& context);

// Times: Optuna writes local time without zone, to the microsecond ("2024-05-01T14:34:56.789012").
std::string optuna_time_now();
// The Optuna time of a Unix time in seconds (local time, to the microsecond).
std::string optuna_time_at(double unix_seconds);
// An Optuna time (naive = local time, or with a zone) as qdse's "...Z" UTC text; "" for "".
std::string qdse_time(const std::string& optuna_time);
// Unix seconds of an Optuna time (0 when empty or unreadable).
double unix_time(const std::string& optuna_time);

// A fresh Optuna `worker_id` ("<uuid4>-<pid>"): Optuna tells its own trials by it.
std::string new_worker_id();

// Optuna's direction code for a qdse direction and back (throws for NOT_SET).
int direction_code(search::Direction d);
search::Direction direction_of(int code, const std::string& context);

// ---- Writing: the pieces of the operations qdse appends (journal_storage.cpp) and the
// ones `qdse export-study` writes (journal_export.cpp), one encoding for both.
// An operation's head, {"op_code": code, "worker_id": worker_id}.
nlohmann::ordered_json journal_op(int code, const std::string& worker_id);
// Doubles as a JSON array, each as stored_double writes it (row_codec.hpp).
nlohmann::ordered_json journal_doubles(const std::vector<double>& values);
// Optuna's direction codes of a study's directions.
nlohmann::ordered_json journal_directions(const std::vector<search::Direction>& directions);
// Optuna's state code of a qdse trial state.
int journal_state_code(search::TrialState state);
// A CREATE_TRIAL's "distributions" and "params" for `params` (the space known), or empty
// ones and the raw params under kAttrParams in `system_attrs` (the space unknown). False,
// and nothing written, when the space is known and the counts differ: the caller says so.
bool put_trial_params(nlohmann::ordered_json& op, nlohmann::ordered_json& system_attrs, const JournalSpace& space,
                      const search::ParamVector& params);

}  // namespace qdse::storage::detail
