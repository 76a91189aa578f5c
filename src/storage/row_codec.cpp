#include "qdse/storage/row_codec.hpp"

#include <charconv>
#include <chrono>
#include <cmath>
#include <limits>
#include <optional>
#include <nlohmann/json.hpp>

#include "qdse/core/error.hpp"

namespace qdse::storage {
namespace {

using nlohmann::json;

[[noreturn]] void fail(std::string_view context, std::string_view column, const std::string& what) {
  throw Error(ErrorKind::Storage, std::string(context) + ": column `" + std::string(column) + "` " + what);
}

std::string shortest(double v) {
  if (v == 0.0) v = 0.0;  // -0 -> 0: one key per configuration
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, end);
}

// One double as JSON text; non-finite values as strings because JSON has no NaN.
std::string json_number(double v) {
  if (std::isnan(v)) return "\"NaN\"";
  if (std::isinf(v)) return v > 0 ? "\"Infinity\"" : "\"-Infinity\"";
  return shortest(v);
}

double to_double(const json& j, std::string_view context, std::string_view column) {
  if (j.is_number()) return j.get<double>();
  if (j.is_string()) {
    const auto& s = j.get_ref<const std::string&>();
    if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
    if (s == "Infinity") return std::numeric_limits<double>::infinity();
    if (s == "-Infinity") return -std::numeric_limits<double>::infinity();
  }
  fail(context, column, "holds " + j.dump() + " where a number was expected");
}

json parse(std::string_view text, std::string_view context, std::string_view column) {
  json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    std::string shown(text.substr(0, 80));
    fail(context, column, "is not valid JSON: `" + shown + (text.size() > 80 ? "...`" : "`"));
  }
  return j;
}

// The exact form encode_doubles writes for finite values ("[1,2.5,-3e-07]"), parsed
// without building a JSON tree: trials() decodes several arrays per row on every ask.
// Anything else (whitespace, "NaN" strings, garbage) returns nullopt for the full parser.
std::optional<std::vector<double>> parse_plain_array(std::string_view t) {
  if (t.size() < 2 || t.front() != '[' || t.back() != ']') return std::nullopt;
  std::vector<double> out;
  const char* p = t.data() + 1;
  const char* end = t.data() + t.size() - 1;
  if (p == end) return out;
  while (true) {
    if (!(*p == '-' || (*p >= '0' && *p <= '9'))) return std::nullopt;  // no nan/inf/+ spellings
    double v = 0.0;
    auto [next, ec] = std::from_chars(p, end, v);
    if (ec != std::errc()) return std::nullopt;
    out.push_back(v);
    if (next == end) return out;
    if (*next != ',') return std::nullopt;
    p = next + 1;
    if (p == end) return std::nullopt;
  }
}

// The exact form encode_metrics writes when every value is finite and no name needs an
// escape ({"a":1,"b":-0.5}), parsed without a JSON tree, like parse_plain_array (and, like
// it, keeping -0 as -0.0, which the JSON library reads as the integer 0). Anything else
// returns nullopt for the full parser.
std::optional<std::map<std::string, double>> parse_plain_object(std::string_view t) {
  if (t.size() < 2 || t.front() != '{' || t.back() != '}') return std::nullopt;
  std::map<std::string, double> out;
  const char* p = t.data() + 1;
  const char* end = t.data() + t.size() - 1;
  if (p == end) return out;
  while (true) {
    if (*p != '"') return std::nullopt;
    const char* key = ++p;
    while (p != end && *p != '"') {
      if (*p == '\\' || static_cast<unsigned char>(*p) < 0x20) return std::nullopt;
      ++p;
    }
    if (p == end || p + 1 == end || p[1] != ':') return std::nullopt;
    std::string name(key, p);
    p += 2;
    if (p == end || !(*p == '-' || (*p >= '0' && *p <= '9'))) return std::nullopt;
    double v = 0.0;
    auto [next, ec] = std::from_chars(p, end, v);
    if (ec != std::errc()) return std::nullopt;
    if (!out.emplace(std::move(name), v).second) return std::nullopt;  // duplicate: let the parser decide
    if (next == end) return out;
    if (*next != ',') return std::nullopt;
    p = next + 1;
    if (p == end) return std::nullopt;
  }
}

}  // namespace

double stored_double(double v) {
  if (v == 0.0) return 0.0;
  if (std::isnan(v)) return std::numeric_limits<double>::quiet_NaN();
  return v;
}

std::string encode_doubles(const std::vector<double>& values) {
  std::string out = "[";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    out += json_number(values[i]);
  }
  return out + "]";
}

std::vector<double> decode_doubles(std::string_view text, std::string_view column, std::string_view context) {
  if (auto fast = parse_plain_array(text)) return std::move(*fast);
  const json j = parse(text, context, column);
  if (!j.is_array()) fail(context, column, "must be a JSON array, got " + j.dump());
  std::vector<double> out;
  out.reserve(j.size());
  for (const auto& e : j) out.push_back(to_double(e, context, column));
  return out;
}

std::string encode_metrics(const std::map<std::string, double>& metrics) {
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : metrics) {
    if (!first) out += ',';
    first = false;
    out += json(k).dump();  // json escaping of the name
    out += ':';
    out += json_number(v);
  }
  return out + "}";
}

std::map<std::string, double> decode_metrics(std::string_view text, std::string_view context) {
  if (auto fast = parse_plain_object(text)) return std::move(*fast);  // the common case
  const json j = parse(text, context, "metrics_json");
  if (!j.is_object()) fail(context, "metrics_json", "must be a JSON object, got " + j.dump());
  std::map<std::string, double> out;
  for (const auto& [k, v] : j.items()) out[k] = to_double(v, context, "metrics_json");
  return out;
}

