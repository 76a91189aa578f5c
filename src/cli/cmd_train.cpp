// `qdse train`: trains the configured model with Adam + cross-entropy and saves a
// checkpoint (by default into checkpoint_dir, where `eval` and `search` find it).
#include <torch/types.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "qdse/core/progress.hpp"
#include "qdse/exec/evaluate.hpp"
#include "qdse/io/checkpoint.hpp"
#include "qdse/pipeline/workspace.hpp"
#include "qdse/train/trainer.hpp"

namespace qdse::cli {

void add_train_command(CLI::App& app, GlobalOptions& global) {
  static ConfigOptions cfg;
  static std::string out;
  static int epochs = -1;
  static int64_t limit_train = 0;
  static bool if_missing = false;
  auto* cmd = cfg.add_command(app, "train", "train the configured model and save a checkpoint");
  cmd->add_option("-o,--out", out, "checkpoint path (default: checkpoint_dir/<model>_<keys>.qdse)");
  cmd->add_option("--epochs", epochs, "overrides `max_epochs`")->check(whole_number(0, 100000));
  cmd->add_option("--limit-train", limit_train, "train on the first N training samples only")
      ->check(whole_number(1, std::numeric_limits<int64_t>::max()));
  cmd->add_flag("--if-missing", if_missing, "do nothing if the checkpoint already exists");
  cmd->callback([&global] {
    io::RunConfig c = resolve_config(cfg);
    if (epochs >= 0) c.max_epochs = epochs;
    const std::string path = out.empty() ? c.default_checkpoint_path() : out;
    if (if_missing && std::filesystem::exists(path)) {
      if (!global.json) std::printf("checkpoint %s exists: not retraining\n", path.c_str());
      else std::printf("{\"checkpoint\": \"%s\", \"trained\": false}\n", path.c_str());
      return;
    }
    apply_threads(global, c.threads);
    // Train from fresh weights: an existing cached checkpoint is what we replace.
    pipeline::Workspace ws{c, pipeline::build_graph(c), {}, ""};
    auto opts = pipeline::dataset_options(c);
    if (limit_train > 0) opts.limit_train = limit_train;
    ws.dataset = data::load_dataset(opts);
    // Before any training: labels the model cannot output would fail in the loss
    // ("Target 6 is out of bounds") after the data was loaded and shuffled.
    pipeline::fit_data_to_model(ws);
    const auto& tr = ws.dataset.train;
    const auto& va = ws.dataset.validation;
    train::TrainOptions to{c.max_epochs, c.batch_size, c.learning_rate, c.weight_decay, c.seed};
    ProgressBar bar("train", 0, !global.quiet && !global.json);
    train::TrainCallbacks cb;
    cb.on_batch = batch_progress(bar, c.max_epochs);
    nlohmann::json history = nlohmann::json::array();
    cb.on_epoch = [&](const train::EpochStats& s) {
      history.push_back({{"epoch", s.epoch}, {"train_loss", s.train_loss},
                         {"train_accuracy", s.train_accuracy}, {"val_accuracy", s.val_accuracy},
                         {"val_loss", s.val_loss}, {"seconds", s.seconds},
                         {"samples_per_second", s.samples_per_second}});
      if (!global.json) {
        char line[160];
        std::snprintf(line, sizeof line, "epoch %d: train loss %.4f acc %.4f | val loss %.4f acc %.4f | %.1fs (%.0f samples/s)",
                      s.epoch, s.train_loss, s.train_accuracy, s.val_loss, s.val_accuracy, s.seconds,
                      s.samples_per_second);
        bar.print_line(line);
      }
      bar.restart();  // the next epoch's ETA comes from its own batches, not from the run's start
    };
    train::train(ws.graph, tr.x, tr.y, va.x, va.y, to, cb);
    bar.finish();
    const auto test = exec::evaluate(ws.graph, nullptr, ws.dataset.test.x, ws.dataset.test.y);
    if (auto dir = std::filesystem::path(path).parent_path(); !dir.empty())
      std::filesystem::create_directories(dir);
    nlohmann::json meta = {{"model", c.model}, {"dataset", ws.dataset.name},
                           {"max_epochs", c.max_epochs}, {"batch_size", c.batch_size},
                           {"learning_rate", c.learning_rate}, {"seed", c.seed},
                           {"test_accuracy", test.accuracy}, {"test_loss", test.loss},
                           {"history", history}};
    io::save_checkpoint(ws.graph, path, meta);
    if (global.json) {
      meta["checkpoint"] = path;
      std::printf("%s\n", meta.dump(2).c_str());
    } else {
      std::printf("trained %s for %d epochs: test accuracy %.4f, test loss %.4f\ncheckpoint: %s\n",
                  c.model.c_str(), c.max_epochs, test.accuracy, test.loss, path.c_str());
    }
  });
}

}  // namespace qdse::cli
