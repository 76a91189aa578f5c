// `qdse search` and `qdse space`: the mixed-precision search of a config's
// [search] tables, and a look at its search space.
// A search is a named study in a storage (SQLite file `study.db` in the run directory by
// default, or --storage URL): running it again with the same study resumes it, and
// several processes or hosts may work on one study at once (docs/storage.md).
#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <thread>

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
#include "qdse/report/run_report.hpp"
#include "qdse/search/storage.hpp"
#include "qdse/lower/transform.hpp"
#include "qdse/storage/open_storage.hpp"
#include "qdse/storage/postgres_storage.hpp"

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

// Where the study lives: `[search.strategy.setup]` keys storage, study_name, heartbeat
// (flags override them).
struct StudySetup {
  std::string storage;
  std::string study;
  double heartbeat = 120;  // seconds without a heartbeat before a Running trial counts as dead
};

StudySetup read_study_setup(const io::RunConfig& c) {
  StudySetup out;
  const auto search = c.root().get_table("search");
  const auto strategy = search ? search->get_table("strategy") : std::nullopt;
  const auto setup = strategy ? strategy->get_table("setup") : std::nullopt;
  if (!setup) return out;
  out.storage = setup->string_or("storage", "");
  out.study = setup->string_or("study_name", "");
  out.heartbeat = setup->double_or("heartbeat", out.heartbeat);
  if (!(out.heartbeat > 0)) throw setup->error("heartbeat", "`heartbeat` must be > 0 seconds");
  return out;
}

// The default study name: the config file's stem, else the model.
std::string default_study_name(const io::RunConfig& c) {
  if (!c.file.empty()) return std::filesystem::path(c.file).stem().string();
  return std::filesystem::path(c.model).stem().string();
}

// What a stored study must agree on to be resumed: the params (names and choices, in
// order), the model and how trials are scored. Also lets `qdse trials` name params.
nlohmann::json space_description(const io::RunConfig& c, const pipeline::QuantSpace& space,
                                 const pipeline::StrategyConfig& st) {
  nlohmann::json params = nlohmann::json::array();
  const auto& s = space.space();
  for (std::size_t i = 0; i < s.n_params(); ++i) {
    nlohmann::json p = {{"name", s.name(i)}};
    if (const auto* cat = std::get_if<search::CategoricalDistribution>(&s.distribution(i))) {
      nlohmann::json choices = nlohmann::json::array();
      for (const auto& label : cat->choices) {
        const auto v = nlohmann::json::parse(label, nullptr, false);
        choices.push_back(v.is_discarded() ? nlohmann::json(label) : v);
      }
      p["choices"] = choices;
    } else {
      p["distribution"] = search::to_string(s.distribution(i));
    }
    params.push_back(p);
  }
  nlohmann::json metrics = nlohmann::json::array();
  for (const auto& m : st.metrics)
    metrics.push_back({{"name", m.name}, {"scale", m.scale}, {"direction", std::string(search::to_string(m.direction))}});
  nlohmann::json constraints = nlohmann::json::object();
  for (const auto& k : st.constraints) constraints[k.metric] = k.text;
  return {{"kind", "qdse mixed_precision_ptq"},
          {"model", c.model},
          {"params", params},
          {"evaluation",
           {{"split", std::string(data::to_string(st.split))},
            {"num_samples", st.eval.num_samples},
            {"sum_scaled_metrics", st.sum_scaled_metrics},
            {"metrics", metrics},
            {"constraints", constraints}}}};
}

std::string worker_name() {
  char host[256] = "";
  if (gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "host");
  return std::string(host) + ":" + std::to_string(getpid());
}

}  // namespace

