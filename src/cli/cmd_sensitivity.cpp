// `qdse sensitivity`: the sensitivity pass (pipeline/sensitivity.hpp) over a search
// config's space; writes sensitivity.json and sensitivity.csv and prints a short table.
#include <cstdio>
#include <filesystem>

#include "commands.hpp"
#include "qdse/core/file_write.hpp"
#include "sensitivity_run.hpp"

namespace qdse::cli {

void add_sensitivity_command(CLI::App& app, GlobalOptions& global) {
  static ConfigOptions cfg;
  static std::string out = ".";
  auto* cmd = cfg.add_command(app, "sensitivity",
                              "measure each layer's accuracy/loss change for each of its choices, the other "
                              "layers float (the input of qdse plan)", ConfigOptions::Load::Yes);
  cmd->add_option("-o,--out", out, "directory for sensitivity.json and sensitivity.csv")->capture_default_str();
  cmd->callback([&global] {
    auto session = open_sensitivity_session(global, cfg);
    const auto table = run_sensitivity_pass(*session);
    std::filesystem::create_directories(out);
    const std::string json_path = (std::filesystem::path(out) / "sensitivity.json").string();
    const std::string csv_path = (std::filesystem::path(out) / "sensitivity.csv").string();
    write_file_atomic(json_path, pipeline::to_json(table).dump(2) + "\n");
    write_file_atomic(csv_path, pipeline::to_csv(table));
    if (global.json) {
      std::printf("%s\n", pipeline::to_json(table).dump(2).c_str());
      return;
    }
    std::printf("reference (float): accuracy %.4f, loss %.4f\n", table.reference.at("accuracy"),
                table.reference.at("loss"));
    std::printf("%-16s %-36s %9s %9s %14s %14s\n", "group", "choice", "accuracy", "d_acc", "d_size_bits",
                "d_bitops");
    for (const auto& g : table.groups)
      for (const auto& r : g.rows)
        std::printf("%-16s %-36s %9.4f %+9.4f %+14.6g %+14.6g\n", g.name.c_str(), r.label.c_str(), r.accuracy,
                    r.d_accuracy, r.cost.at("model_size_bits"), r.cost.at("bitops"));
    std::printf("pass: %d evaluations in %.2f s\nwrote %s and %s\n", table.evaluations, table.seconds,
                json_path.c_str(), csv_path.c_str());
  });
}

}  // namespace qdse::cli
