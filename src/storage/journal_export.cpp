#include "qdse/storage/journal_export.hpp"

#include <filesystem>
#include <set>

#include "journal_file.hpp"
#include "journal_mapping.hpp"
#include "qdse/core/error.hpp"
#include "qdse/core/file_write.hpp"
#include "qdse/storage/open_storage.hpp"
#include "qdse/storage/postgres_storage.hpp"
#include "qdse/storage/row_codec.hpp"
#include "qdse/storage/study_lookup.hpp"

namespace qdse::storage {
namespace {

using nlohmann::ordered_json;
using search::FrozenTrial;
using search::TrialState;

// Refuses a target that would lose data: a directory, or a non-empty file without --force.
void check_export_target(const std::string& path, bool force) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw Error(ErrorKind::Config, "export target `" + path + "` is a directory; give a journal file path");
  const auto size = std::filesystem::file_size(path, ec);
  if (!ec && size > 0 && !force)
    throw Error(ErrorKind::Config, "export target `" + path + "` exists and is not empty (" + std::to_string(size) +
                                       " bytes); give --force to replace it");
}

// An Optuna time for a qdse time ("...Z"), or null when there is none to convert.
ordered_json export_time(const std::string& qdse_time) {
  const double t = detail::unix_time(qdse_time);
  if (qdse_time.empty() || t == 0.0) return nullptr;
  return detail::optuna_time_at(t);
}

// What the export knows of a trial besides the FrozenTrial.
struct TrialExtras {
  std::optional<int> retry_of;
  bool released = false;    // a failed stale trial whose claim a retry took over
  double heartbeat = 0.0;   // Unix seconds, Running trials only
};

// One CREATE_TRIAL carrying the whole trial, as Optuna's create_new_trial(template)
// writes it (value for one objective, values for several; no datetime_complete while
// Running).
ordered_json trial_op(const FrozenTrial& t, const TrialExtras& x, const detail::JournalSpace& space,
                      const std::string& worker_id, const std::string& context) {
  ordered_json o = detail::journal_op(detail::kOpCreateTrial, worker_id);
  o["study_id"] = 0;
  o["datetime_start"] = export_time(t.start_time);
  o["state"] = detail::journal_state_code(t.state);
  const bool complete = t.state == TrialState::Complete;
  o["value"] = complete && t.values.size() == 1 ? ordered_json(stored_double(t.values[0])) : ordered_json(nullptr);
  o["values"] = complete && t.values.size() > 1 ? detail::journal_doubles(t.values) : ordered_json(nullptr);
  if (t.state != TrialState::Running) {
    const ordered_json end = export_time(t.end_time);
    if (!end.is_null()) o["datetime_complete"] = end;
  }
  ordered_json sys = ordered_json::object();
  static const detail::JournalSpace kUnknown;  // a trial without params keeps its (empty) raw list
  if (!detail::put_trial_params(o, sys, t.params.empty() ? kUnknown : space, t.params))
    throw Error(ErrorKind::Storage, context + ", trial " + std::to_string(t.number) + ": " +
                                        std::to_string(t.params.size()) + " params, the study's space has " +
                                        std::to_string(space.params.size()));
  ordered_json user = ordered_json::object();
  for (const auto& [k, v] : t.metrics) user[k] = stored_double(v);
  o["user_attrs"] = user;
  if (!t.constraints.empty()) sys[detail::kAttrConstraints] = detail::journal_doubles(t.constraints);
  sys[detail::kAttrWorker] = t.worker;
  sys[detail::kAttrSampleSeconds] = stored_double(t.sample_seconds);
  if (t.state != TrialState::Running) sys[detail::kAttrEvalSeconds] = stored_double(t.eval_seconds);
  if (!complete && !t.values.empty()) sys[detail::kAttrValues] = detail::journal_doubles(t.values);
  if (x.retry_of) sys[detail::kAttrRetryOf] = *x.retry_of;
  if (x.released) sys[detail::kAttrReleased] = true;
  if (t.state == TrialState::Running) sys[detail::kAttrHeartbeat] = x.heartbeat;
  o["system_attrs"] = sys;
  o["intermediate_values"] = ordered_json::object();
  return o;
}

}  // namespace

JournalExport export_to_journal(const std::string& from_url, const std::string& study, const std::string& to_path,
                                bool force) {
  if (to_path.empty()) throw Error(ErrorKind::Config, "export target: the journal file path is empty");
  check_export_target(to_path, force);
  const auto studies = list_studies(from_url);
  const StudySummary& summary = find_study(studies, study, from_url);
  const std::string context = "study `" + summary.name + "` in `" + redact_url(from_url) + "`";
  const auto source = open_storage_read_only(from_url, summary.name);
  const auto trials = source->trials();

  // Extras the FrozenTrial does not carry: retries (only a repeated configuration can be
  // one), the claims they took over, and the heartbeats of Running trials.
  std::vector<TrialExtras> extras(trials.size());
  std::set<search::ParamVector> seen;
  for (std::size_t k = 0; k < trials.size(); ++k) {
    if (seen.insert(trials[k].params).second) continue;
    extras[k].retry_of = source->retry_of(trials[k].number);
    if (const auto r = extras[k].retry_of; r && *r >= 0 && *r < static_cast<int>(trials.size()))
      extras[static_cast<std::size_t>(*r)].released = trials[static_cast<std::size_t>(*r)].state == TrialState::Failed;
  }
  const double now = unix_now();
  for (const auto& r : source->running_trials())
    if (r.number >= 0 && r.number < static_cast<int>(trials.size()))
      extras[static_cast<std::size_t>(r.number)].heartbeat = now - r.heartbeat_age;

  const std::string worker_id = detail::new_worker_id();
  const auto space = detail::journal_space_of(summary.space_json);
  ordered_json create = detail::journal_op(detail::kOpCreateStudy, worker_id);
  create["study_name"] = summary.name;
  create["directions"] = detail::journal_directions(summary.directions);
  std::string text = detail::journal_dump(create) + "\n";
  if (!summary.space_json.empty()) {
    ordered_json attr = detail::journal_op(detail::kOpSetStudySystemAttr, worker_id);
    attr["study_id"] = 0;
    attr["system_attr"] = ordered_json::object({{detail::kAttrSpace, ordered_json::parse(summary.space_json)}});
    text += detail::journal_dump(attr) + "\n";
  }
  ordered_json created = detail::journal_op(detail::kOpSetStudySystemAttr, worker_id);
  created["study_id"] = 0;
  created["system_attr"] = ordered_json::object(
      {{detail::kAttrCreated, summary.created_time.empty() ? search::iso8601_now() : summary.created_time}});
  text += detail::journal_dump(created) + "\n";
  for (std::size_t k = 0; k < trials.size(); ++k)
    text += detail::journal_dump(trial_op(trials[k], extras[k], space, worker_id, context)) + "\n";

  // Under Optuna's lock, so no Optuna or qdse writer appends to a file being replaced.
  detail::JournalFile::Lock lock(to_path);
  check_export_target(to_path, force);
  write_file_atomic(to_path, text);
  return {summary.name, static_cast<int>(trials.size())};
}

}  // namespace qdse::storage