std::string encode_directions(const std::vector<search::Direction>& directions) {
  json j = json::array();
  for (auto d : directions) j.push_back(std::string(search::to_string(d)));
  return j.dump();
}

std::vector<search::Direction> decode_directions(std::string_view text, std::string_view context) {
  const json j = parse(text, context, "directions_json");
  if (!j.is_array() || j.empty()) fail(context, "directions_json", "must be a non-empty JSON array, got " + j.dump());
  std::vector<search::Direction> out;
  for (const auto& e : j) {
    if (e == "minimize") {
      out.push_back(search::Direction::Minimize);
    } else if (e == "maximize") {
      out.push_back(search::Direction::Maximize);
    } else {
      fail(context, "directions_json", "holds " + e.dump() + " (expected \"minimize\" or \"maximize\")");
    }
  }
  return out;
}

std::string params_key(const search::ParamVector& params) {
  std::string out;
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (i) out += ',';
    out += shortest(params[i]);
  }
  return out;
}

std::string canonical_json(std::string_view text, std::string_view context) {
  return parse(text, context, "space_json").dump();
}

search::TrialState decode_state(std::string_view text, std::string_view context) {
  for (auto s : {search::TrialState::Running, search::TrialState::Complete, search::TrialState::Failed,
                 search::TrialState::Pruned}) {
    if (text == search::to_string(s)) return s;
  }
  fail(context, "state", "holds `" + std::string(text) + "` (expected running, complete, failed or pruned)");
}

RowRules row_rules(std::string_view space_json, const std::vector<search::Direction>& directions) {
  RowRules rules;
  const json j = json::parse(space_json.begin(), space_json.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return rules;
  const auto params = j.find("params");
  if (params == j.end() || !params->is_array()) return rules;
  for (const auto& p : *params) {
    const bool named = p.is_object() && p.contains("name") && p["name"].is_string();
    const bool categorical = named && p.contains("choices") && p["choices"].is_array();
    if (!named || (!categorical && !p.contains("distribution"))) return RowRules{};
    rules.names.push_back(p["name"].get<std::string>());
    rules.n_choices.push_back(categorical ? p["choices"].size() : 0);
  }
  rules.known_space = true;
  rules.n_directions = directions.size();
  return rules;
}

namespace {

// The checks of RowRules (see row_codec.hpp) on a decoded trial.
void check_rules(const search::FrozenTrial& t, const RowRules& rules, std::string_view context) {
  if (!rules.known_space) return;
  if (t.params.size() != rules.names.size()) {
    fail(context, "params_json", "holds " + std::to_string(t.params.size()) + " values but the study's space has " +
                                     std::to_string(rules.names.size()) + " params");
  }
  for (std::size_t i = 0; i < t.params.size(); ++i) {
    const std::size_t n = rules.n_choices[i];
    const double v = t.params[i];
    if (n > 0 && !(v >= 0 && v < static_cast<double>(n) && v == std::floor(v))) {
      fail(context, "params_json", "holds " + shortest(v) + " for param `" + rules.names[i] +
                                       "`, which is not an index into its " + std::to_string(n) + " choices (0 to " +
                                       std::to_string(n - 1) + ")");
    }
  }
  if (t.state == search::TrialState::Complete && t.values.size() != rules.n_directions) {
    fail(context, "values_json", "holds " + std::to_string(t.values.size()) + " values for a complete trial of a " +
                                     std::to_string(rules.n_directions) + "-objective study");
  }
}

}  // namespace

search::FrozenTrial decode_trial(const RawTrialRow& row, std::string_view study_context, const RowRules& rules) {
  const std::string context = std::string(study_context) + ", trial " + std::to_string(row.number);
  if (row.number < 0 || row.number > std::numeric_limits<int>::max()) fail(context, "number", "is out of range");
  search::FrozenTrial t;
  t.number = static_cast<int>(row.number);
  t.state = decode_state(row.state, context);
  t.params = decode_doubles(row.params_json, "params_json", context);
  for (double p : t.params)
    if (!std::isfinite(p)) fail(context, "params_json", "holds a non-finite value");
  t.values = decode_doubles(row.values_json, "values_json", context);
  if (t.state == search::TrialState::Complete)  // a non-finite objective fails a trial (Study::tell)
    for (double v : t.values)
      if (!std::isfinite(v)) fail(context, "values_json", "holds a non-finite value for a complete trial");
  t.constraints = decode_doubles(row.constraints_json, "constraints_json", context);
  for (double c : t.constraints)
    if (std::isnan(c)) fail(context, "constraints_json", "holds NaN");
  t.metrics = decode_metrics(row.metrics_json, context);
  if (!(std::isfinite(row.sample_seconds) && row.sample_seconds >= 0))
    fail(context, "sample_seconds", "is not a finite number >= 0");
  if (!(std::isfinite(row.eval_seconds) && row.eval_seconds >= 0))
    fail(context, "eval_seconds", "is not a finite number >= 0");
  t.sample_seconds = row.sample_seconds;
  t.eval_seconds = row.eval_seconds;
  t.start_time = row.start_time;
  t.end_time = row.end_time;
  t.worker = row.worker;
  if (t.start_time.empty()) fail(context, "start_time", "is empty");
  if (search::is_finished(t.state) == t.end_time.empty()) {
    fail(context, "end_time", t.end_time.empty() ? "is empty for a finished trial" : "is set for a running trial");
  }
  check_rules(t, rules, context);
  return t;
}

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace qdse::storage
