// `qdse studies` and `qdse trials`: what a study storage holds (docs/storage.md).
//   qdse studies --storage URL                       one line per study: trials by state, best value
//   qdse trials --storage URL [--study NAME] [--format table|csv|json] [--out FILE]
// Neither needs the config: `qdse search` stores each study's params (names and
// choices) in its space description, which names the values here. Read-only: nothing
// is written to the storage.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "commands.hpp"
#include "qdse/core/error.hpp"
#include "qdse/report/run_outputs.hpp"
#include "qdse/search/pareto.hpp"
#include "qdse/storage/open_storage.hpp"
#include "qdse/storage/postgres_storage.hpp"

namespace qdse::cli {
namespace {

using search::FrozenTrial;
using report::csv_escape;

std::string state_name(search::TrialState s) {
  std::string out(search::to_string(s));
  for (auto& ch : out) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return out;  // as trials.json: COMPLETE, FAILED, ...
}

// A double as JSON writes it (shortest round trip); "" for NaN/inf.
std::string num(double v) { return std::isfinite(v) ? nlohmann::json(v).dump() : std::string(); }

// The best trial of a single-objective study, as Study::best_trial: feasible first, then
// the objective; without a feasible one, the least violation.
std::optional<FrozenTrial> best_single(const std::vector<FrozenTrial>& trials, search::Direction dir) {
  std::optional<FrozenTrial> best;
  auto better = [&](const FrozenTrial& a, const FrozenTrial& b) {  // a better than b?
    const bool fa = search::is_feasible(a), fb = search::is_feasible(b);
    if (fa != fb) return fa;
    if (!fa) {
      const double va = search::constraint_violation(a), vb = search::constraint_violation(b);
      if (va != vb) return va < vb;
    }
    return dir == search::Direction::Maximize ? a.values[0] > b.values[0] : a.values[0] < b.values[0];
  };
  for (const auto& t : trials)
    if (t.state == search::TrialState::Complete && t.values.size() == 1 && (!best || better(t, *best))) best = t;
  return best;
}

std::vector<FrozenTrial> pareto_front(const std::vector<FrozenTrial>& trials,
                                      const std::vector<search::Direction>& dirs) {
  std::vector<FrozenTrial> feasible;
  for (const auto& t : trials)
    if (t.state == search::TrialState::Complete && t.values.size() == dirs.size() && search::is_feasible(t))
      feasible.push_back(t);
  search::PointList points;
  for (const auto& t : feasible) points.push_back(t.values);
  std::vector<FrozenTrial> front;
  for (auto i : search::pareto_front_indices(points, dirs)) front.push_back(feasible[i]);
  return front;
}

std::string directions_text(const std::vector<search::Direction>& dirs) {
  std::string out;
  for (auto d : dirs) out += (out.empty() ? "" : ",") + std::string(search::to_string(d));
  return out;
}

// Param names and value labels from the stored space description (qdse search's
// format: {"params": [{"name": ..., "choices": [...]}, ...]}); p0, p1, ... and the raw
// numbers for a description written by someone else.
class ParamNames {
 public:
  explicit ParamNames(const std::string& space_json) {
    const auto j = nlohmann::json::parse(space_json, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("params") || !j["params"].is_array()) return;
    for (const auto& p : j["params"]) {
      if (!p.is_object() || !p.contains("name") || !p["name"].is_string()) {
        names_.clear();
        choices_.clear();
        return;
      }
      names_.push_back(p["name"].get<std::string>());
      choices_.push_back(p.contains("choices") && p["choices"].is_array() ? p["choices"] : nlohmann::json());
    }
  }
  std::size_t size(const FrozenTrial& t) const { return names_.empty() ? t.params.size() : names_.size(); }
  std::string name(std::size_t i) const { return i < names_.size() ? names_[i] : "p" + std::to_string(i); }
  nlohmann::json value(const FrozenTrial& t, std::size_t i) const {
    if (i >= t.params.size()) return nullptr;
    const double v = t.params[i];
    if (i < choices_.size() && choices_[i].is_array() && v >= 0 && v == std::floor(v) &&
        v < static_cast<double>(choices_[i].size()))
      return choices_[i][static_cast<std::size_t>(v)];
    return v;
  }
  std::size_t width() const { return names_.size(); }

