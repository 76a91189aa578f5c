// `qdse export`: turns a search's best configuration (a run directory) into a
// deployment config; hls4ml's per-layer precision table for now.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "qdse/core/error.hpp"
#include "qdse/pipeline/run_export.hpp"
#include "qdse/report/run_outputs.hpp"

namespace qdse::cli {

void add_export_command(CLI::App& app, GlobalOptions& global) {
  auto* cmd = app.add_subcommand("export", "export a search's best configuration (hls4ml precision table)");
  static std::string run, format = "hls4ml", out, data, load;
  static int trial = -1;
  cmd->add_option("-r,--run", run, "run directory of `qdse search` (best.json, config.toml)")->required();
  cmd->add_option("--format", format, "output format (hls4ml)")->check(CLI::IsMember({"hls4ml"}));
  cmd->add_option("-o,--out", out, "output file (default: stdout)");
  cmd->add_option("--trial", trial, "trial number among best.json's trials (default: the first, the best)")
      ->check(whole_number(0));
  cmd->add_option("--data", data, "dataset file or directory (for \"auto\" widths); overrides `dataset_path`");
  cmd->add_option("--load", load, "weights (for \"auto\" widths); overrides the weights the run recorded");
  cmd->callback([&global] {
    pipeline::RunExportOptions o;
    o.run_dir = run;
    if (trial >= 0) o.trial = trial;
    o.data_path = data;
    o.weights = load;
    const pipeline::RunExport e = pipeline::export_run_hls4ml(o);
    if (!out.empty()) report::write_file_atomic(out, e.yaml);
    if (global.json) {
      const nlohmann::json j = {{"run", run},     {"format", format}, {"trial", e.trial},
                                {"model", e.model}, {"out", out},     {"content", e.yaml}};
      std::printf("%s\n", j.dump(2).c_str());
    } else if (out.empty()) {
      std::printf("%s", e.yaml.c_str());
    } else {
      std::printf("trial %d of %s -> %s (%s)\n", e.trial, run.c_str(), out.c_str(), format.c_str());
    }
  });
}

}  // namespace qdse::cli
