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
  void add_to(CLI::App* cmd);
};

// Training progress on `bar`, "epoch e/E loss x" after every batch: the on_batch callback of
// qdse train and of fine-tuning (train::TrainCallbacks).
std::function<void(int, int64_t, int64_t, double)> batch_progress(ProgressBar& bar, int epochs);

// --load: weights overriding the config's `load_name` (the same flag on every command that loads).
void add_load_option(CLI::App* cmd, std::string& load);

void add_models_command(CLI::App& app, GlobalOptions& global);
void add_train_command(CLI::App& app, GlobalOptions& global);
void add_eval_command(CLI::App& app, GlobalOptions& global);
void add_search_command(CLI::App& app, GlobalOptions& global);
void add_space_command(CLI::App& app, GlobalOptions& global);
void add_studies_command(CLI::App& app, GlobalOptions& global);  // cmd_studies.cpp
void add_trials_command(CLI::App& app, GlobalOptions& global);   // cmd_studies.cpp
void add_export_study_command(CLI::App& app, GlobalOptions& global);  // cmd_export_study.cpp
void add_report_command(CLI::App& app, GlobalOptions& global);
void add_compare_command(CLI::App& app, GlobalOptions& global);
void add_layers_command(CLI::App& app, GlobalOptions& global);
void add_export_command(CLI::App& app, GlobalOptions& global);
void add_sensitivity_command(CLI::App& app, GlobalOptions& global);  // cmd_sensitivity.cpp
void add_plan_command(CLI::App& app, GlobalOptions& global);         // cmd_plan.cpp
void add_finetune_command(CLI::App& app, GlobalOptions& global);     // cmd_finetune.cpp

// Checks for numeric flags (option_checks.cpp), with one-line messages that name what
// the flag accepts: a whole number in [min, max] (max defaults to int's), or a finite
// number >= min (or > min when min_allowed is false). Use them instead of CLI11's
// PositiveNumber/NonNegativeNumber/Range.
CLI::Validator whole_number(long long min, long long max = std::numeric_limits<int>::max());
CLI::Validator finite_number(double min, bool min_allowed = true);

// Loads the config (or defaults) and applies the command-line overrides.
io::RunConfig resolve_config(const ConfigOptions& options);

// Applies --threads (or the config's `threads`) to libtorch.
void apply_threads(const GlobalOptions& global, int config_threads);

}  // namespace qdse::cli
