// qdse: quantization design-space exploration. Entry point: parses the command
// line, dispatches to a subcommand, and turns every qdse::Error into one clear
// message on stderr and a non-zero exit.
#include <torch/torch.h>

#include <cstdio>

#include "commands.hpp"
#include "qdse/core/error.hpp"

int main(int argc, char** argv) {
  CLI::App app{"qdse: find the best per-layer number formats for a trained network"};
  app.require_subcommand(1);
  app.fallthrough();  // global flags may also follow the subcommand
  app.set_version_flag("--version", "qdse 0.1.0");
  qdse::cli::GlobalOptions global;
  app.add_flag("--json", global.json, "print machine-readable JSON on stdout");
  app.add_flag("-q,--quiet", global.quiet, "no progress bars");
  app.add_option("--threads", global.threads, "libtorch intra-op threads (default: config or libtorch)")
      ->check(CLI::Range(0, 1024));
  qdse::cli::add_models_command(app, global);
  qdse::cli::add_train_command(app, global);
  qdse::cli::add_eval_command(app, global);
  qdse::cli::add_search_command(app, global);
  qdse::cli::add_space_command(app, global);
  qdse::cli::add_studies_command(app, global);
  qdse::cli::add_trials_command(app, global);
  qdse::cli::add_report_command(app, global);
  qdse::cli::add_compare_command(app, global);
  qdse::cli::add_layers_command(app, global);
  qdse::cli::add_export_command(app, global);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const qdse::Error& e) {
    std::fprintf(stderr, "qdse: %s: %s\n", std::string(qdse::to_string(e.kind())).c_str(), e.what());
    return e.kind() == qdse::ErrorKind::Interrupted ? 130 : 1;
  } catch (const c10::Error& e) {
    std::fprintf(stderr, "qdse: libtorch error: %s\n", e.what_without_backtrace());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "qdse: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
