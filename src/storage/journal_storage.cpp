#include "qdse/storage/journal_storage.hpp"

#include <algorithm>
#include <filesystem>
#include <mutex>
#include <unordered_map>

#include "journal_file.hpp"
#include "journal_mapping.hpp"
#include "journal_replay.hpp"
#include "qdse/core/error.hpp"
#include "qdse/search/finish_rule.hpp"
#include "qdse/storage/process_identity.hpp"
#include "qdse/storage/row_codec.hpp"

namespace qdse::storage {

using nlohmann::json;
using nlohmann::ordered_json;
using search::FrozenTrial;
using search::ParamVector;

namespace detail {

// The file, its replayed state and this study's view of it. Used under `mutex`.
struct JournalState {
  std::string path;
  std::string study;
  bool read_only = false;
  JournalFile file;
  JournalReplay replay;
  std::string worker_id;  // Optuna's worker_id field: "<uuid4>-<number>"
  int study_id = -1;
  std::string space_json;  // canonical
  std::vector<search::Direction> directions;
  JournalSpace space;
  std::string context;
  // Claims: canonical params -> number of the trial holding them (row_codec params_key),
  // maintained as lines are replayed; trials whose params are not complete yet (an
  // Optuna trial between CREATE_TRIAL and its SET_TRIAL_PARAMs) wait in `unclaimed`.
  std::unordered_map<std::string, int> holders;
  std::vector<int> unclaimed;  // trial ids
  // qdse's view of each trial by number, built on first read and dropped when a line
  // touches the trial (converting costs microseconds: times, attribute lookups).
  std::vector<std::optional<FrozenTrial>> frozen;
  bool track = false;
  std::mutex mutex;

  explicit JournalState(const std::string& p) : path(p), file(p) {}

  // Replays the lines appended since the last call. With `track`, follows this study
  // (by name) and its claims in file order: a claim released by a failed stale trial
  // and taken again by its retry must be seen in that order.
  void sync() {
    for (auto& [line, op] : file.read_new()) {
      const std::string where = "journal `" + path + "`, line " + std::to_string(line);
      const int before = replay.n_trials_total();
      try {
        replay.apply(op, where);
      } catch (const json::exception& e) {
        throw Error(ErrorKind::Storage, where + ": malformed operation (" + e.what() + ")");
      }
      if (!track) continue;
      const int code = op.value("op_code", -1);
      if (code == kOpCreateStudy && study_id < 0)
        if (const JournalStudy* st = replay.study_named(study)) study_id = st->id;
      if (code == kOpDeleteStudy && op.value("study_id", -2) == study_id) {
        study_id = -1;
        holders.clear();
        unclaimed.clear();
        frozen.clear();
      }
      if (study_id < 0) continue;
      if (const int tid = op.value("trial_id", -1); tid >= 0 && tid < replay.n_trials_total()) {
        const JournalTrial& touched = replay.trial(tid);
        if (touched.study_id == study_id && touched.number < static_cast<int>(frozen.size())) frozen[touched.number].reset();
      }
      if (replay.n_trials_total() > before && replay.trial(before).study_id == study_id) unclaimed.push_back(before);
      if (code == kOpSetTrialSystemAttr && op.contains("system_attr") && op["system_attr"].contains(kAttrReleased))
        release(op.value("trial_id", -1));
      if (!unclaimed.empty()) note_claims();
    }
  }

  // Replays the file from its start, following this study (see sync).
  void replay_tracking() {
    file = JournalFile(path);
    replay = JournalReplay();
    holders.clear();
    unclaimed.clear();
    frozen.clear();
    study_id = -1;
    track = true;
    sync();
  }

  // Trials of the study whose params are now complete hold them unless another does.
  void note_claims() {
    std::vector<int> waiting;
    for (int id : unclaimed) {
      const JournalTrial& t = replay.trial(id);
      const auto params = params_of(t, space);
      if (!params) {
        if (!journal_finished(t.state)) waiting.push_back(id);
        continue;
      }
      holders.emplace(params_key(*params), t.number);
    }
    unclaimed = std::move(waiting);
  }

