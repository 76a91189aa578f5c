// `qdse compare`: search strategies side by side on one config's space, repeated
// with seeds 0..R-1, sharing one evaluator (see include/qdse/pipeline/compare_runs.hpp
// and include/qdse/report/compare.hpp). Flags, progress, Ctrl-C and printing; the
// set-up is pipeline::SearchSession's.
#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "commands.hpp"
#include "qdse/core/progress.hpp"
#include "qdse/pipeline/compare_runs.hpp"
#include "qdse/pipeline/run_directory.hpp"
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

}  // namespace

void add_compare_command(CLI::App& app, GlobalOptions& global) {
  static ConfigOptions cfg;
  static std::string out, strategies = "bruteforce,random,tpe,nsgaii";
  static pipeline::CompareOptions options;
  auto* cmd = cfg.add_command(app, "compare",
                              "run several search strategies repeatedly on one space and compare how fast they "
                              "find the optimum (one shared evaluator)", ConfigOptions::Load::Yes);
  cmd->add_option("--strategies", strategies, "comma-separated samplers: " + search::sampler_name_list())
      ->capture_default_str();
  cmd->add_option("--repeats", options.repeats, "runs per strategy, seeds 0..R-1 (brute force runs once)")
      ->check(whole_number(1))
      ->capture_default_str();
  cmd->add_option("--n-trials", options.n_trials, "trials per run (default: search.strategy.setup.n_trials)")
      ->check(whole_number(1));
  cmd->add_option("--tolerance", options.tolerance,
                  "'close to the optimum': objective units (one objective) or fraction of the optimum hypervolume")
      ->check(finite_number(0))
      ->capture_default_str();
  cmd->add_option("--hv-reference", options.hv_reference,
                  "hypervolume reference point, one value per objective in its own units (e.g. 0,32: accuracy 0, "
                  "average bit width 32, as the Optuna peer); default: the nadir of all trials")
      ->delimiter(',')
      ->check(finite_list_item());
  cmd->add_option("--max-bruteforce", options.max_bruteforce, "skip brute force above this many configurations")
      ->check(whole_number(0, std::numeric_limits<long long>::max()))
      ->capture_default_str();
  cmd->add_option("-o,--out", out, "output directory (default: runs/compare-<model>-<time>)");
  cmd->callback([&global] {
    const io::RunConfig c = resolve_config(cfg);
    options.strategies = split_list(strategies);
    for (auto& s : options.strategies) s = pipeline::canonical_strategy(s);  // fail before loading anything
    pipeline::SearchOverrides overrides;
    overrides.load = cfg.load;
    overrides.n_jobs = 1;  // one evaluator with the whole memo budget: every run shares its cache
    pipeline::SearchSession session(c, overrides, global.threads > 0 ? global.threads : c.threads);
    pipeline::check_hv_reference(options.hv_reference, session.strategy().directions().size());
    const std::string dir = out.empty() ? pipeline::default_run_dir(c, "compare-") : out;
    std::filesystem::create_directories(dir);
    pipeline::copy_config_into(c.file, dir);

    ProgressBar bar("compare", 1, !global.quiet && !global.json);
    g_compare_stop.store(false);
    auto previous = std::signal(SIGINT, on_compare_sigint);
    struct Restore {
      decltype(previous) p;
      ~Restore() { std::signal(SIGINT, p); }
    } restore{previous};
    const auto runs = pipeline::run_compare(session, options, &g_compare_stop, [&](int done, int total) {
      bar.set_total(total);
      bar.update(done);
    });
    bar.finish();
    report::CompareResult result = report::summarize_compare(runs, session.strategy().directions(), options.tolerance);
    const int n_trials = options.n_trials > 0 ? options.n_trials : session.strategy().n_trials;
    std::string names;
    for (const auto& s : options.strategies) names += (names.empty() ? "" : ",") + s;
    result.provenance = session.input_provenance();
    result.provenance.update(
        {{"strategies", names}, {"repeats", options.repeats}, {"seeds", "0.." + std::to_string(options.repeats - 1)},
         {"n_trials", n_trials}, {"tolerance", options.tolerance},
         {"space_size", result.space_size ? nlohmann::json(*result.space_size) : nlohmann::json(nullptr)},
         {"out", dir}});
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
