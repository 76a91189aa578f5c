#include "journal_mapping.hpp"

#include <cmath>
#include <cstdio>
#include <ctime>
#include <limits>
#include <map>
#include <random>

#include <unistd.h>

#include "journal_file.hpp"
#include "qdse/core/error.hpp"
#include "qdse/storage/row_codec.hpp"

namespace qdse::storage::detail {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

// Optuna's distribution_to_json, key order included.
JournalParam make_param(const std::string& name, const ordered_json& dist) {
  return {name, json::parse(dist.dump()), journal_dump(dist)};
}

std::optional<JournalParam> categorical_param(const std::string& name, const json& choices) {
  for (const auto& c : choices)  // Optuna's choices: None, bool, int, float or str
    if (!(c.is_null() || c.is_boolean() || c.is_number() || c.is_string())) return std::nullopt;
  ordered_json d;
  d["name"] = "CategoricalDistribution";
  d["attributes"]["choices"] = ordered_json::parse(choices.dump());
  return make_param(name, d);
}

// `qdse search`'s distribution text (search::to_string): "int[0, 10] step 2",
// "float[1e-05, 0.1] log".
std::optional<JournalParam> distribution_param(const std::string& name, const std::string& text) {
  long long lo = 0, hi = 0, step = 1;
  int used = 0;
  if (std::sscanf(text.c_str(), "int[%lld, %lld]%n", &lo, &hi, &used) == 2) {
    const std::string rest = text.substr(static_cast<std::size_t>(used));
    if (!rest.empty() && std::sscanf(rest.c_str(), " step %lld", &step) != 1) return std::nullopt;
    ordered_json d;
    d["name"] = "IntDistribution";
    d["attributes"] = {{"log", false}, {"step", step}, {"low", lo}, {"high", hi}};
    return make_param(name, d);
  }
  double flo = 0, fhi = 0;
  if (std::sscanf(text.c_str(), "float[%lf, %lf]%n", &flo, &fhi, &used) == 2) {
    const std::string rest = text.substr(static_cast<std::size_t>(used));
    if (!rest.empty() && rest != " log") return std::nullopt;
    ordered_json d;
    d["name"] = "FloatDistribution";
    d["attributes"] = {{"step", nullptr}, {"low", flo}, {"high", fhi}, {"log", rest == " log"}};
    return make_param(name, d);
  }
  return std::nullopt;
}

// A categorical param with one choice (qdse's space lists e.g. `seq_blocks_2/config/name`
// = ["NA"]; a study Optuna wrote need not suggest it).
bool single_choice(const JournalParam& p) {
  const json& d = p.distribution;
  return d.value("name", "") == "CategoricalDistribution" && d.contains("attributes") &&
         d["attributes"].contains("choices") && d["attributes"]["choices"].size() == 1;
}

double number_or(const json& v, double fallback) { return v.is_number() ? v.get<double>() : fallback; }

std::vector<double> json_doubles(const json& v) {
  std::vector<double> out;
  if (!v.is_array()) return out;
  for (const auto& x : v) out.push_back(number_or(x, std::numeric_limits<double>::quiet_NaN()));
  return out;
}

// Seconds since the epoch of an isoformat time; nullopt when unreadable.
std::optional<double> epoch_of(const std::string& text) {
  int y, mo, d, h, mi, s, used = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &used) != 6) return std::nullopt;
  std::size_t at = static_cast<std::size_t>(used);
  double frac = 0;
  if (at < text.size() && text[at] == '.') {
    std::size_t end = at + 1;
    while (end < text.size() && std::isdigit(static_cast<unsigned char>(text[end]))) ++end;
    frac = std::stod("0" + text.substr(at, end - at));
    at = end;
  }
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  const std::string zone = text.substr(at);
  if (zone.empty()) {  // naive: local time, as Python's datetime.now() wrote it
    tm.tm_isdst = -1;
    return static_cast<double>(std::mktime(&tm)) + frac;
  }
  double offset = 0;
  if (zone != "Z") {
    int zh = 0, zm = 0;
    if (std::sscanf(zone.c_str() + 1, "%2d:%2d", &zh, &zm) != 2 || (zone[0] != '+' && zone[0] != '-')) return std::nullopt;
    offset = (zh * 3600 + zm * 60) * (zone[0] == '-' ? -1 : 1);
  }
  return static_cast<double>(timegm(&tm)) - offset + frac;
}

}  // namespace

JournalSpace journal_space_of(const std::string& space_json) {
  JournalSpace space;
  const json j = json::parse(space_json, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("params") || !j["params"].is_array()) return space;
  for (const auto& p : j["params"]) {
    if (!p.is_object() || !p.contains("name") || !p["name"].is_string()) return {};
    const std::string name = p["name"].get<std::string>();
    std::optional<JournalParam> param;
    if (p.contains("choices") && p["choices"].is_array()) param = categorical_param(name, p["choices"]);
    else if (p.contains("distribution") && p["distribution"].is_string())
      param = distribution_param(name, p["distribution"].get<std::string>());
    if (!param) return {};
    space.params.push_back(std::move(*param));
  }
  space.known = !space.params.empty();
  return space;
}

