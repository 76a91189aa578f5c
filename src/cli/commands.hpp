// The qdse subcommands. Each file cli/cmd_<name>.cpp registers one subcommand on
// the CLI11 app; parsing and wiring only, the work is done by the library.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>

#include <limits>
#include <string>

#include "qdse/core/progress.hpp"
#include "qdse/io/run_config.hpp"

namespace qdse::cli {

// Flags shared by every subcommand (set on the top-level app).
struct GlobalOptions {
  bool json = false;   // machine-readable output on stdout
  bool quiet = false;  // no progress bars
  int threads = 0;     // libtorch intra-op threads (0 = config or libtorch default)
};

// --config / --model / --data, shared by the commands that load a model and data.
struct ConfigOptions {
  std::string config;  // TOML file
  std::string model;   // overrides `model`
  std::string data;    // overrides `dataset_path`
  std::string dataset;  // overrides `dataset`
  std::string load;     // --load: weights overriding `load_name` (commands that load, Load::Yes)
  enum class Load { No, Yes };
  // The subcommand `name` of `app` (a command that reads a config), with these flags
  // declared on it: -c/--config, -m/--model, --dataset, --data, and --load with Load::Yes.
  CLI::App* add_command(CLI::App& app, const std::string& name, const std::string& help,
                        Load with_load = Load::No);
};

// Training progress on `bar`, "epoch e/E loss x" after every batch: the on_batch callback of
// qdse train and of fine-tuning (train::TrainCallbacks).
std::function<void(int, int64_t, int64_t, double)> batch_progress(ProgressBar& bar, int epochs);

// --load: weights overriding the config's `load_name` (the same flag on every command that loads).
void add_load_option(CLI::App* cmd, std::string& load);

// The subcommands, in the order `qdse --help` lists them: one table, expanded into the
// declarations below and into main.cpp's registration. Command NAME is defined by
// add_NAME_command in cli/cmd_NAME.cpp (studies and trials in cmd_studies.cpp).
#define QDSE_CLI_COMMANDS(X) \
  X(models) X(train) X(eval) X(search) X(space) X(studies) X(trials) X(export_study) X(report) X(compare) \
  X(layers) X(export) X(sensitivity) X(plan) X(finetune)

#define QDSE_CLI_DECLARE_COMMAND(name) void add_##name##_command(CLI::App& app, GlobalOptions& global);
QDSE_CLI_COMMANDS(QDSE_CLI_DECLARE_COMMAND)
#undef QDSE_CLI_DECLARE_COMMAND

// Checks for numeric flags (option_checks.cpp), with one-line messages that name what
// the flag accepts: a whole number in [min, max] (max defaults to int's), or a finite
// number >= min (or > min when min_allowed is false). Use them instead of CLI11's
// PositiveNumber/NonNegativeNumber/Range.
CLI::Validator whole_number(long long min, long long max = std::numeric_limits<int>::max());
CLI::Validator finite_number(double min, bool min_allowed = true);
// One item of a comma-separated list of finite numbers (e.g. compare --hv-reference).
CLI::Validator finite_list_item();

// Loads the config (or defaults) and applies the command-line overrides.
io::RunConfig resolve_config(const ConfigOptions& options);

// Applies --threads (or the config's `threads`) to libtorch.
void apply_threads(const GlobalOptions& global, int config_threads);

}  // namespace qdse::cli