  void release(int trial_id) {
    if (trial_id < 0 || trial_id >= replay.n_trials_total()) return;
    const JournalTrial& t = replay.trial(trial_id);
    if (t.study_id != study_id) return;
    if (const auto params = params_of(t, space)) {
      const auto it = holders.find(params_key(*params));
      if (it != holders.end() && it->second == t.number) holders.erase(it);
    }
  }

  const JournalStudy& study_ref() const {
    const auto it = replay.studies().find(study_id);
    if (it == replay.studies().end()) throw Error(ErrorKind::Storage, context + " was deleted (DELETE_STUDY)");
    return it->second;
  }

  const JournalTrial* trial_by_number(int number) const {
    const auto& ids = study_ref().trial_ids;
    if (number < 0 || number >= static_cast<int>(ids.size())) return nullptr;
    return &replay.trial(ids[static_cast<std::size_t>(number)]);
  }

  // Trial `number` (which exists) as qdse sees it.
  const FrozenTrial& frozen_at(int number) {
    if (number >= static_cast<int>(frozen.size())) frozen.resize(static_cast<std::size_t>(number) + 1);
    auto& slot = frozen[static_cast<std::size_t>(number)];
    if (!slot) slot = to_frozen(*trial_by_number(number), space, context);
    return *slot;
  }

  ordered_json op(int code) const { return journal_op(code, worker_id); }

  // Appends `lines` under the lock (the caller holds it) and replays them.
  void write(const std::vector<ordered_json>& ops) {
    if (read_only) throw Error(ErrorKind::Storage, context + " was opened read-only");
    std::vector<std::string> lines;
    for (const auto& o : ops) lines.push_back(journal_dump(o));
    file.append(lines);
    sync();
  }

  ordered_json set_trial_attr(int trial_id, const char* kind, const std::string& key, const ordered_json& value) const {
    ordered_json o = op(std::string(kind) == "user_attr" ? kOpSetTrialUserAttr : kOpSetTrialSystemAttr);
    o["trial_id"] = trial_id;
    o[kind] = ordered_json::object({{key, value}});
    return o;
  }

  ordered_json state_op(int trial_id, int state, const ordered_json& values) const {
    ordered_json o = op(kOpSetTrialStateValues);
    o["trial_id"] = trial_id;
    o["state"] = state;
    o["values"] = values;
    o["datetime_complete"] = optuna_time_now();
    return o;
  }

  // The CREATE_TRIAL line of a new Running trial, with qdse's fields as system attrs.
  ordered_json create_op(const ParamVector& params, double sample_seconds, const std::string& worker,
                         std::optional<int> retry_of) const {
    ordered_json o = op(kOpCreateTrial);
    o["study_id"] = study_id;
    o["datetime_start"] = optuna_time_now();
    o["state"] = kStateRunning;
    o["value"] = nullptr;
    o["values"] = nullptr;
    ordered_json sys = ordered_json::object();
    if (!put_trial_params(o, sys, space, params))
      throw Error(ErrorKind::InvalidArgument, context + ": a trial needs " + std::to_string(space.params.size()) +
                                                  " params, got " + std::to_string(params.size()));
    o["user_attrs"] = ordered_json::object();
    const ProcessIdentity self = this_process();
    sys[kAttrWorker] = worker;
    sys[kAttrSampleSeconds] = sample_seconds;
    sys[kAttrHeartbeat] = unix_now();
    sys[kAttrHost] = self.host;
    sys[kAttrPid] = self.pid;
    sys[kAttrProcessStart] = self.start;
    if (retry_of) sys[kAttrRetryOf] = *retry_of;
    o["system_attrs"] = sys;
    o["intermediate_values"] = ordered_json::object();
    return o;
  }

  [[noreturn]] void fail_unknown(int number, const char* what) const {
    throw Error(ErrorKind::InvalidArgument, std::string(what) + ": no trial " + std::to_string(number) + " in " + context);
  }

