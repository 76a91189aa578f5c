// `qdse compare`: search strategies side by side on one config's space, repeated
// with seeds 0..R-1, sharing one evaluator (see include/qdse/report/compare.hpp).
#include <torch/torch.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "commands.hpp"
#include "qdse/core/progress.hpp"
#include "qdse/pipeline/workspace.hpp"
#include "qdse/lower/calibration.hpp"
#include "qdse/report/compare.hpp"
#include "qdse/report/gnuplot.hpp"

namespace qdse::cli {
namespace {

// Ctrl-C stops after the trial in flight (the comparison is then abandoned).
std::atomic<bool> g_compare_stop{false};
extern "C" void on_compare_sigint(int) { g_compare_stop.store(true); }

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

std::string default_compare_dir(const std::string& model) {
  const std::time_t now = std::time(nullptr);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", std::localtime(&now));
  std::string base = "runs/compare-" + model + "-" + stamp;
  std::string dir = base;
  for (int i = 1; std::filesystem::exists(dir); ++i) dir = base + "-" + std::to_string(i);
  return dir;
}

}  // namespace

void add_compare_command(CLI::App& app, GlobalOptions& global) {
  auto* cmd = app.add_subcommand("compare",
                                 "run several search strategies repeatedly on one space and compare how fast they "
                                 "find the optimum (one shared evaluator)");
  static ConfigOptions cfg;
  static std::string out, load, strategies = "bruteforce,random,tpe,nsgaii";
  static report::CompareOptions options;
  cfg.add_to(cmd);
  cmd->add_option("--strategies", strategies, "comma-separated samplers: bruteforce, random, tpe, nsgaii")
      ->capture_default_str();
  cmd->add_option("--repeats", options.repeats, "runs per strategy, seeds 0..R-1 (brute force runs once)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--n-trials", options.n_trials, "trials per run (default: search.strategy.setup.n_trials)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--tolerance", options.tolerance,
                  "'close to the optimum': objective units (one objective) or fraction of the optimum hypervolume")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--max-bruteforce", options.max_bruteforce, "skip brute force above this many configurations")
      ->capture_default_str();
  cmd->add_option("-o,--out", out, "output directory (default: runs/compare-<model>-<time>)");
  cmd->add_option("--load", load, "weights: a qdse checkpoint or a state-dict JSON (overrides `load_name`)");
  cmd->callback([&global] {
    io::RunConfig c = resolve_config(cfg);
    apply_threads(global, c.threads);
    const pipeline::StrategyConfig strategy = pipeline::parse_strategy(c);
    options.strategies = split_list(strategies);
    for (auto& s : options.strategies) s = report::canonical_strategy(s);  // fail before loading anything
    pipeline::Workspace ws = pipeline::open_model(c, load, /*require_weights=*/true);
    const pipeline::QuantSpace space(c, ws.graph);
    pipeline::load_data(ws, strategy.split != data::SplitKind::Test || space.uses_auto_frac());
    const auto& split = ws.dataset.split(strategy.split);
    const auto stats = quant::calibrate(ws.graph, ws.dataset.train.x, space.calibration());
    pipeline::TrialEvaluator evaluator(ws.graph, split.x, split.y, strategy.eval, stats);
    const std::string dir = out.empty() ? default_compare_dir(c.model) : out;
    std::filesystem::create_directories(dir);
    if (!c.file.empty())
      std::filesystem::copy_file(c.file, dir + "/config.toml", std::filesystem::copy_options::overwrite_existing);

    ProgressBar bar("compare", 1, !global.quiet && !global.json);
    g_compare_stop.store(false);
    auto previous = std::signal(SIGINT, on_compare_sigint);
    report::CompareResult result;
    try {
      result = report::run_compare(space, evaluator, strategy, options, &g_compare_stop, [&](int done, int total) {
        bar.set_total(total);
        bar.update(done);
      });
    } catch (...) {
      std::signal(SIGINT, previous);
      throw;
    }
    std::signal(SIGINT, previous);
    bar.finish();
    const int n_trials = options.n_trials > 0 ? options.n_trials : strategy.n_trials;
    std::string names;
    for (const auto& s : options.strategies) names += (names.empty() ? "" : ",") + s;
    result.provenance = {
        {"config", c.file}, {"model", c.model}, {"weights", ws.weights_path}, {"dataset", ws.dataset.name},
        {"split", std::string(data::to_string(strategy.split))},
        {"num_samples", strategy.eval.num_samples > 0 ? std::min(strategy.eval.num_samples, split.size()) : split.size()},
        {"strategies", names}, {"repeats", options.repeats}, {"seeds", "0.." + std::to_string(options.repeats - 1)},
        {"n_trials", n_trials}, {"tolerance", options.tolerance},
        {"space_size", result.space_size ? nlohmann::json(*result.space_size) : nlohmann::json(nullptr)},
        {"out", dir}};
    const auto gnuplot = report::find_gnuplot();
    const std::string html = report::write_compare_outputs(dir, result, gnuplot);
    if (!gnuplot) std::fprintf(stderr, "warning: gnuplot not found, compare.html has no figures (set QDSE_GNUPLOT or install gnuplot-nox)\n");
    if (global.json) {
      std::printf("%s\n", report::compare_to_json(result).dump(2).c_str());
      return;
    }
    std::printf("%s", report::format_compare_table(result).c_str());
    std::printf("outputs: %s (compare.csv, compare_runs.csv, compare_curves.csv, compare.json, %s)\n", dir.c_str(),
                html.c_str());
  });
}

}  // namespace qdse::cli
