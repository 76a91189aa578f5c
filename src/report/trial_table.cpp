// The one trial->JSON/CSV writer; see include/qdse/report/trial_table.hpp.
#include "qdse/report/trial_table.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <set>
#include <sstream>

#include "qdse/core/file_write.hpp"
#include "qdse/pipeline/quant_space.hpp"

namespace qdse::report {

TrialParams TrialParams::from_description(const std::string& space_json) {
  TrialParams p;
  std::vector<nlohmann::json> choices;
  const auto j = nlohmann::json::parse(space_json, nullptr, false);
  if (!j.is_discarded() && j.is_object() && j.contains("params") && j["params"].is_array()) {
    for (const auto& d : j["params"]) {
      if (!d.is_object() || !d.contains("name") || !d["name"].is_string()) {
        p.names_.clear();
        choices.clear();
        break;
      }
      p.names_.push_back(d["name"].get<std::string>());
      choices.push_back(d.contains("choices") && d["choices"].is_array() ? d["choices"] : nlohmann::json());
    }
  }
  p.decode_ = [choices](const search::FrozenTrial& t) {
    std::vector<nlohmann::json> out;
    for (std::size_t i = 0; i < t.params.size(); ++i) {
      const double v = t.params[i];
      // A choice index names its label; anything else (a damaged row, a float param) stays a number.
      if (i < choices.size() && choices[i].is_array() && v >= 0 && v == std::floor(v) &&
          v < static_cast<double>(choices[i].size()))
        out.push_back(choices[i][static_cast<std::size_t>(v)]);
      else
        out.push_back(v);
    }
    return out;
  };
  return p;
}

TrialParams TrialParams::from_space(const pipeline::QuantSpace& space) {
  TrialParams p;
  p.names_ = space.space().names();
  p.decode_ = [&space, names = p.names_](const search::FrozenTrial& t) {
    std::vector<nlohmann::json> out;
    if (t.params.size() != names.size()) return out;
    const auto dict = space.describe(t.params);
    for (const auto& n : names) {
      auto it = dict.find(n);
      out.push_back(it == dict.end() ? nlohmann::json(nullptr) : pipeline::choice_json(it->second));
    }
    return out;
  };
  return p;
}

std::size_t TrialParams::width(const search::FrozenTrial& t) const {
  return std::max(names_.size(), t.params.size());
}

std::string TrialParams::name(std::size_t i) const {
  return i < names_.size() ? names_[i] : "p" + std::to_string(i);
}

std::vector<nlohmann::json> TrialParams::values(const search::FrozenTrial& t) const {
  std::vector<nlohmann::json> out = decode_ ? decode_(t) : std::vector<nlohmann::json>();
  out.resize(std::max(out.size(), width(t)), nullptr);
  return out;
}

std::string state_name(search::TrialState state) {
  std::string out(search::to_string(state));
  for (auto& ch : out) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return out;
}

std::string number_text(double v) { return std::isfinite(v) ? nlohmann::json(v).dump() : std::string(); }

std::string value_label(const nlohmann::json& v) {
  if (v.is_null()) return "";
  return v.is_string() ? v.get<std::string>() : v.dump();
}

std::vector<std::optional<int>> retries_of(const search::Storage& storage,
                                           const std::vector<search::FrozenTrial>& trials) {
  std::vector<std::optional<int>> out(trials.size());
  std::set<search::ParamVector> seen;
  for (std::size_t k = 0; k < trials.size(); ++k)
    if (!seen.insert(trials[k].params).second) out[k] = storage.retry_of(trials[k].number);
  return out;
}

nlohmann::json trial_json(const search::FrozenTrial& t, const TrialParams& params, std::optional<int> retry_of) {
  nlohmann::json p = nlohmann::json::object();
  const auto values = params.values(t);
  for (std::size_t i = 0; i < values.size(); ++i) p[params.name(i)] = values[i];
  nlohmann::json objective = nlohmann::json::array();
  for (double v : t.values) objective.push_back(std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr));
  return {{"number", t.number},
          {"state", state_name(t.state)},
          {"params", p},
          {"values", objective},
          {"constraints", t.constraints},
          {"feasible", search::is_feasible(t)},
          {"metrics", t.metrics},
          {"start_time", t.start_time},
          {"end_time", t.end_time},
          {"sample_seconds", t.sample_seconds},
          {"eval_seconds", t.eval_seconds},
          {"worker", t.worker},
          {"retry_of", retry_of ? nlohmann::json(*retry_of) : nlohmann::json(nullptr)}};
}