std::string describe_trials_space(const JournalReplay& replay, const JournalStudy& study, const std::string& context) {
  std::map<std::string, json> dists;
  for (int id : study.trial_ids)
    for (const auto& [name, d] : replay.trial(id).distributions) dists.emplace(name, d);
  json params = json::array();
  for (const auto& [name, d] : dists) {
    const std::string kind = d["name"].get<std::string>();
    const json& a = d["attributes"];
    if (kind == "CategoricalDistribution" && a.contains("choices")) {
      params.push_back({{"name", name}, {"choices", a["choices"]}});
    } else if ((kind == "IntDistribution" || kind == "IntUniformDistribution") && !a.value("log", false)) {
      char buf[96];
      const long long step = a.contains("step") && a["step"].is_number() ? a["step"].get<long long>() : 1;
      std::snprintf(buf, sizeof buf, "int[%lld, %lld]", a["low"].get<long long>(), a["high"].get<long long>());
      params.push_back({{"name", name}, {"distribution", std::string(buf) + (step != 1 ? " step " + std::to_string(step) : "")}});
    } else if (kind == "FloatDistribution" && (!a.contains("step") || a["step"].is_null())) {
      char buf[96];
      std::snprintf(buf, sizeof buf, "float[%.17g, %.17g]%s", a["low"].get<double>(), a["high"].get<double>(),
                    a.value("log", false) ? " log" : "");
      params.push_back({{"name", name}, {"distribution", buf}});
    } else {
      throw Error(ErrorKind::Storage, context + ": param `" + name + "` has distribution " + kind +
                                          " with attributes " + a.dump() + ", which qdse cannot search");
    }
  }
  return json{{"params", params}}.dump();
}

std::optional<search::ParamVector> params_of(const JournalTrial& t, const JournalSpace& space) {
  search::ParamVector out;
  if (!space.known) {
    const auto it = t.system_attrs.find(kAttrParams);
    if (it != t.system_attrs.end()) return json_doubles(*it);
    for (const auto& [name, v] : t.params) out.push_back(v);
    return out;
  }
  for (const auto& p : space.params) {
    const auto it = t.params.find(p.name);
    if (it != t.params.end()) {
      out.push_back(it->second);
    } else if (single_choice(p)) {
      out.push_back(0.0);  // implied: Optuna users do not suggest a constant
    } else {
      return std::nullopt;
    }
  }
  return out;
}

search::FrozenTrial to_frozen(const JournalTrial& t, const JournalSpace& space, const std::string& context) {
  search::FrozenTrial f;
  f.number = t.number;
  switch (t.state) {
    case kStateComplete: f.state = search::TrialState::Complete; break;
    case kStatePruned: f.state = search::TrialState::Pruned; break;
    case kStateFail: f.state = search::TrialState::Failed; break;
    default: f.state = search::TrialState::Running; break;  // RUNNING, WAITING
  }
  if (auto p = params_of(t, space)) {
    f.params = std::move(*p);
  } else if (f.state == search::TrialState::Complete) {
    std::string missing;
    for (const auto& p : space.params)
      if (!t.params.count(p.name) && !single_choice(p)) missing += (missing.empty() ? "`" : ", `") + p.name + "`";
    throw Error(ErrorKind::Storage, context + ", trial " + std::to_string(t.number) +
                                        ": a complete trial lacks param(s) " + missing +
                                        " of the study's space (qdse maps only trials that set every param with "
                                        "more than one choice)");
  }
  for (double& v : f.params) v = stored_double(v);
  const json& sys = t.system_attrs;
  f.values = json_doubles(t.values);
  if (f.values.empty() && sys.contains(kAttrValues)) f.values = json_doubles(sys[kAttrValues]);
  if (sys.contains(kAttrConstraints)) f.constraints = json_doubles(sys[kAttrConstraints]);
  for (const auto& [k, v] : t.user_attrs.items())
    if (v.is_number()) f.metrics.emplace(k, v.get<double>());
  f.sample_seconds = sys.contains(kAttrSampleSeconds) ? number_or(sys[kAttrSampleSeconds], 0.0) : 0.0;
  f.start_time = qdse_time(t.datetime_start);
  f.end_time = qdse_time(t.datetime_complete);
  if (sys.contains(kAttrEvalSeconds)) {
    f.eval_seconds = number_or(sys[kAttrEvalSeconds], 0.0);
  } else if (!t.datetime_complete.empty() && !t.datetime_start.empty()) {  // a trial Optuna ran
    f.eval_seconds = std::max(0.0, unix_time(t.datetime_complete) - unix_time(t.datetime_start));
  }
  if (sys.contains(kAttrWorker) && sys[kAttrWorker].is_string()) f.worker = sys[kAttrWorker].get<std::string>();
  return f;
}

