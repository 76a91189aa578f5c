// `qdse finetune`: quantization-aware fine-tuning of a search's trials (issue 18;
// docs/finetune.md). Flags only: each flag given overrides its key of the run's
// [finetune] table (io/finetune_config.hpp); run_finetune() (finetune_run.hpp) does the work.
#include <limits>

#include "commands.hpp"
#include "finetune_run.hpp"

namespace qdse::cli {

void add_finetune_command(CLI::App& app, GlobalOptions& global) {
  auto* cmd = app.add_subcommand("finetune", "quantization-aware fine-tuning of a search's trials");
  static std::string run, optimizer;
  static FinetuneRequest request;
  static int epochs = 0;
  static double lr = 0;
  static int64_t batch_size = 0, limit_train = 0;
  cmd->add_option("-r,--run", run, "run directory of `qdse search` (config.toml, best.json, trials.json)")->required();
  cmd->add_option("--trial", request.trials,
                  "trial number(s) of trials.json (default: [finetune] top_k, else the best, or the front up to 10)")
      ->check(whole_number(0));
  auto* o_epochs = cmd->add_option("--epochs", epochs, "fine-tuning epochs (default: [finetune] epochs, else 3)")
                       ->check(whole_number(1, 100));
  auto* o_lr = cmd->add_option("--lr", lr, "initial learning rate (default: [finetune] learning_rate, else 1e-4)")
                   ->check(finite_number(0, false));
  auto* o_opt = cmd->add_option("--optimizer", optimizer, "adam (default) or sgd (momentum 0.9)")
                    ->check(CLI::IsMember({"adam", "sgd"}));
  auto* o_batch = cmd->add_option("--batch-size", batch_size, "default: [finetune] batch_size, else the config's")
                      ->check(whole_number(1, 1 << 20));
  auto* o_limit = cmd->add_option("--limit-train", limit_train, "fine-tune on the first N training samples only")
                      ->check(whole_number(1, std::numeric_limits<int64_t>::max()));
  cmd->add_flag("--rederive-auto", request.rederive_auto,
                "re-derive \"auto\" frac widths from the fine-tuned weights (default: [finetune] auto_frac, else kept)");
  cmd->add_flag("--learn-scale", request.learn_scale,
                "learn each integer weight / input step (LSQ; default: [finetune] learn_scale, else off)");
  cmd->add_option("-o,--out", request.out, "output directory (default: RUN_DIR/finetuned)");
  cmd->callback([&global, o_epochs, o_lr, o_opt, o_batch, o_limit] {
    if (o_epochs->count() > 0) request.epochs = epochs;
    if (o_lr->count() > 0) request.learning_rate = lr;
    if (o_opt->count() > 0) request.optimizer = optimizer;
    if (o_batch->count() > 0) request.batch_size = batch_size;
    if (o_limit->count() > 0) request.limit_train = limit_train;
    run_finetune(run, request, global);
  });
}

}  // namespace qdse::cli
