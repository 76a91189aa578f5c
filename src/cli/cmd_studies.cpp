// `qdse studies` and `qdse trials`: what a study storage holds (docs/storage.md).
//   qdse studies --storage URL                       one line per study: trials by state, best value
//   qdse trials --storage URL [--study NAME] [--format table|csv|json] [--out FILE]
// Neither needs the config: `qdse search` stores each study's params (names and
// choices) in its space description, which names the values here. Read-only: nothing
// is written to the storage.
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "qdse/core/error.hpp"
#include "qdse/core/file_write.hpp"
#include "qdse/report/trial_table.hpp"
#include "qdse/search/best_trials.hpp"
#include "qdse/storage/open_storage.hpp"
#include "qdse/storage/postgres_storage.hpp"
#include "qdse/storage/study_lookup.hpp"

namespace qdse::cli {
namespace {

std::string directions_text(const std::vector<search::Direction>& dirs) {
  std::string out;
  for (auto d : dirs) out += (out.empty() ? "" : ",") + std::string(search::to_string(d));
  return out;
}

void write_output(const std::string& out, const std::string& text) {
  if (out.empty()) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return;
  }
  write_file_atomic(out, text);
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
        if (const auto best = search::single_objective_best(trials, s.directions[0])) {
          j["best_value"] = best->trial.values[0];
          j["best_trial"] = best->trial.number;
          j["best_feasible"] = best->feasible;
        }
      } else {
        j["pareto_front_size"] = search::feasible_pareto_front(trials, s.directions).size();
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
    const auto& summary = storage::find_study(studies, study, url);
    const auto storage = storage::open_storage_read_only(url, summary.name);
    const auto trials = storage->trials();
    const auto names = report::TrialParams::from_description(summary.space_json);
    const std::string fmt = global.json ? "json" : format;
    const auto retry_of = fmt == "table" ? std::vector<std::optional<int>>() : report::retries_of(*storage, trials);
    std::string text;
    if (fmt == "json") {
      nlohmann::json all = nlohmann::json::array();
      for (std::size_t k = 0; k < trials.size(); ++k) all.push_back(report::trial_json(trials[k], names, retry_of[k]));
      text = all.dump(1) + "\n";
    } else if (fmt == "csv") {
      text = report::trials_csv(trials, names, summary.directions.size(), retry_of);
    } else {
      text = report::trials_text(trials, names);
    }
    write_output(out, text);
    if (!out.empty() && !global.json && !global.quiet)
      std::fprintf(stderr, "%zu trials of study `%s` written to %s\n", trials.size(), summary.name.c_str(), out.c_str());
  });
}

}  // namespace qdse::cli