 private:
  std::vector<std::string> names_;
  std::vector<nlohmann::json> choices_;
};

std::string label(const nlohmann::json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

nlohmann::json trial_json(const FrozenTrial& t, const ParamNames& names, std::optional<int> retry_of) {
  nlohmann::json params = nlohmann::json::object();
  for (std::size_t i = 0; i < names.size(t); ++i) params[names.name(i)] = names.value(t, i);
  nlohmann::json values = nlohmann::json::array();
  for (double v : t.values) values.push_back(std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr));
  return {{"number", t.number},
          {"state", state_name(t.state)},
          {"params", params},
          {"values", values},
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

std::string trials_csv(const std::vector<FrozenTrial>& trials, const ParamNames& names, std::size_t n_values,
                       const std::vector<std::optional<int>>& retry_of) {
  std::set<std::string> metric_names;
  std::size_t n_params = names.width();
  for (const auto& t : trials) {
    for (const auto& [k, v] : t.metrics) metric_names.insert(k);
    n_params = std::max(n_params, t.params.size());
  }
  std::ostringstream csv;
  csv << "number,state,feasible";
  for (std::size_t i = 0; i < n_values; ++i) csv << ",value_" << i;
  for (std::size_t i = 0; i < n_params; ++i) csv << "," << csv_escape(names.name(i));
  for (const auto& m : metric_names) csv << "," << csv_escape(m);
  csv << ",sample_seconds,eval_seconds,start_time,end_time,worker,retry_of\n";
  for (std::size_t k = 0; k < trials.size(); ++k) {
    const auto& t = trials[k];
    csv << t.number << "," << state_name(t.state) << "," << (search::is_feasible(t) ? 1 : 0);
    for (std::size_t i = 0; i < n_values; ++i) csv << "," << (i < t.values.size() ? num(t.values[i]) : "");
    for (std::size_t i = 0; i < n_params; ++i) {
      const auto v = names.value(t, i);
      csv << "," << (v.is_null() ? "" : csv_escape(label(v)));
    }
    for (const auto& m : metric_names) {
      auto it = t.metrics.find(m);
      csv << "," << (it == t.metrics.end() ? "" : num(it->second));
    }
    csv << "," << num(t.sample_seconds) << "," << num(t.eval_seconds) << "," << t.start_time << "," << t.end_time
        << "," << csv_escape(t.worker) << "," << (retry_of[k] ? std::to_string(*retry_of[k]) : "");
    csv << "\n";
  }
  return csv.str();
}

std::string trials_table(const std::vector<FrozenTrial>& trials, const ParamNames& names) {
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
    std::string params;
    for (std::size_t i = 0; i < names.size(t); ++i) {
      const auto v = names.value(t, i);
      if (v.is_string() && names.width() > 0) continue;  // format names, "auto"/"NA": the widths tell the story
      std::string n = names.name(i);
      if (const auto a = n.find('/'), b = n.rfind('/'); a != std::string::npos) n = n.substr(0, a) + "." + n.substr(b + 1);
      params += (params.empty() ? "" : " ") + n + "=" + label(v);
    }
    out << buf << params << "\n";
  }
  return out.str();
}

const storage::StudySummary& find_study(const std::vector<storage::StudySummary>& studies, const std::string& name,
                                        const std::string& url) {
  std::string list;
  for (const auto& s : studies) list += (list.empty() ? "" : ", ") + s.name;
  if (name.empty()) {
    if (studies.size() == 1) return studies[0];
    throw Error(ErrorKind::Config, "storage `" + storage::redact_url(url) + "` holds " +
                                       (studies.empty() ? std::string("no studies")
                                                        : std::to_string(studies.size()) + " studies (" + list + ")") +
                                       "; name one with --study");
  }
  for (const auto& s : studies)
    if (s.name == name) return s;
  throw Error(ErrorKind::Config, "no study `" + name + "` in `" + storage::redact_url(url) +
                                     "` (studies: " + (list.empty() ? "none" : list) + ")");
}

void write_output(const std::string& out, const std::string& text) {
  if (out.empty()) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return;
  }
  report::write_file_atomic(out, text);
}

}  // namespace

void add_studies_command(CLI::App& app, GlobalOptions& global) {
  auto* cmd = app.add_subcommand("studies", "list the studies of a storage: trials by state, best value");
  static std::string url;
  cmd->add_option("--storage", url, "storage URL (sqlite:///path.db, path.db, postgresql://...)")->required();
  cmd->callback([&global] {
    const auto studies = storage::list_studies(url);
    nlohmann::json all = nlohmann::json::array();
    for (const auto& s : studies) {
      const auto trials = storage::open_storage_read_only(url, s.name)->trials();
      nlohmann::json j = {{"name", s.name},
                          {"directions", nlohmann::json::array()},
                          {"created_time", s.created_time},
                          {"n_trials", s.n_trials()},
                          {"complete", s.n_complete},
                          {"running", s.n_running},
                          {"failed", s.n_failed},
                          {"pruned", s.n_pruned},
                          {"best_value", nullptr},
                          {"best_trial", nullptr}};
      for (auto d : s.directions) j["directions"].push_back(std::string(search::to_string(d)));
      if (s.directions.size() == 1) {
        if (const auto best = best_single(trials, s.directions[0])) {
          j["best_value"] = best->values[0];
          j["best_trial"] = best->number;
          j["best_feasible"] = search::is_feasible(*best);
        }
      } else {
        j["pareto_front_size"] = pareto_front(trials, s.directions).size();
      }
      all.push_back(j);
    }
    if (global.json) {
      std::printf("%s\n", all.dump(2).c_str());
      return;
    }
    if (all.empty()) {
      std::printf("no studies in %s\n", storage::redact_url(url).c_str());
      return;
    }
    std::printf("%-24s %-20s %7s %8s %7s %7s %7s  %-14s %s\n", "study", "directions", "trials", "complete", "running",
                "failed", "pruned", "best", "created");
    for (std::size_t i = 0; i < all.size(); ++i) {
      const auto& j = all[i];
      std::string best = "-";
      char buf[64];
      if (!j["best_value"].is_null()) {
        std::snprintf(buf, sizeof buf, "%.6g (#%d)%s", j["best_value"].get<double>(), j["best_trial"].get<int>(),
                      j.value("best_feasible", true) ? "" : "!");
        best = buf;
      } else if (j.contains("pareto_front_size")) {
        best = "front of " + std::to_string(j["pareto_front_size"].get<std::size_t>());
      }
      std::printf("%-24s %-20s %7d %8d %7d %7d %7d  %-14s %s\n", j["name"].get<std::string>().c_str(),
                  directions_text(studies[i].directions).c_str(), j["n_trials"].get<int>(), j["complete"].get<int>(),
                  j["running"].get<int>(), j["failed"].get<int>(), j["pruned"].get<int>(), best.c_str(),
                  j["created_time"].get<std::string>().c_str());
    }
  });
}

void add_trials_command(CLI::App& app, GlobalOptions& global) {
  auto* cmd = app.add_subcommand("trials", "print or export the trials of a study (table, CSV or JSON)");
  static std::string url, study, format = "table", out;
  cmd->add_option("--storage", url, "storage URL (sqlite:///path.db, path.db, postgresql://...)")->required();
  cmd->add_option("--study", study, "study name (default: the storage's only study)");
  cmd->add_option("--format", format, "table (default), csv or json (--json implies json)")
      ->check(CLI::IsMember({"table", "csv", "json"}));
  cmd->add_option("-o,--out", out, "write to this file instead of stdout");
  cmd->callback([&global] {
    const auto studies = storage::list_studies(url);
    const auto& summary = find_study(studies, study, url);
    const auto storage = storage::open_storage_read_only(url, summary.name);
    const auto trials = storage->trials();
    const ParamNames names(summary.space_json);
    const std::string fmt = global.json ? "json" : format;
    std::vector<std::optional<int>> retry_of;
    if (fmt != "table")
      for (const auto& t : trials) retry_of.push_back(storage->retry_of(t.number));
    std::string text;
    if (fmt == "json") {
      nlohmann::json all = nlohmann::json::array();
      for (std::size_t k = 0; k < trials.size(); ++k) all.push_back(trial_json(trials[k], names, retry_of[k]));
      text = all.dump(1) + "\n";
    } else if (fmt == "csv") {
      text = trials_csv(trials, names, summary.directions.size(), retry_of);
    } else {
      text = trials_table(trials, names);
    }
    write_output(out, text);
    if (!out.empty() && !global.json && !global.quiet)
      std::fprintf(stderr, "%zu trials of study `%s` written to %s\n", trials.size(), summary.name.c_str(), out.c_str());
  });
}

}  // namespace qdse::cli
