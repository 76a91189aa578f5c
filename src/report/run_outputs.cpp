#include "qdse/report/run_outputs.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "qdse/core/error.hpp"

namespace qdse::report {
namespace {

std::string state_name(search::TrialState s) {
  switch (s) {
    case search::TrialState::Running: return "RUNNING";
    case search::TrialState::Complete: return "COMPLETE";
    case search::TrialState::Failed: return "FAILED";
    case search::TrialState::Pruned: return "PRUNED";
  }
  return "?";
}

nlohmann::json value_json(const quant::ConfigValue& v) {
  return std::visit([](const auto& x) { return nlohmann::json(x); }, v);
}

std::string num(double v) {
  if (!std::isfinite(v)) return "";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

}  // namespace

nlohmann::json trial_to_json(const search::FrozenTrial& t, const pipeline::QuantSpace& space) {
  nlohmann::json j;
  j["number"] = t.number;
  j["state"] = state_name(t.state);
  nlohmann::json params = nlohmann::json::object();
  if (t.params.size() == space.space().n_params())
    for (const auto& [k, v] : space.describe(t.params)) params[k] = value_json(v);
  j["params"] = params;
  j["values"] = t.values;
  j["constraints"] = t.constraints;
  j["feasible"] = search::is_feasible(t);
  j["metrics"] = t.metrics;
  j["start_time"] = t.start_time;
  j["end_time"] = t.end_time;
  j["sample_seconds"] = t.sample_seconds;
  j["eval_seconds"] = t.eval_seconds;
  j["worker"] = t.worker;
  return j;
}

nlohmann::json write_run_outputs(const std::string& dir, const search::Study& study,
                                 const pipeline::QuantSpace& space,
                                 const pipeline::StrategyConfig& strategy,
                                 const pipeline::SearchSummary& summary, const nlohmann::json& provenance,
                                 nlohmann::json* trials_json) {
  std::filesystem::create_directories(dir);
  const auto trials = study.trials();
  nlohmann::json all = nlohmann::json::array();
  for (const auto& t : trials) all.push_back(trial_to_json(t, space));
  write_file_atomic(dir + "/trials.json", all.dump(1));

  // CSV: fixed columns, then params, then metrics (union over trials, sorted).
  std::set<std::string> metric_names;
  for (const auto& t : trials)
    for (const auto& [k, v] : t.metrics) metric_names.insert(k);
  std::ostringstream csv;
  csv << "number,state,feasible,sample_seconds,eval_seconds,start_time,end_time";
  const std::size_t n_values = strategy.directions().size();
  for (std::size_t i = 0; i < n_values; ++i) csv << ",value_" << i;
  for (std::size_t i = 0; i < space.space().n_params(); ++i)
    csv << "," << csv_escape(space.space().name(i));
  for (const auto& m : metric_names) csv << "," << csv_escape(m);
  csv << "\n";
  for (const auto& t : trials) {
    csv << t.number << "," << state_name(t.state) << "," << (search::is_feasible(t) ? 1 : 0) << ","
        << num(t.sample_seconds) << "," << num(t.eval_seconds) << "," << t.start_time << "," << t.end_time;
    for (std::size_t i = 0; i < n_values; ++i) csv << "," << (i < t.values.size() ? num(t.values[i]) : "");
    if (t.params.size() == space.space().n_params()) {
      const auto d = space.describe(t.params);
      for (std::size_t i = 0; i < space.space().n_params(); ++i) {
        std::string v = quant::to_string(d.at(space.space().name(i)));
        if (v.size() >= 2 && v.front() == '"') v = v.substr(1, v.size() - 2);
        csv << "," << csv_escape(v);
      }
    } else {
      for (std::size_t i = 0; i < space.space().n_params(); ++i) csv << ",";
    }
    for (const auto& m : metric_names) {
      auto it = t.metrics.find(m);
      csv << "," << (it == t.metrics.end() ? "" : num(it->second));
    }
    csv << "\n";
  }
  write_file_atomic(dir + "/trials.csv", csv.str());

  nlohmann::json best;
  best["provenance"] = provenance;
  best["float_metrics"] = summary.float_metrics;
  best["summary"] = {{"trials", summary.trials}, {"failed", summary.failed}, {"cached", summary.cached},
                     {"exhausted", summary.exhausted}, {"timed_out", summary.timed_out},
                     {"interrupted", summary.interrupted}, {"seconds", summary.seconds},
                     {"sampler_seconds", summary.sampler_seconds}, {"eval_seconds", summary.eval_seconds},
                     {"rss_after_first_trial_mb", static_cast<double>(summary.rss_after_first_trial) / (1 << 20)},
                     {"peak_rss_mb", static_cast<double>(summary.peak_rss) / (1 << 20)},
                     {"errors", summary.errors}};
  nlohmann::json objective = nlohmann::json::array();
  for (const auto& m : strategy.metrics)
    objective.push_back({{"metric", m.name}, {"scale", m.scale},
                         {"direction", m.direction == search::Direction::Maximize ? "maximize" : "minimize"}});
  best["objective"] = {{"sum_scaled_metrics", strategy.sum_scaled_metrics}, {"metrics", objective},
                       {"direction", strategy.direction == search::Direction::Maximize ? "maximize" : "minimize"}};
  nlohmann::json constraints = nlohmann::json::array();
  for (const auto& c : strategy.constraints) constraints.push_back({{"metric", c.metric}, {"rule", c.text}});
  best["constraints"] = constraints;
  best["params"] = space.space().names();  // in space order (graph order), for the report
  best["trials"] = nlohmann::json::array();
  if (n_values == 1) {
    if (auto b = study.best_trial()) {
      best["feasible"] = b->feasible;
      best["trials"].push_back(trial_to_json(b->trial, space));
      if (!b->feasible)
        best["message"] = "no trial met every constraint; this is the one that violates them least";
    }
  } else {
    best["feasible"] = true;
    for (const auto& t : study.best_trials()) best["trials"].push_back(trial_to_json(t, space));
  }
  write_file_atomic(dir + "/best.json", best.dump(2));
  if (trials_json) *trials_json = std::move(all);
  return best;
}

std::string format_best_table(const nlohmann::json& best, const pipeline::StrategyConfig& strategy) {
  std::ostringstream out;
  const auto& trials = best.at("trials");
  if (trials.empty()) return "no completed trial\n";
  out << (trials.size() == 1 ? "best trial" : "Pareto front (" + std::to_string(trials.size()) + " trials)")
      << (best.value("feasible", true) ? "" : " -- infeasible: " + best.value("message", std::string()))
      << "\n";
  char buf[64];
  out << "  trial  ";
  if (strategy.sum_scaled_metrics) out << "   objective";
  for (const auto& m : strategy.metrics) {
    std::snprintf(buf, sizeof buf, " %14s", m.name.c_str());
    out << buf;
  }
  out << "  config\n";
  for (const auto& t : trials) {
    std::snprintf(buf, sizeof buf, "  %5d  ", t.at("number").get<int>());
    out << buf;
    if (strategy.sum_scaled_metrics) {
      std::snprintf(buf, sizeof buf, "%12.6g", t.at("values").at(0).get<double>());
      out << buf;
    }
    for (const auto& m : strategy.metrics) {
      std::snprintf(buf, sizeof buf, " %14.6g", t.at("metrics").at(m.name).get<double>());
      out << buf;
    }
    std::string cfg;
    for (const auto& [k, v] : t.at("params").items()) {
      if (v.is_string()) continue;  // format names, "auto"/"NA": the widths tell the story
      cfg += (cfg.empty() ? "" : " ") + k.substr(0, k.find('/')) + "." + k.substr(k.rfind('/') + 1) + "=" +
             (v.is_string() ? v.get<std::string>() : v.dump());
    }
    out << "  " << cfg << "\n";
  }
  return out.str();
}

}  // namespace qdse::report
