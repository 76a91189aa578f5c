// `qdse plan`: the sensitivity table (measured now, or read with --sensitivity) as an
// exact budgeted problem (pipeline/sensitivity_plan.hpp); prints the whole predicted
// front of accuracy against one sum-over-layers cost, or the best plan under --budget;
// --evaluate measures every printed plan and compares.
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <optional>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "qdse/pipeline/sensitivity_plan.hpp"
#include "sensitivity_run.hpp"

namespace qdse::cli {

void add_plan_command(CLI::App& app, GlobalOptions& global) {
  static ConfigOptions cfg;
  static std::string sensitivity, cost = "model_size";
  static std::optional<double> budget;
  static bool evaluate = false;
  auto* cmd = cfg.add_command(app, "plan",
                              "predict the best configurations from per-layer sensitivities: the whole "
                              "accuracy/cost front, or the best plan under a budget (exact solver)",
                              ConfigOptions::Load::Yes);
  cmd->add_option("--sensitivity", sensitivity, "read this sensitivity.json instead of running the pass");
  cmd->add_option("--cost", cost, "cost metric, a sum over layers: model_size, model_size_bits, bitops, ...")
      ->capture_default_str();
  cmd->add_option("--budget", budget, "only the best plan whose cost is at most this (the cost's unit)")
      ->check(finite_number(0));
  cmd->add_flag("--evaluate", evaluate, "evaluate every plan: predicted vs measured accuracy, Spearman's rho");
  cmd->callback([&global] {
    std::unique_ptr<pipeline::SearchSession> session;
    pipeline::SensitivityTable table;
    if (!sensitivity.empty()) {
      table = pipeline::read_sensitivity_file(sensitivity);
    } else {
      session = open_sensitivity_session(global, cfg);
      table = run_sensitivity_pass(*session);
    }
    const auto problem = pipeline::plan_problem(table, cost);  // checks --cost before any evaluation
    double solver_ms = 0;
    std::vector<pipeline::PlanPoint> points;
    if (budget) points.push_back(pipeline::plan_budget(problem, *budget, &solver_ms));
    else points = pipeline::plan_front(problem, &solver_ms);
    std::vector<double> measured;
    if (evaluate) {
      if (!session) session = open_sensitivity_session(global, cfg);
      auto& evaluator = *session->evaluators().at(0);
      for (const auto& p : points) {
        const auto params = pipeline::plan_params(table, session->space(), p);
        measured.push_back(evaluator.evaluate(session->space().decode(params)).metrics.at("accuracy"));
      }
    }
    std::vector<double> predicted;
    for (const auto& p : points) predicted.push_back(p.predicted_accuracy);
    const double rho = evaluate ? pipeline::spearman(predicted, measured) : std::nan("");
    if (global.json) {
      nlohmann::json rows = nlohmann::json::array();
      for (std::size_t i = 0; i < points.size(); ++i) {
        nlohmann::json choices;
        for (std::size_t g = 0; g < table.groups.size(); ++g)
          choices[table.groups[g].name] = table.groups[g].rows[points[i].rows[g]].label;
        nlohmann::json row = {{"cost", points[i].predicted_cost},
                              {"predicted_accuracy", points[i].predicted_accuracy},
                              {"choices", choices}};
        if (evaluate) row["measured_accuracy"] = measured[i];
        rows.push_back(row);
      }
      nlohmann::json out = {{"cost_metric", cost}, {"solver_ms", solver_ms}, {"plans", rows},
                            {"pass", {{"evaluations", table.evaluations}, {"seconds", table.seconds}}}};
      if (evaluate) out["spearman"] = std::isnan(rho) ? nlohmann::json(nullptr) : nlohmann::json(rho);
      std::printf("%s\n", out.dump(2).c_str());
      return;
    }
    std::printf("%s %zu predicted plan%s of accuracy against %s (solver %.3f ms; pass %d evaluations, %.2f s)\n",
                budget ? "best of" : "front:", points.size(), points.size() == 1 ? "" : "s", cost.c_str(),
                solver_ms, table.evaluations, table.seconds);
    std::printf("%16s %10s %s  choices\n", cost.c_str(), "predicted", evaluate ? " measured" : "");
    for (std::size_t i = 0; i < points.size(); ++i) {
      std::string choices;
      for (std::size_t g = 0; g < table.groups.size(); ++g) {
        if (table.groups[g].rows.size() < 2) continue;  // nothing to choose
        if (!choices.empty()) choices += "; ";
        choices += table.groups[g].name;
        choices += ": ";
        choices += table.groups[g].rows[points[i].rows[g]].label;
      }
      if (evaluate)
        std::printf("%16.8g %10.4f %9.4f  %s\n", points[i].predicted_cost, points[i].predicted_accuracy, measured[i],
                    choices.c_str());
      else
        std::printf("%16.8g %10.4f  %s\n", points[i].predicted_cost, points[i].predicted_accuracy, choices.c_str());
    }
    if (evaluate) std::printf("spearman(predicted, measured accuracy) = %.4f over %zu plans\n", rho, points.size());
  });
}

}  // namespace qdse::cli
