#include "journal_replay.hpp"

#include "journal_file.hpp"
#include "qdse/core/error.hpp"

namespace qdse::storage::detail {
namespace {

using nlohmann::json;

[[noreturn]] void bad_line(const std::string& where, const std::string& what) {
  throw Error(ErrorKind::Storage, where + ": " + what + " (not an Optuna journal operation qdse can read)");
}

const json& op_field(const json& op, const char* key, const std::string& where) {
  const auto it = op.find(key);
  if (it == op.end()) bad_line(where, std::string("no field `") + key + "`");
  return *it;
}

int int_field(const json& op, const char* key, const std::string& where) {
  const json& v = op_field(op, key, where);
  if (!v.is_number_integer()) bad_line(where, std::string("field `") + key + "` is not an integer");
  return v.get<int>();
}

double number_of(const json& v, const std::string& what, const std::string& where) {
  if (!v.is_number()) bad_line(where, what + " is not a number");
  return v.get<double>();
}

// A distribution as Optuna writes it: a JSON text inside a JSON string (a parsed object
// is accepted too).
json distribution_of(const json& v, const std::string& where) {
  json d = v.is_string() ? journal_parse(v.get<std::string>()) : v;
  if (!d.is_object() || !d.contains("name") || !d["name"].is_string() || !d.contains("attributes") ||
      !d["attributes"].is_object())
    bad_line(where, "a distribution is not {\"name\": ..., \"attributes\": {...}}");
  return d;
}

std::string time_or_empty(const json& v) { return v.is_string() ? v.get<std::string>() : std::string(); }

void merge_attr(json& attrs, const json& op, const char* key, const std::string& where) {
  const json& a = op_field(op, key, where);
  if (!a.is_object()) bad_line(where, std::string("field `") + key + "` is not an object");
  for (const auto& [k, v] : a.items()) attrs[k] = v;
}

}  // namespace

bool journal_finished(int state) { return state == kStateComplete || state == kStatePruned || state == kStateFail; }

const JournalStudy* JournalReplay::study_named(const std::string& name) const {
  for (const auto& [id, s] : studies_)
    if (s.name == name) return &s;
  return nullptr;
}

JournalTrial* JournalReplay::updatable(const json& op, const std::string& where) {
  const int id = int_field(op, "trial_id", where);
  if (id < 0 || id >= static_cast<int>(trials_.size())) return nullptr;
  JournalTrial& t = trials_[static_cast<std::size_t>(id)];
  if (journal_finished(t.state) || !studies_.count(t.study_id)) return nullptr;
  return &t;
}

void JournalReplay::apply(const json& op, const std::string& where) {
  const int code = int_field(op, "op_code", where);
  switch (code) {
    case kOpCreateStudy: {
      const std::string name = op_field(op, "study_name", where).get<std::string>();
      if (study_named(name)) return;  // Optuna ignores a second creation of a name
      JournalStudy s;
      s.id = next_study_id_++;
      s.name = name;
      const json& dirs = op_field(op, "directions", where);
      if (!dirs.is_array()) bad_line(where, "field `directions` is not a list");
      for (const auto& d : dirs) {
        if (!d.is_number_integer()) bad_line(where, "a direction is not an integer");
        s.directions.push_back(d.get<int>());
      }
      studies_.emplace(s.id, std::move(s));
      return;
    }
    case kOpDeleteStudy: studies_.erase(int_field(op, "study_id", where)); return;
    case kOpSetStudyUserAttr:
    case kOpSetStudySystemAttr: {
      const auto it = studies_.find(int_field(op, "study_id", where));
      if (it == studies_.end()) return;
      if (code == kOpSetStudyUserAttr) merge_attr(it->second.user_attrs, op, "user_attr", where);
      else merge_attr(it->second.system_attrs, op, "system_attr", where);
      return;
    }
    case kOpCreateTrial: {
      const int study_id = int_field(op, "study_id", where);
      const auto it = studies_.find(study_id);
      JournalTrial t;
      t.id = static_cast<int>(trials_.size());
      if (it == studies_.end()) return;  // Optuna: no trial id is used either
      t.study_id = study_id;
      t.number = static_cast<int>(it->second.trial_ids.size());
      t.datetime_start = time_or_empty(op_field(op, "datetime_start", where));
      if (op.contains("state")) t.state = int_field(op, "state", where);
      if (op.contains("distributions")) {
        if (!op["distributions"].is_object()) bad_line(where, "field `distributions` is not an object");
        for (const auto& [k, v] : op["distributions"].items()) t.distributions[k] = distribution_of(v, where);
      }
      if (op.contains("params")) {
        if (!op["params"].is_object()) bad_line(where, "field `params` is not an object");
        for (const auto& [k, v] : op["params"].items()) {
          if (!t.distributions.count(k)) bad_line(where, "param `" + k + "` has no distribution");
          t.params[k] = number_of(v, "param `" + k + "`", where);
        }
      }
      if (op.contains("values") && !op["values"].is_null()) t.values = op["values"];
      else if (op.contains("value") && !op["value"].is_null()) t.values = json::array({op["value"]});
      if (op.contains("user_attrs")) merge_attr(t.user_attrs, op, "user_attrs", where);
      if (op.contains("system_attrs")) merge_attr(t.system_attrs, op, "system_attrs", where);
      if (op.contains("intermediate_values") && op["intermediate_values"].is_object())
        for (const auto& [k, v] : op["intermediate_values"].items())
          if (v.is_number()) t.intermediate_values[std::stoll(k)] = v.get<double>();
      if (op.contains("datetime_complete")) t.datetime_complete = time_or_empty(op["datetime_complete"]);
      it->second.trial_ids.push_back(t.id);
      trials_.push_back(std::move(t));
      return;
    }
    case kOpSetTrialParam: {
      JournalTrial* t = updatable(op, where);
      if (!t) return;
      const std::string name = op_field(op, "param_name", where).get<std::string>();
      const json dist = distribution_of(op_field(op, "distribution", where), where);
      // Optuna refuses a param whose distribution kind differs from earlier trials'.
      for (int other : studies_.at(t->study_id).trial_ids) {
        const auto& o = trials_[static_cast<std::size_t>(other)];
        const auto d = o.distributions.find(name);
        if (d == o.distributions.end()) continue;
        if (d->second["name"] != dist["name"]) return;
        break;
      }
      t->distributions[name] = dist;
      t->params[name] = number_of(op_field(op, "param_value_internal", where), "param_value_internal", where);
      return;
    }
    case kOpSetTrialStateValues: {
      JournalTrial* t = updatable(op, where);
      if (!t) return;
      const int state = int_field(op, "state", where);
      if (state == kStateRunning && t->state == kStateRunning) return;
      if (state == kStateRunning) t->datetime_start = time_or_empty(op_field(op, "datetime_start", where));
      if (journal_finished(state)) t->datetime_complete = time_or_empty(op_field(op, "datetime_complete", where));
      t->state = state;
      if (op.contains("values") && !op["values"].is_null()) t->values = op["values"];
      return;
    }
    case kOpSetTrialIntermediateValue: {
      JournalTrial* t = updatable(op, where);
      if (!t) return;
      const json& v = op_field(op, "intermediate_value", where);
      t->intermediate_values[int_field(op, "step", where)] = v.is_number() ? v.get<double>() : 0.0;
      return;
    }
    case kOpSetTrialUserAttr:
    case kOpSetTrialSystemAttr: {
      JournalTrial* t = updatable(op, where);
      if (!t) return;
      if (code == kOpSetTrialUserAttr) merge_attr(t->user_attrs, op, "user_attr", where);
      else merge_attr(t->system_attrs, op, "system_attr", where);
      return;
    }
    default: bad_line(where, "unknown op_code " + std::to_string(code));
  }
}

}  // namespace qdse::storage::detail
