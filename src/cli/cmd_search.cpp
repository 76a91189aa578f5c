// `qdse search` and `qdse space`: the mixed-precision search of a config's
// [search] tables, and a look at its search space.
#include <torch/torch.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "qdse/core/progress.hpp"
#include "qdse/pipeline/search_runner.hpp"
#include "qdse/pipeline/workspace.hpp"
#include "qdse/report/run_outputs.hpp"
#include "qdse/search/storage.hpp"
#include "qdse/quant/transform.hpp"

namespace qdse::cli {
namespace {

// The one piece of global state: Ctrl-C asks the search loop to stop after the
// trial in flight, so every finished trial is kept.
std::atomic<bool> g_stop{false};
extern "C" void on_sigint(int) { g_stop.store(true); }

std::string default_run_dir(const std::string& model) {
  const std::time_t now = std::time(nullptr);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", std::localtime(&now));
  std::string base = "runs/" + model + "-" + stamp;
  std::string dir = base;
  for (int i = 1; std::filesystem::exists(dir); ++i) dir = base + "-" + std::to_string(i);
  return dir;
}

}  // namespace

void add_search_command(CLI::App& app, GlobalOptions& global) {
  auto* cmd = app.add_subcommand("search", "search per-layer number formats ([search] tables of the config)");
  static ConfigOptions cfg;
  static std::string out, load, sampler;
  static int n_trials = 0;
  static double timeout = -1;
  static int64_t seed = -1;
  cfg.add_to(cmd);
  cmd->add_option("-o,--out", out, "run directory (default: runs/<model>-<time>)");
  cmd->add_option("--load", load, "weights: a qdse checkpoint or a state-dict JSON (overrides `load_name`)");
  cmd->add_option("--sampler", sampler, "overrides search.strategy.setup.sampler (tpe, random, nsgaii, bruteforce)");
  cmd->add_option("--n-trials", n_trials, "overrides search.strategy.setup.n_trials")->check(CLI::PositiveNumber);
  cmd->add_option("--timeout", timeout, "seconds; overrides search.strategy.setup.timeout")->check(CLI::NonNegativeNumber);
  cmd->add_option("--seed", seed, "sampler seed; overrides search.strategy.setup.seed")->check(CLI::NonNegativeNumber);
  cmd->callback([&global] {
    io::RunConfig c = resolve_config(cfg);
    apply_threads(global, c.threads);
    pipeline::StrategyConfig strategy = pipeline::parse_strategy(c);
    if (!sampler.empty()) {
      search::make_sampler(sampler);
      strategy.sampler = sampler;
    }
    if (n_trials > 0) strategy.n_trials = n_trials;
    if (timeout >= 0) strategy.timeout_seconds = timeout;
    if (seed >= 0) strategy.sampler_options.seed = static_cast<uint64_t>(seed);
    const pipeline::Workspace ws = pipeline::open_workspace(c, load, /*require_weights=*/true);
    const pipeline::QuantSpace space(c, ws.graph);
    const auto& split = ws.dataset.split(strategy.split);
    // Range statistics (for frac_width = "auto") come from training samples,
    // never from the evaluation split.
    const auto stats = quant::calibrate(ws.graph, ws.dataset.train.x, space.calibration());
    pipeline::TrialEvaluator evaluator(ws.graph, split.x, split.y, strategy.eval, stats);
    auto storage = std::make_shared<search::InMemoryStorage>();
    search::Study study(space.space(), strategy.directions(), storage,
                        search::make_sampler(strategy.sampler, strategy.sampler_options));
    const std::string dir = out.empty() ? default_run_dir(c.model) : out;
    std::filesystem::create_directories(dir);
    if (!c.file.empty()) std::filesystem::copy_file(c.file, dir + "/config.toml",
                                                    std::filesystem::copy_options::overwrite_existing);
    const auto size = space.space().size();
    int total = strategy.n_trials;
    if (size && *size < static_cast<uint64_t>(total) && strategy.sampler == "bruteforce") total = static_cast<int>(*size);
    ProgressBar bar("search", total, !global.quiet && !global.json);
    g_stop.store(false);
    auto previous = std::signal(SIGINT, on_sigint);
    pipeline::SearchSummary summary;
    try {
      summary = pipeline::run_search(study, space, evaluator, strategy, &g_stop, [&](const pipeline::SearchProgress& p) {
        char note[64] = "";
        if (p.best) std::snprintf(note, sizeof note, "best %.6g", *p.best);
        bar.update(p.finished, note);
      });
    } catch (...) {
      std::signal(SIGINT, previous);
      throw;
    }
    std::signal(SIGINT, previous);
    bar.finish();
    const nlohmann::json provenance = {
        {"config", c.file}, {"model", c.model}, {"weights", ws.weights_path},
        {"dataset", ws.dataset.name}, {"split", std::string(data::to_string(strategy.split))},
        {"num_samples", strategy.eval.num_samples > 0 ? std::min(strategy.eval.num_samples, split.size()) : split.size()},
        {"sampler", strategy.sampler}, {"seed", strategy.sampler_options.seed},
        {"n_trials", strategy.n_trials}, {"space_size", size ? nlohmann::json(*size) : nlohmann::json(nullptr)},
        {"run_dir", dir}};
    const auto best = report::write_run_outputs(dir, study, space, strategy, summary, provenance);
    if (global.json) {
      std::printf("%s\n", best.dump(2).c_str());
      return;
    }
    std::printf("%d trials in %s (%d repeated configurations answered from cache, %d failed)%s%s%s\n",
                summary.trials, format_duration(summary.seconds).c_str(), summary.cached, summary.failed,
                summary.exhausted ? "; space exhausted" : "", summary.timed_out ? "; timeout reached" : "",
                summary.interrupted ? "; interrupted" : "");
    for (const auto& e : summary.errors) std::fprintf(stderr, "failed %s\n", e.c_str());
    std::printf("float model: accuracy %.4f, loss %.4f, average bitwidth 32\n",
                summary.float_metrics.at("accuracy"), summary.float_metrics.at("loss"));
    std::printf("%s", report::format_best_table(best, strategy).c_str());
    std::printf("run directory: %s (trials.json, trials.csv, best.json)\n", dir.c_str());
  });
}

void add_space_command(CLI::App& app, GlobalOptions& global) {
  auto* cmd = app.add_subcommand("space", "print the search space of a config: dimensions, choices, size");
  static ConfigOptions cfg;
  cfg.add_to(cmd);
  cmd->callback([&global] {
    const io::RunConfig c = resolve_config(cfg);
    const ir::Graph graph = pipeline::build_graph(c);
    const pipeline::QuantSpace space(c, graph);
    const auto& s = space.space();
    nlohmann::json dims = nlohmann::json::array();
    for (std::size_t i = 0; i < s.n_params(); ++i)
      dims.push_back({{"param", s.name(i)}, {"choices", search::to_string(s.distribution(i))}});
    const auto size = s.size();
    if (global.json) {
      std::printf("%s\n", nlohmann::json({{"dimensions", dims},
                                          {"size", size ? nlohmann::json(*size) : nlohmann::json(nullptr)}})
                              .dump(2)
                              .c_str());
      return;
    }
    for (const auto& d : dims)
      std::printf("  %-40s %s\n", d["param"].get<std::string>().c_str(), d["choices"].get<std::string>().c_str());
    if (size) std::printf("%zu dimensions, %llu configurations\n", s.n_params(), (unsigned long long)*size);
    else std::printf("%zu dimensions, more configurations than fit in 64 bits\n", s.n_params());
  });
}

}  // namespace qdse::cli