std::string trials_csv(const std::vector<search::FrozenTrial>& trials, const TrialParams& params,
                       std::size_t n_values, const std::vector<std::optional<int>>& retry_of) {
  std::set<std::string> metric_names;
  std::size_t n_params = params.named();
  for (const auto& t : trials) {
    for (const auto& [k, v] : t.metrics) metric_names.insert(k);
    n_params = std::max(n_params, params.width(t));
  }
  std::ostringstream csv;
  csv << "number,state,feasible";
  for (std::size_t i = 0; i < n_values; ++i) csv << ",value_" << i;
  for (std::size_t i = 0; i < n_params; ++i) csv << "," << csv_escape(params.name(i));
  for (const auto& m : metric_names) csv << "," << csv_escape(m);
  csv << ",sample_seconds,eval_seconds,start_time,end_time,worker,retry_of\n";
  for (std::size_t k = 0; k < trials.size(); ++k) {
    const auto& t = trials[k];
    csv << t.number << "," << state_name(t.state) << "," << (search::is_feasible(t) ? 1 : 0);
    for (std::size_t i = 0; i < n_values; ++i) csv << "," << (i < t.values.size() ? number_text(t.values[i]) : "");
    const auto values = params.values(t);
    for (std::size_t i = 0; i < n_params; ++i) csv << "," << (i < values.size() ? csv_escape(value_label(values[i])) : "");
    for (const auto& m : metric_names) {
      auto it = t.metrics.find(m);
      csv << "," << (it == t.metrics.end() ? "" : number_text(it->second));
    }
    const auto retry = k < retry_of.size() ? retry_of[k] : std::nullopt;
    csv << "," << number_text(t.sample_seconds) << "," << number_text(t.eval_seconds) << ","
        << csv_escape(t.start_time) << "," << csv_escape(t.end_time) << "," << csv_escape(t.worker) << ","
        << (retry ? std::to_string(*retry) : "") << "\n";
  }
  return csv.str();
}

std::string compact_param(const std::string& name, const nlohmann::json& value) {
  if (value.is_string()) return "";
  std::string n = name;
  if (const auto a = n.find('/'), b = n.rfind('/'); a != std::string::npos) n = n.substr(0, a) + "." + n.substr(b + 1);
  return n + "=" + (value.is_null() ? "null" : value_label(value));
}

std::string trials_text(const std::vector<search::FrozenTrial>& trials, const TrialParams& params) {
  std::ostringstream out;
  char buf[96];
  std::snprintf(buf, sizeof buf, "%6s  %-9s  %-12s  ", "trial", "state", "value");
  out << buf << "params\n";
  for (const auto& t : trials) {
    std::string values;
    for (double v : t.values) {
      char vb[32];
      std::snprintf(vb, sizeof vb, "%.6g", v);
      values += (values.empty() ? "" : ",") + std::string(vb);
    }
    std::snprintf(buf, sizeof buf, "%6d  %-9s  %-12s  ", t.number, state_name(t.state).c_str(), values.c_str());
    std::string cells;
    const auto labels = params.values(t);
    for (std::size_t i = 0; i < labels.size(); ++i)
      if (const auto cell = compact_param(params.name(i), labels[i]); !cell.empty())
        cells += (cells.empty() ? "" : " ") + cell;
    out << buf << cells << "\n";
  }
  return out.str();
}

}  // namespace qdse::report
