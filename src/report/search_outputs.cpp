// write_search_outputs(): a session's run directory after the search; see
// include/qdse/report/search_outputs.hpp.
#include "qdse/report/search_outputs.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>

#include "qdse/core/file_write.hpp"
#include "qdse/core/progress.hpp"
#include "qdse/pipeline/hls4ml_certified_export.hpp"
#include "qdse/pipeline/run_export.hpp"
#include "qdse/report/hw_layers.hpp"
#include "qdse/report/run_outputs.hpp"
#include "qdse/report/run_report.hpp"

namespace qdse::report {

SearchOutputs write_search_outputs(const pipeline::SearchSession& session, const pipeline::SearchSummary& summary) {
  using Clock = std::chrono::steady_clock;
  const auto since = [](Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); };
  SearchOutputs out;
  const std::string& dir = session.run_dir();
  const auto t_outputs = Clock::now();
  nlohmann::json trials_json;
  std::vector<search::FrozenTrial> best_trials;
  out.best = write_run_outputs(dir, session.study(), session.space(), session.strategy(), summary,
                               session.provenance(), &trials_json, &best_trials);
  out.outputs_seconds = since(t_outputs);
  const auto t_report = Clock::now();
  // hw_layers.csv: the per-layer FPGA figures of the best trial(s), with an hw target only;
  // before the report, which shows it.
  if (const auto& hw = session.strategy().eval.hw; hw && !best_trials.empty()) {
    try {
      const pipeline::HwCostModel model(session.workspace().graph, *hw);
      write_file_atomic(dir + "/hw_layers.csv", hw_layers_csv(model, session.workspace().graph, session.space(),
                                                              session.stats(), best_trials));
    } catch (const std::exception& e) {
      out.hw_layers_error = std::string("no hw_layers.csv written: ") + e.what();
    }
  }
  try {
    out.report_index = write_run_report(dir, trials_json, out.best);
  } catch (const std::exception& e) {
    out.report_error = e.what();
  }
  if (best_trials.size() == 1) {  // one best trial: single objective, or a front of one
    try {
      pipeline::write_run_hls4ml_for_target(dir, session.workspace().graph, session.space(), session.stats(),
                                            best_trials.front().params, session.strategy().eval.hw);
    } catch (const std::exception& e) {
      out.hls4ml_error = "no hls4ml.yml written for trial " + std::to_string(best_trials.front().number) + ": " +
                         e.what();
    }
  }
  out.report_seconds = since(t_report);
  return out;
}

namespace {

// printf into a std::string.
template <typename... Args>
std::string text(const char* format, Args... args) {
  const int n = std::snprintf(nullptr, 0, format, args...);
  std::string out(static_cast<std::size_t>(std::max(n, 0)), '\0');
  std::snprintf(out.data(), out.size() + 1, format, args...);
  return out;
}

}  // namespace

std::string search_summary_text(const pipeline::SearchSession& session, const pipeline::SearchSummary& summary,
                                const SearchOutputs& outputs) {
  std::string out = text("%d trials in %s (%d repeated configurations answered from cache, %d failed, %d retried)%s%s%s\n",
                         summary.trials, format_duration(summary.seconds).c_str(), summary.cached, summary.failed,
                         summary.retried, summary.exhausted ? "; space exhausted" : "",
                         summary.timed_out ? "; timeout reached" : "", summary.interrupted ? "; interrupted" : "");
  if (session.strategy().eval.fidelity.enabled)  // docs/search.md, "Multi-fidelity"
    out += text("multi-fidelity: %d trials pruned, %lld evaluation samples scored (%.1f%% of %d trials x %lld)\n",
                summary.pruned, static_cast<long long>(summary.samples_evaluated),
                summary.trials > 0 ? 100.0 * static_cast<double>(summary.samples_evaluated) /
                                         (static_cast<double>(summary.trials) * static_cast<double>(session.evaluators().front()->samples()))
                                   : 0.0,
                summary.trials, static_cast<long long>(session.evaluators().front()->samples()));
  if (!summary.held_elsewhere.empty()) {  // the sampler is done, but not these configurations
    out += text("space not exhausted yet: %zu configurations are held by Running trials of other workers:",
                summary.held_elsewhere.size());
    for (const auto& t : summary.held_elsewhere)
      out += text(" trial %d (%s, heartbeat %.0f s ago)", t.number, t.worker.empty() ? "?" : t.worker.c_str(),
                  t.heartbeat_age);
    out += "; run again once they finish, or after --heartbeat seconds if their worker died\n";
  }
  out += text("study `%s` in %s: %zu trials in all (the results below cover all of them)\n",
              session.setup().study.c_str(), session.shown_storage().c_str(), session.study().trials().size());
  out += text("float model: accuracy %.4f, loss %.4f, average bitwidth 32\n", summary.float_metrics.at("accuracy"),
              summary.float_metrics.at("loss"));
  out += format_best_table(outputs.best, session.strategy());
  out += text("run directory: %s (trials.json, trials.csv, best.json)\n", session.run_dir().c_str());
  out += text("time: start-up %s (model, data, calibration), search %s, trials.json/csv %s, report %s; "
              "memory: %.0f MB after the first trial, peak %.0f MB\n",
              format_duration(session.startup_seconds()).c_str(), format_duration(summary.seconds).c_str(),
              format_duration(outputs.outputs_seconds).c_str(), format_duration(outputs.report_seconds).c_str(),
              static_cast<double>(summary.rss_after_first_trial) / (1 << 20),
              static_cast<double>(summary.peak_rss) / (1 << 20));
  return out;
}

}  // namespace qdse::report
