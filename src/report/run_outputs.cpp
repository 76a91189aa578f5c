#include "qdse/report/run_outputs.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "qdse/core/error.hpp"
#include "qdse/report/trial_table.hpp"
#include "qdse/search/best_trials.hpp"

namespace qdse::report {

nlohmann::json write_run_outputs(const std::string& dir, const search::Study& study,
                                 const pipeline::QuantSpace& space,
                                 const pipeline::StrategyConfig& strategy,
                                 const pipeline::SearchSummary& summary, const nlohmann::json& provenance,
                                 nlohmann::json* trials_json, std::vector<search::FrozenTrial>* best_trials) {
  std::filesystem::create_directories(dir);
  const auto trials = study.trials();
  const auto params = TrialParams::from_space(space);
  const auto retry_of = retries_of(study.storage(), trials);
  auto retry_of_number = [&](int number) {  // trials are ordered by number
    const auto it = std::lower_bound(trials.begin(), trials.end(), number,
                                     [](const search::FrozenTrial& t, int n) { return t.number < n; });
    return it != trials.end() && it->number == number ? retry_of[it - trials.begin()] : std::nullopt;
  };
  nlohmann::json all = nlohmann::json::array();
  for (std::size_t k = 0; k < trials.size(); ++k) all.push_back(trial_json(trials[k], params, retry_of[k]));
  write_file_atomic(dir + "/trials.json", all.dump(1));
  const std::size_t n_values = strategy.directions().size();
  write_file_atomic(dir + "/trials.csv", trials_csv(trials, params, n_values, retry_of));

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
  if (strategy.eval.fidelity.enabled) {  // only then: runs without it keep their best.json
    best["summary"]["pruned"] = summary.pruned;
    best["summary"]["samples_evaluated"] = summary.samples_evaluated;
  }
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
  // The one rule (search/best_trials.hpp) over the trials just written.
  std::vector<search::FrozenTrial> winners;
  if (n_values == 1) {
    if (auto b = search::single_objective_best(trials, study.directions()[0])) {
      best["feasible"] = b->feasible;
      if (!b->feasible)
        best["message"] = "no trial met every constraint; this is the one that violates them least";
      winners.push_back(std::move(b->trial));
    }
  } else {
    best["feasible"] = true;
    winners = search::feasible_pareto_front(trials, study.directions());
  }
  for (const auto& t : winners) best["trials"].push_back(trial_json(t, params, retry_of_number(t.number)));
  write_file_atomic(dir + "/best.json", best.dump(2));
  if (trials_json) *trials_json = std::move(all);
  if (best_trials) *best_trials = std::move(winners);
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
    for (const auto& [k, v] : t.at("params").items())
      if (const auto cell = compact_param(k, v); !cell.empty()) cfg += (cfg.empty() ? "" : " ") + cell;
    out << "  " << cfg << "\n";
  }
  return out.str();
}

}  // namespace qdse::report
