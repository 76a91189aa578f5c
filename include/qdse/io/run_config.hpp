// RunConfig: the top level of a qdse/MASE TOML config (model, dataset, training
// keys), validated, with the parsed document kept for the stages that read the
// `[passes.quantize]` and `[search]` tables.
//
// MASE keys that mean nothing to qdse (accelerator, task, project, ...) are accepted
// and ignored so MASE configs load unchanged; any other unknown key is an error.
// Every key is documented in docs/config.md.
// Ownership: holds the parsed TOML document (shared). Thread-safety: read-only.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "qdse/io/toml_reader.hpp"

namespace qdse::io {

// A model name ending in ".onnx" (any case) is an ONNX file, anything else a zoo name.
bool is_onnx_model(const std::string& model);
// An ONNX path made absolute (so run directories record where the model is).
std::string absolute_model_path(const std::string& model);

struct RunConfig {
  std::string file;  // the config's path ("" when built from defaults)
  std::shared_ptr<toml::table> doc;

  std::string model = "fmnist-mlp";  // zoo name or path to an .onnx file (made absolute)
  std::string dataset;               // default: the zoo model's dataset
  std::string dataset_path;          // default: the dataset's standard location
  std::string preprocess;            // default: the dataset's standard preprocessing
  double validation_fraction = 0.1;
  std::string label_column = "label";

  int max_epochs = 10;
  int64_t batch_size = 256;
  double learning_rate = 1e-3;
  double weight_decay = 0.0;
  uint64_t seed = 0;

  std::string load_name;       // weights to load (checkpoint or state-dict JSON)
  std::string checkpoint_dir = "checkpoints";  // where `qdse train` writes
  std::string eval_split = "test";
  int64_t num_samples = 0;     // 0 = the whole split
  int64_t eval_batch_size = 1024;
  int threads = 0;             // libtorch intra-op threads; 0 = libtorch default

  // [onnx]: import options for an .onnx `model` (io::OnnxImportOptions).
  bool onnx_fold_batch_norm = false;
  std::vector<int64_t> onnx_input_shape;  // one sample; empty = the model's own

  // Whether `model` names an ONNX file rather than a built-in model.
  bool is_onnx() const { return is_onnx_model(model); }

  // Reader for the whole document (for [passes] and [search]).
  TableReader root() const { return TableReader(*doc, file, ""); }
  // Where a checkpoint for this model, trained with these keys, is cached.
  std::string default_checkpoint_path() const;
};

RunConfig load_run_config(const std::string& file);
// Same, resolving relative paths against `base_dir` instead of the file's directory
// (a run directory's copy of a config still means the original's paths).
RunConfig load_run_config(const std::string& file, const std::string& base_dir);
// A config with defaults only (for `--model` without `--config`).
RunConfig default_run_config();

}  // namespace qdse::io