std::string optuna_time_now() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return optuna_time_at(static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9);
}

std::string optuna_time_at(double unix_seconds) {
  // Whole microseconds first, so that a qdse time with milliseconds ("...56.789Z")
  // comes back from unix_time() unchanged.
  const long long micros = std::llround(unix_seconds * 1e6);
  auto secs = static_cast<std::time_t>(micros / 1000000);
  long long frac = micros % 1000000;
  if (frac < 0) {
    frac += 1000000;
    --secs;
  }
  std::tm local{};
  localtime_r(&secs, &local);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lld", local.tm_year + 1900, local.tm_mon + 1,
                local.tm_mday, local.tm_hour, local.tm_min, local.tm_sec, frac);
  return buf;
}

std::string qdse_time(const std::string& optuna_time) {
  if (optuna_time.empty()) return "";
  const auto epoch = epoch_of(optuna_time);
  if (!epoch) return optuna_time;  // unreadable: shown as written
  // Whole microseconds first (Optuna's resolution; a double of today's epoch holds them
  // exactly enough), then milliseconds truncated: "...56.789999" is "...56.789Z", and the
  // time optuna_time_at wrote for "...56.172Z" reads back as "...56.172Z".
  const long long micros = std::llround(*epoch * 1e6);
  auto secs = static_cast<std::time_t>(micros / 1000000);
  long long sub = micros % 1000000;
  if (sub < 0) {
    sub += 1000000;
    --secs;
  }
  const int millis = static_cast<int>(sub / 1000);
  std::tm utc{};
  gmtime_r(&secs, &utc);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900, utc.tm_mon + 1,
                utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, std::min(millis, 999));
  return buf;
}

double unix_time(const std::string& optuna_time) { return epoch_of(optuna_time).value_or(0.0); }

std::string new_worker_id() {
  std::mt19937_64 rng{std::random_device{}()};
  const auto a = rng(), b = rng();
  char buf[64];
  std::snprintf(buf, sizeof buf, "%08llx-%04llx-4%03llx-8%03llx-%012llx-%d", static_cast<unsigned long long>(a >> 32),
                static_cast<unsigned long long>((a >> 16) & 0xffff), static_cast<unsigned long long>(a & 0xfff),
                static_cast<unsigned long long>(b >> 52), static_cast<unsigned long long>(b & 0xffffffffffffULL),
                static_cast<int>(::getpid()));
  return buf;
}

int direction_code(search::Direction d) {
  return d == search::Direction::Minimize ? kDirectionMinimize : kDirectionMaximize;
}

search::Direction direction_of(int code, const std::string& context) {
  if (code == kDirectionMinimize) return search::Direction::Minimize;
  if (code == kDirectionMaximize) return search::Direction::Maximize;
  throw Error(ErrorKind::Storage, context + ": direction code " + std::to_string(code) +
                                      " (Optuna's 1 = minimize, 2 = maximize; 0 = not set is not searchable)");
}

ordered_json journal_op(int code, const std::string& worker_id) {
  ordered_json o;
  o["op_code"] = code;
  o["worker_id"] = worker_id;
  return o;
}

ordered_json journal_doubles(const std::vector<double>& values) {
  ordered_json a = ordered_json::array();
  for (double v : values) a.push_back(stored_double(v));
  return a;
}

ordered_json journal_directions(const std::vector<search::Direction>& directions) {
  ordered_json a = ordered_json::array();
  for (auto d : directions) a.push_back(direction_code(d));
  return a;
}

int journal_state_code(search::TrialState state) {
  switch (state) {
    case search::TrialState::Complete: return kStateComplete;
    case search::TrialState::Pruned: return kStatePruned;
    case search::TrialState::Failed: return kStateFail;
    case search::TrialState::Running: break;
  }
  return kStateRunning;
}

bool put_trial_params(ordered_json& op, ordered_json& system_attrs, const JournalSpace& space,
                      const search::ParamVector& params) {
  ordered_json dists = ordered_json::object(), values = ordered_json::object();
  if (space.known) {
    if (params.size() != space.params.size()) return false;
    for (std::size_t i = 0; i < params.size(); ++i) {
      dists[space.params[i].name] = space.params[i].text;
      values[space.params[i].name] = stored_double(params[i]);
    }
  } else {
    system_attrs[kAttrParams] = journal_doubles(params);
  }
  op["distributions"] = dists;
  op["params"] = values;
  return true;
}

}  // namespace qdse::storage::detail
