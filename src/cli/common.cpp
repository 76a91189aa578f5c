#include <torch/types.h>

#include <cstdio>

#include "commands.hpp"
#include "qdse/pipeline/thread_budget.hpp"

namespace qdse::cli {

void apply_threads(const GlobalOptions& global, int config_threads) {
  const int n = global.threads > 0 ? global.threads : config_threads;
  if (n > 0) pipeline::apply_thread_budget(pipeline::plan_threads(1, n));  // libtorch and BLAS
}

}  // namespace qdse::cli

namespace qdse::cli {

CLI::App* ConfigOptions::add_command(CLI::App& app, const std::string& name, const std::string& help,
                                     Load with_load) {
  auto* cmd = app.add_subcommand(name, help);
  cmd->add_option("-c,--config", config, "TOML config (MASE style); see docs/config.md");
  cmd->add_option("-m,--model", model,
                  "model: a built-in name (see `qdse models`) or an .onnx file; overrides `model`");
  cmd->add_option("--dataset", dataset, "dataset name (fashion_mnist, mnist, jsc, csv); overrides `dataset`");
  cmd->add_option("--data", data, "dataset file or directory; overrides `dataset_path`");
  if (with_load == Load::Yes) add_load_option(cmd, load);
  return cmd;
}

std::function<void(int, int64_t, int64_t, double)> batch_progress(ProgressBar& bar, int epochs) {
  return [&bar, epochs](int epoch, int64_t batch, int64_t batches, double loss) {
    bar.set_total(batches);
    char note[96];
    std::snprintf(note, sizeof note, "epoch %d/%d loss %.4f", epoch, epochs, loss);
    bar.update(batch, note);
  };
}

void add_load_option(CLI::App* cmd, std::string& load) {
  cmd->add_option("--load", load, "weights: a qdse checkpoint or a state-dict JSON (overrides `load_name`)");
}

io::RunConfig resolve_config(const ConfigOptions& options) {
  io::RunConfig c = options.config.empty() ? io::default_run_config()
                                           : io::load_run_config(options.config);
  if (!options.model.empty()) c.model = io::absolute_model_path(options.model);
  if (!options.dataset.empty()) c.dataset = options.dataset;
  if (!options.data.empty()) c.dataset_path = options.data;
  return c;
}

}  // namespace qdse::cli