void add_search_command(CLI::App& app, GlobalOptions& global) {
  auto* cmd = app.add_subcommand("search", "search per-layer number formats ([search] tables of the config)");
  static ConfigOptions cfg;
  static std::string out, load, sampler;
  static std::string storage_url, study_name;
  static int n_trials = 0, n_jobs = 0;
  static double timeout = -1, heartbeat = -1;
  static int64_t seed = -1;
  cfg.add_to(cmd);
  cmd->add_option("-o,--out", out, "run directory (default: runs/<model>-<time>)");
  cmd->add_option("--load", load, "weights: a qdse checkpoint or a state-dict JSON (overrides `load_name`)");
  cmd->add_option("--sampler", sampler, "overrides search.strategy.setup.sampler (tpe, random, nsgaii, bruteforce)");
  cmd->add_option("--n-trials", n_trials, "overrides search.strategy.setup.n_trials")->check(CLI::PositiveNumber);
  cmd->add_option("--timeout", timeout, "seconds; overrides search.strategy.setup.timeout")->check(CLI::NonNegativeNumber);
  cmd->add_option("--seed", seed, "sampler seed; overrides search.strategy.setup.seed")->check(CLI::NonNegativeNumber);
  cmd->add_option("--storage", storage_url,
                  "study storage URL: sqlite:///path.db, path.db, postgresql://user@host/db, memory: (default: "
                  "<run directory>/study.db); overrides search.strategy.setup.storage");
  cmd->add_option("--study", study_name,
                  "study name; an existing study of that name is resumed (default: the config file's stem, else the "
                  "model); overrides search.strategy.setup.study_name");
  cmd->add_option("--n-jobs", n_jobs, "trials evaluated in parallel by this process; overrides search.strategy.setup.n_jobs")
      ->check(CLI::Range(1, 1024));
  cmd->add_option("--heartbeat", heartbeat,
                  "seconds without a heartbeat after which another worker's Running trial counts as dead and is "
                  "retried (default 120); overrides search.strategy.setup.heartbeat")
      ->check(CLI::PositiveNumber);
  cmd->callback([&global] {
    io::RunConfig c = resolve_config(cfg);
    pipeline::StrategyConfig strategy = pipeline::parse_strategy(c);
    StudySetup setup = read_study_setup(c);
    if (!storage_url.empty()) setup.storage = storage_url;
    if (!study_name.empty()) setup.study = study_name;
    if (heartbeat > 0) setup.heartbeat = heartbeat;
    if (n_jobs > 0) strategy.n_jobs = n_jobs;
    // Threads: --threads / `threads` win; else n_jobs > 1 shares the cores between the
    // jobs (libtorch's intra-op pool size is per process).
    apply_threads(global, c.threads);
    if (strategy.n_jobs > 1 && global.threads <= 0 && c.threads <= 0) {
      const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
      torch::set_num_threads(std::max(1, cores / strategy.n_jobs));
    }
    if (!sampler.empty()) {
      search::make_sampler(sampler);
      strategy.sampler = sampler;
    }
    if (n_trials > 0) strategy.n_trials = n_trials;
    if (timeout >= 0) strategy.timeout_seconds = timeout;
    if (seed >= 0) strategy.sampler_options.seed = static_cast<uint64_t>(seed);
    using Clock = std::chrono::steady_clock;
    const auto seconds_since = [](Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); };
    const auto t_start = Clock::now();
    pipeline::Workspace ws = pipeline::open_model(c, load, /*require_weights=*/true);
    const pipeline::QuantSpace space(c, ws.graph);
    // Training samples serve calibration ("auto" frac widths) and the validation split only.
    pipeline::load_data(ws, strategy.split != data::SplitKind::Test || space.uses_auto_frac());
    const auto& split = ws.dataset.split(strategy.split);
    // Range statistics (for frac_width = "auto") come from training samples,
    // never from the evaluation split.
    const auto stats = quant::calibrate(ws.graph, ws.dataset.train.x, space.calibration());
    // One evaluator per job; they share the graph and data tensors and split the memo budget.
    pipeline::EvalSettings eval = strategy.eval;
    eval.memo_budget_bytes /= strategy.n_jobs;
    std::vector<std::unique_ptr<pipeline::TrialEvaluator>> evaluators;
    std::vector<pipeline::TrialEvaluator*> jobs;
    for (int j = 0; j < strategy.n_jobs; ++j) {
      evaluators.push_back(std::make_unique<pipeline::TrialEvaluator>(ws.graph, split.x, split.y, eval, stats));
      jobs.push_back(evaluators.back().get());
    }
    const std::string dir = out.empty() ? default_run_dir(c.is_onnx() ? std::filesystem::path(c.model).stem().string() : c.model) : out;
    std::filesystem::create_directories(dir);
    if (!c.file.empty()) std::filesystem::copy_file(c.file, dir + "/config.toml",
                                                    std::filesystem::copy_options::overwrite_existing);
    if (setup.storage.empty()) setup.storage = dir + "/study.db";
    if (setup.study.empty()) setup.study = default_study_name(c);
    const std::string shown_storage = storage::redact_url(setup.storage);
    const double startup_s = seconds_since(t_start);  // model, data, calibration
    // Create or resume: a stored study must have the same space description and directions.
    auto storage = storage::open_storage(setup.storage, setup.study, space_description(c, space, strategy).dump(),
                                         strategy.directions());
    const std::string worker = worker_name();
    search::Study study(space.space(), strategy.directions(), storage,
                        search::make_sampler(strategy.sampler, strategy.sampler_options), worker);
    const int n_before = storage->n_trials();
    const auto stale = study.fail_stale_trials(setup.heartbeat);
    if (n_before > 0) {  // stderr, even with -q/--json: resuming is worth knowing
      std::fprintf(stderr, "resuming study `%s` in %s: %d trials so far", setup.study.c_str(), shown_storage.c_str(),
                   n_before);
      if (!stale.empty()) std::fprintf(stderr, "; %zu Running trials of dead workers marked failed", stale.size());
      if (study.pending_retries() > 0) std::fprintf(stderr, "; %zu configurations to retry", study.pending_retries());
      std::fprintf(stderr, "\n");
    }
    const auto size = space.space().size();
    int total = strategy.n_trials;
    if (size && strategy.sampler == "bruteforce") {
      // Cells left: the space minus the trials so far, plus the retries.
      const auto left = static_cast<int64_t>(*size) - n_before + static_cast<int64_t>(study.pending_retries());
      total = static_cast<int>(std::clamp<int64_t>(left, 0, total));
    }
    ProgressBar bar("search", total, !global.quiet && !global.json);
    g_stop.store(false);
    auto previous = std::signal(SIGINT, on_sigint);
    pipeline::SearchSummary summary;
    try {
      pipeline::RunOptions run_options;
      run_options.heartbeat_interval =
          std::chrono::milliseconds(std::max<int64_t>(1, static_cast<int64_t>(setup.heartbeat * 1000 / 4)));
      summary = pipeline::run_search(
          study, space, jobs, strategy, &g_stop,
          [&](const pipeline::SearchProgress& p) {
            char note[64] = "";
            if (p.best) std::snprintf(note, sizeof note, "best %.6g", *p.best);
            bar.update(p.finished, note);
          },
          run_options);
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
        {"run_dir", dir}, {"storage", shown_storage}, {"study", setup.study}, {"n_jobs", strategy.n_jobs},
        {"worker", worker}, {"study_trials_before", n_before}, {"startup_seconds", startup_s}};
    const auto t_outputs = Clock::now();
    nlohmann::json trials_json;
    const auto best = report::write_run_outputs(dir, study, space, strategy, summary, provenance, &trials_json);
    const double outputs_s = seconds_since(t_outputs);
    const auto t_report = Clock::now();
    // The HTML report; without gnuplot (or on any report error) the search still succeeds.
    try {
      const std::string index = report::write_run_report(dir, trials_json, best);
      if (!global.json) std::fprintf(stderr, "report: %s\n", index.c_str());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "warning: no report written: %s\n", e.what());
    }
    pipeline::write_run_hls4ml(dir, ws.graph, space, stats, best);  // hls4ml.yml when all fixed point
    const double report_s = seconds_since(t_report);
    if (global.json) {
      std::printf("%s\n", best.dump(2).c_str());
      return;
    }
    std::printf("%d trials in %s (%d repeated configurations answered from cache, %d failed, %d retried)%s%s%s\n",
                summary.trials, format_duration(summary.seconds).c_str(), summary.cached, summary.failed,
                summary.retried, summary.exhausted ? "; space exhausted" : "",
                summary.timed_out ? "; timeout reached" : "", summary.interrupted ? "; interrupted" : "");
    if (!summary.held_elsewhere.empty()) {  // the sampler is done, but not these configurations
      std::printf("space not exhausted yet: %zu configurations are held by Running trials of other workers:",
                  summary.held_elsewhere.size());
      for (const auto& t : summary.held_elsewhere)
        std::printf(" trial %d (%s, heartbeat %.0f s ago)", t.number, t.worker.empty() ? "?" : t.worker.c_str(),
                    t.heartbeat_age);
      std::printf("; run again once they finish, or after --heartbeat seconds if their worker died\n");
    }
    std::printf("study `%s` in %s: %zu trials in all (the results below cover all of them)\n", setup.study.c_str(),
                shown_storage.c_str(), study.trials().size());
    for (const auto& e : summary.errors) std::fprintf(stderr, "failed %s\n", e.c_str());
    std::printf("float model: accuracy %.4f, loss %.4f, average bitwidth 32\n",
                summary.float_metrics.at("accuracy"), summary.float_metrics.at("loss"));
    std::printf("%s", report::format_best_table(best, strategy).c_str());
    std::printf("run directory: %s (trials.json, trials.csv, best.json)\n", dir.c_str());
    std::printf("time: start-up %s (model, data, calibration), search %s, trials.json/csv %s, report %s; "
                "memory: %.0f MB after the first trial, peak %.0f MB\n",
                format_duration(startup_s).c_str(), format_duration(summary.seconds).c_str(),
                format_duration(outputs_s).c_str(), format_duration(report_s).c_str(),
                static_cast<double>(summary.rss_after_first_trial) / (1 << 20),
                static_cast<double>(summary.peak_rss) / (1 << 20));
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