  search::StaleTrial stale_of(const JournalTrial& t) const {
    search::StaleTrial s;
    s.number = t.number;
    s.params = params_of(t, space).value_or(ParamVector{});
    for (double& v : s.params) v = stored_double(v);
    if (t.system_attrs.contains(kAttrWorker) && t.system_attrs[kAttrWorker].is_string())
      s.worker = t.system_attrs[kAttrWorker].get<std::string>();
    if (t.system_attrs.contains(kAttrRetryOf) && t.system_attrs[kAttrRetryOf].is_number_integer())
      s.retry_of = t.system_attrs[kAttrRetryOf].get<int>();
    return s;
  }

  // Fails `stale` (Running trials of the study) and releases their claims; under the lock.
  void fail_and_release(const std::vector<const JournalTrial*>& stale) {
    std::vector<ordered_json> ops;
    for (const JournalTrial* t : stale) {
      ops.push_back(set_trial_attr(t->id, "system_attr", kAttrReleased, true));
      ops.push_back(state_op(t->id, kStateFail, nullptr));
    }
    if (!ops.empty()) write(ops);
  }
};

namespace {

std::string describe_dirs(const std::vector<search::Direction>& dirs) { return encode_directions(dirs); }

// The space description of a study: qdse's own, else one built from its trials.
std::string stored_space(const JournalReplay& replay, const JournalStudy& study, const std::string& context) {
  const auto it = study.system_attrs.find(kAttrSpace);
  if (it != study.system_attrs.end()) return canonical_json(it->dump(), context);
  return canonical_json(describe_trials_space(replay, study, context), context);
}

std::vector<search::Direction> stored_directions(const JournalStudy& study, const std::string& context) {
  std::vector<search::Direction> out;
  for (int code : study.directions) out.push_back(direction_of(code, context));
  return out;
}

}  // namespace
}  // namespace detail

using detail::JournalState;
using detail::JournalTrial;

JournalStorage::JournalStorage(const std::string& path, const std::string& study, const std::string& space_json,
                               const std::vector<search::Direction>& directions, bool read_only)
    : s_(std::make_unique<JournalState>(path)) {
  if (study.empty()) throw Error(ErrorKind::InvalidArgument, "JournalStorage: the study name is empty");
  JournalState& s = *s_;
  s.study = study;
  s.read_only = read_only;
  s.worker_id = detail::new_worker_id();
  s.context = "study `" + study + "` in journal `" + path + "`";
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw Error(ErrorKind::Storage, "journal study storage `" + path + "` is a directory");
  if (read_only && !std::filesystem::exists(path, ec))
    throw Error(ErrorKind::Storage, "journal study storage `" + path + "` does not exist");
  s.sync();  // validates the whole file before anything is written
  const std::string given = space_json.empty() ? "" : canonical_json(space_json, s.context + " (given space)");
  const detail::JournalStudy* found = s.replay.study_named(study);
  if (!found) {
    if (given.empty() || directions.empty() || read_only) {
      std::string names;
      for (const auto& [id, st] : s.replay.studies()) names += (names.empty() ? "" : ", ") + st.name;
      throw Error(ErrorKind::Storage, "no " + s.context + " (studies: " + (names.empty() ? "none" : names) + ")" +
                                          (read_only ? "" : "; give a search space and directions to create it"));
    }
    s.file.create_if_missing();
    detail::JournalFile::Lock lock(path);
    s.sync();
    if (!s.replay.study_named(study)) {  // not created meanwhile by another process
      const int id = s.replay.next_study_id();
      ordered_json create = s.op(detail::kOpCreateStudy);
      create["study_name"] = study;
      create["directions"] = detail::journal_directions(directions);
      ordered_json space = s.op(detail::kOpSetStudySystemAttr);
      space["study_id"] = id;
      space["system_attr"] = ordered_json::object({{detail::kAttrSpace, ordered_json::parse(given)}});
      ordered_json created = s.op(detail::kOpSetStudySystemAttr);
      created["study_id"] = id;
      created["system_attr"] = ordered_json::object({{detail::kAttrCreated, search::iso8601_now()}});
      s.write({create, space, created});
    }
    found = s.replay.study_named(study);
  }
  const std::string stored =
      found->system_attrs.contains(detail::kAttrSpace) ? detail::stored_space(s.replay, *found, s.context) : "";
  const auto stored_dirs = detail::stored_directions(*found, s.context);
  if (!directions.empty() && directions != stored_dirs) {
    throw Error(ErrorKind::Storage, s.context + " was created with directions " + detail::describe_dirs(stored_dirs) +
                                        ", given " + detail::describe_dirs(directions));
  }
  if (!stored.empty() && !given.empty() && stored != given) {
    throw Error(ErrorKind::Storage, s.context + " was created with another search space: stored " +
                                        stored.substr(0, 200) + ", given " + given.substr(0, 200) +
                                        " (use a new study name to search another space)");
  }
  s.space_json = !stored.empty() ? stored : (!given.empty() ? given : detail::stored_space(s.replay, *found, s.context));
  s.space = detail::journal_space_of(s.space_json);
  if (stored.empty() && !given.empty()) {
    // A study Optuna created: its trials must use the given space's distributions; then
    // qdse records its description so later opens compare against it.
    for (int id : found->trial_ids) {
      const JournalTrial& t = s.replay.trial(id);
      for (const auto& p : s.space.params) {
        const auto d = t.distributions.find(p.name);
        if (d != t.distributions.end() && d->second != p.distribution) {
          throw Error(ErrorKind::Storage, s.context + ", trial " + std::to_string(t.number) + ": param `" + p.name +
                                              "` has distribution " + d->second.dump() + " but the given space has " +
                                              p.distribution.dump());
        }
      }
    }
    if (!read_only) {
      detail::JournalFile::Lock lock(path);
      s.sync();
      ordered_json attr = s.op(detail::kOpSetStudySystemAttr);
      attr["study_id"] = found->id;
      attr["system_attr"] = ordered_json::object({{detail::kAttrSpace, ordered_json::parse(given)}});
      s.write({attr});
    }
  }
  s.directions = stored_dirs;
  s.replay_tracking();  // now that the space is known, claims can be followed in order
  if (s.study_id < 0) throw Error(ErrorKind::Storage, s.context + " vanished while opening");
}

JournalStorage::~JournalStorage() = default;

int JournalStorage::create_trial(const ParamVector& params, double sample_seconds, const std::string& worker) {
  std::lock_guard guard(s_->mutex);
  JournalState& s = *s_;
  detail::JournalFile::Lock lock(s.path);
  s.sync();
  const int number = static_cast<int>(s.study_ref().trial_ids.size());
  s.write({s.create_op(params, sample_seconds, worker, std::nullopt)});
  return number;
}

std::optional<int> JournalStorage::try_create_trial(const ParamVector& params, double sample_seconds,
                                                    const std::string& worker, std::optional<int> retry_of) {
  std::lock_guard guard(s_->mutex);
  JournalState& s = *s_;
  detail::JournalFile::Lock lock(s.path);
  s.sync();
  if (s.holders.count(params_key(params))) return std::nullopt;
  const int number = static_cast<int>(s.study_ref().trial_ids.size());
  s.write({s.create_op(params, sample_seconds, worker, retry_of)});
  return number;
}

void JournalStorage::finish_trial(int number, const search::TrialResult& result) {
  search::require_finishing_state(number, result.state);
  std::lock_guard guard(s_->mutex);
  JournalState& s = *s_;
  detail::JournalFile::Lock lock(s.path);
  s.sync();
  const JournalTrial* t = s.trial_by_number(number);
  if (!t) s.fail_unknown(number, "finish_trial");
  if (detail::journal_finished(t->state)) {
    throw Error(ErrorKind::InvalidArgument, "finish_trial: trial " + std::to_string(number) + " of " + s.context +
                                                " is already " +
                                                std::string(search::to_string(detail::to_frozen(*t, s.space, s.context).state)));
  }
  const int id = t->id;
  std::vector<ordered_json> ops;
  // Attributes first: Optuna ignores any update of a finished trial.
  for (const auto& [k, v] : result.metrics) ops.push_back(s.set_trial_attr(id, "user_attr", k, stored_double(v)));
  if (!result.constraints.empty())
    ops.push_back(s.set_trial_attr(id, "system_attr", detail::kAttrConstraints, detail::journal_doubles(result.constraints)));
  ops.push_back(s.set_trial_attr(id, "system_attr", detail::kAttrEvalSeconds, stored_double(result.eval_seconds)));
  const ordered_json values = detail::journal_doubles(result.values);
  const bool complete = result.state == search::TrialState::Complete;
  if (!complete && !result.values.empty()) ops.push_back(s.set_trial_attr(id, "system_attr", detail::kAttrValues, values));
  ops.push_back(s.state_op(id, detail::journal_state_code(result.state), complete ? values : ordered_json(nullptr)));
  s.write(ops);
}

std::vector<FrozenTrial> JournalStorage::trials() const {
  std::lock_guard guard(s_->mutex);
  s_->sync();
  std::vector<FrozenTrial> out;
  const int n = static_cast<int>(s_->study_ref().trial_ids.size());
  for (int i = 0; i < n; ++i) out.push_back(s_->frozen_at(i));
  return out;
}

std::vector<FrozenTrial> JournalStorage::trials_since(int from, const std::vector<int>& watch) const {
  std::lock_guard guard(s_->mutex);
  JournalState& s = *s_;
  s.sync();
  std::vector<FrozenTrial> out;
  const int n = static_cast<int>(s.study_ref().trial_ids.size());
  for (int w : watch)
    if (w < from && w >= 0 && w < n) out.push_back(s.frozen_at(w));
  for (int i = std::max(0, from); i < n; ++i) out.push_back(s.frozen_at(i));
  return out;
}

std::optional<FrozenTrial> JournalStorage::trial(int number) const {
  std::lock_guard guard(s_->mutex);
  s_->sync();
  if (!s_->trial_by_number(number)) return std::nullopt;
  return s_->frozen_at(number);
}

int JournalStorage::n_trials() const {
  std::lock_guard guard(s_->mutex);
  s_->sync();
  return static_cast<int>(s_->study_ref().trial_ids.size());
}

std::optional<int> JournalStorage::retry_of(int number) const {
  std::lock_guard guard(s_->mutex);
  s_->sync();
  const JournalTrial* t = s_->trial_by_number(number);
  if (!t) s_->fail_unknown(number, "retry_of");
  return s_->stale_of(*t).retry_of;
}

void JournalStorage::heartbeat(int number) {
  std::lock_guard guard(s_->mutex);
  JournalState& s = *s_;
  s.sync();
  const JournalTrial* t = s.trial_by_number(number);
  if (!t) s.fail_unknown(number, "heartbeat");
  if (detail::journal_finished(t->state)) return;
  const int id = t->id;
  detail::JournalFile::Lock lock(s.path);
  s.write({s.set_trial_attr(id, "system_attr", detail::kAttrHeartbeat, unix_now())});
}

std::vector<search::StaleTrial> JournalStorage::fail_stale_trials(double timeout_seconds) {
  std::lock_guard guard(s_->mutex);
  JournalState& s = *s_;
  detail::JournalFile::Lock lock(s.path);
  s.sync();
  const double now = unix_now();
  std::vector<const JournalTrial*> stale;
  for (int id : s.study_ref().trial_ids) {
    const JournalTrial& t = s.replay.trial(id);
    if (detail::journal_finished(t.state)) continue;
    const auto hb = t.system_attrs.find(detail::kAttrHeartbeat);
    // A trial Optuna created has no qdse heartbeat: its start time stands in.
    const double beat = hb != t.system_attrs.end() && hb->is_number() ? hb->get<double>()
                                                                       : detail::unix_time(t.datetime_start);
    if (beat <= now - timeout_seconds) stale.push_back(&t);
  }
  std::vector<search::StaleTrial> out;
  for (const JournalTrial* t : stale) out.push_back(s.stale_of(*t));
  s.fail_and_release(stale);
  return out;
}

std::vector<search::RunningTrial> JournalStorage::running_trials() const {
  std::lock_guard guard(s_->mutex);
  JournalState& s = *s_;
  s.sync();
  const double now = unix_now();
  std::vector<search::RunningTrial> out;
  for (int id : s.study_ref().trial_ids) {
    const JournalTrial& t = s.replay.trial(id);
    if (detail::journal_finished(t.state)) continue;
    const auto stale = s.stale_of(t);
    search::RunningTrial r;
    r.number = t.number;
    r.params = stale.params;
    r.worker = stale.worker;
    const json& sys = t.system_attrs;
    if (sys.contains(detail::kAttrHost) && sys[detail::kAttrHost].is_string()) r.host = sys[detail::kAttrHost].get<std::string>();
    if (sys.contains(detail::kAttrPid) && sys[detail::kAttrPid].is_number_integer()) r.pid = sys[detail::kAttrPid].get<long long>();
    const double beat = sys.contains(detail::kAttrHeartbeat) && sys[detail::kAttrHeartbeat].is_number()
                            ? sys[detail::kAttrHeartbeat].get<double>()
                            : detail::unix_time(t.datetime_start);
    r.heartbeat_age = std::max(0.0, now - beat);
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<search::StaleTrial> JournalStorage::fail_dead_local_trials() {
  std::lock_guard guard(s_->mutex);
  JournalState& s = *s_;
  if (s.read_only) return {};
  s.sync();
  const auto dead_now = [&] {
    std::vector<const JournalTrial*> dead;
    for (int id : s.study_ref().trial_ids) {
      const JournalTrial& t = s.replay.trial(id);
      const json& sys = t.system_attrs;
      if (detail::journal_finished(t.state) || !sys.contains(detail::kAttrPid) || !sys[detail::kAttrPid].is_number_integer())
        continue;
      ProcessIdentity holder{sys.value(detail::kAttrHost, std::string()), sys[detail::kAttrPid].get<long long>(),
                             sys.value(detail::kAttrProcessStart, std::string())};
      if (liveness(holder) == ProcessLiveness::Dead) dead.push_back(&t);
    }
    return dead;
  };
  if (dead_now().empty()) return {};  // the common case takes no lock
  detail::JournalFile::Lock lock(s.path);
  s.sync();
  const auto dead = dead_now();
  std::vector<search::StaleTrial> out;
  for (const JournalTrial* t : dead) out.push_back(s.stale_of(*t));
  s.fail_and_release(dead);
  return out;
}

const std::string& JournalStorage::space_json() const { return s_->space_json; }
const std::vector<search::Direction>& JournalStorage::directions() const { return s_->directions; }

std::vector<StudySummary> JournalStorage::list_studies(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return {};
  JournalState s(path);
  s.sync();
  std::vector<StudySummary> out;
  for (const auto& [id, st] : s.replay.studies()) {
    const std::string ctx = "study `" + st.name + "` in journal `" + path + "`";
    StudySummary sum;
    sum.name = st.name;
    sum.directions = detail::stored_directions(st, ctx);
    sum.space_json = detail::stored_space(s.replay, st, ctx);
    if (st.system_attrs.contains(detail::kAttrCreated) && st.system_attrs[detail::kAttrCreated].is_string())
      sum.created_time = st.system_attrs[detail::kAttrCreated].get<std::string>();
    else if (!st.trial_ids.empty())
      sum.created_time = detail::qdse_time(s.replay.trial(st.trial_ids.front()).datetime_start);
    for (int tid : st.trial_ids) {
      switch (s.replay.trial(tid).state) {
        case detail::kStateComplete: ++sum.n_complete; break;
        case detail::kStatePruned: ++sum.n_pruned; break;
        case detail::kStateFail: ++sum.n_failed; break;
        default: ++sum.n_running; break;
      }
    }
    out.push_back(std::move(sum));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

}  // namespace qdse::storage
