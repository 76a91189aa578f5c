// `qdse report RUN_DIR`: the HTML report of a search run (figures by gnuplot).
#include <cstdio>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "qdse/report/run_report.hpp"

namespace qdse::cli {

void add_report_command(CLI::App& app, GlobalOptions& global) {
  auto* cmd = app.add_subcommand("report", "write RUN_DIR/report/index.html: Pareto plots, history, bit widths (needs gnuplot)");
  static std::string run_dir;
  cmd->add_option("run_dir", run_dir, "run directory of `qdse search` (holds trials.json, best.json)")->required();
  cmd->callback([&global] {
    const std::string index = report::write_run_report(run_dir);
    if (global.json) std::printf("%s\n", nlohmann::json({{"index", index}}).dump().c_str());
    else std::printf("report: %s\n", index.c_str());
  });
}

}  // namespace qdse::cli
