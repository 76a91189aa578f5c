// `qdse search`: the mixed-precision search of a config's [search] tables. This file is flags,
// progress, signals and printing; pipeline::SearchSession does the rest. A search is a named study
// in a storage (SQLite file `study.db` in the run directory by default, or --storage URL): running it
// again with the same study resumes it, and several processes or hosts may work on one study at once.
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "commands.hpp"
#include "finetune_run.hpp"
#include "qdse/core/progress.hpp"
#include "qdse/pipeline/search_session.hpp"
#include "qdse/report/search_outputs.hpp"

namespace qdse::cli {
namespace {

// The one piece of global state: SIGINT (Ctrl-C) or SIGTERM (Slurm, Docker, kill) asks the
// search to stop after the trials in flight; the outputs are written, then the process
// exits 128 + the signal (130, 143) so scripts can tell the run was stopped.
std::atomic<bool> g_stop{false};
std::atomic<int> g_signal{0};
extern "C" void on_stop_signal(int sig) {
  g_signal.store(sig);
  g_stop.store(true);
}

struct SearchCommandResult {
  int signal = 0;  // the signal that stopped the search (0 = none)
  std::string run_dir;
  report::SearchOutputs outputs;
  io::FinetuneTable finetune;
};

// Runs the search and writes its outputs.
SearchCommandResult run_search_command(const GlobalOptions& global, const ConfigOptions& cfg,
                                       const pipeline::SearchOverrides& o) {
  const io::RunConfig c = resolve_config(cfg);
  const io::FinetuneTable finetune = io::read_finetune_table(c);  // before the search: a bad key costs no trial
  pipeline::SearchSession session(c, o, global.threads > 0 ? global.threads : c.threads);
  session.open_study();
  if (session.trials_before() > 0) {  // stderr, even with -q/--json: resuming is worth knowing
    std::fprintf(stderr, "resuming study `%s` in %s: %d trials so far", session.setup().study.c_str(),
                 session.shown_storage().c_str(), session.trials_before());
    if (session.stale_trials() > 0)
      std::fprintf(stderr, "; %zu Running trials of dead workers marked failed", session.stale_trials());
    if (session.study().pending_retries() > 0)
      std::fprintf(stderr, "; %zu configurations to retry", session.study().pending_retries());
    std::fprintf(stderr, "\n");
  }
  if (!session.resume_warning().empty()) std::fprintf(stderr, "warning: %s\n", session.resume_warning().c_str());
  ProgressBar bar("search", session.planned_trials(), !global.quiet && !global.json);
  g_stop.store(false), g_signal.store(0);
  struct Handlers {  // installed until the outputs are written
    void (*sigint)(int) = std::signal(SIGINT, on_stop_signal);
    void (*sigterm)(int) = std::signal(SIGTERM, on_stop_signal);
    ~Handlers() { std::signal(SIGINT, sigint), std::signal(SIGTERM, sigterm); }
  } handlers;
  const auto summary = session.run(&g_stop, [&](const pipeline::SearchProgress& p) {
    char note[64] = "";
    if (p.best) std::snprintf(note, sizeof note, "best %.6g", *p.best);
    bar.update(p.finished, note);
  });
  bar.finish();
  const auto out = report::write_search_outputs(session, summary);
  if (!out.report_error.empty()) std::fprintf(stderr, "warning: no report written: %s\n", out.report_error.c_str());
  else if (!global.json) std::fprintf(stderr, "report: %s\n", out.report_index.c_str());
  for (const std::string* e : {&out.hls4ml_error, &out.hw_layers_error})  // optional outputs that failed
    if (!e->empty()) std::fprintf(stderr, "warning: %s\n", e->c_str());
  for (const auto& e : summary.errors) std::fprintf(stderr, "failed %s\n", e.c_str());
  if (global.json && !(finetune.after_search() && g_signal.load() == 0)) std::printf("%s\n", out.best.dump(2).c_str());
  else if (!global.json) std::printf("%s", report::search_summary_text(session, summary, out).c_str());
  return {g_signal.load(), session.run_dir(), out, finetune};
}

}  // namespace

void add_search_command(CLI::App& app, GlobalOptions& global) {
  static ConfigOptions cfg;
  static pipeline::SearchOverrides o;
  auto* cmd = cfg.add_command(app, "search", "search per-layer number formats ([search] tables of the config)");
  cmd->add_option("-o,--out", o.out,
                  "run directory (default: runs/<model>-<time>); an existing directory that is not a qdse run "
                  "directory needs --force");
  cmd->add_flag("--force", o.force, "write into an existing --out directory that is not a qdse run directory");
  add_load_option(cmd, o.load);
  cmd->add_option("--sampler", o.sampler,
                  "overrides search.strategy.setup.sampler (" + search::sampler_name_list() + ")");
  cmd->add_option("--n-trials", o.n_trials, "overrides search.strategy.setup.n_trials")->check(whole_number(1));
  cmd->add_option("--timeout", o.timeout, "seconds; overrides search.strategy.setup.timeout")->check(finite_number(0));
  cmd->add_option("--seed", o.seed, "sampler seed; overrides search.strategy.setup.seed")
      ->check(whole_number(0, std::numeric_limits<int64_t>::max()));
  cmd->add_option("--storage", o.storage,
                  "study storage URL: sqlite:///path.db, path.db, postgresql://user@host/db, memory: (default: "
                  "<run directory>/study.db); overrides search.strategy.setup.storage");
  cmd->add_option("--study", o.study,
                  "study name; an existing study of that name is resumed (default: the config file's stem, else the "
                  "model); overrides search.strategy.setup.study_name");
  cmd->add_option("--n-jobs", o.n_jobs, "trials evaluated in parallel by this process; overrides search.strategy.setup.n_jobs")
      ->check(whole_number(1));
  cmd->add_option("--heartbeat", o.heartbeat,
                  "seconds without a heartbeat after which another worker's Running trial counts as dead and is "
                  "retried (default 120); overrides search.strategy.setup.heartbeat")
      ->check(finite_number(0, /*min_allowed=*/false));
  cmd->callback([&global] {
    const SearchCommandResult r = run_search_command(global, cfg, o);  // the session is closed on return
    // After the study is closed and the default signal handlers are back (Ctrl-C stops it).
    if (r.signal == 0 && r.finetune.after_search())
      finetune_after_search(r.run_dir, r.outputs.best, r.outputs.report_error.empty(), global);
    if (r.signal == 0) return;
    std::fflush(stdout);
    std::exit(128 + r.signal);
  });
}

}  // namespace qdse::cli
