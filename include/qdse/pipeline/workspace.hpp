// Workspace: the model and dataset a config names, loaded and checked together.
//
// Resolves the model (zoo name, or an .onnx file imported with the [onnx] options),
// its weights (load_name, --load, the ONNX file's initializers, or for zoo models the
// cached checkpoint of `qdse train`), the dataset with the preprocessing declared in
// the config, and checks that the dataset's sample shape matches the model input
// (flat-input models take image samples flattened) and that the model's logits
// cover the dataset's classes.
// Ownership: owns the graph and the dataset tensors. Thread-safety: read-only after
// construction; the graph's weights are shared, not copied, by evaluators.
#pragma once

#include <string>

#include "qdse/data/load_dataset.hpp"
#include "qdse/io/run_config.hpp"
#include "qdse/ir/graph.hpp"
#include "qdse/pipeline/run_export.hpp"  // write_run_hls4ml(), for commands that search a workspace

namespace qdse::pipeline {

struct Workspace {
  io::RunConfig config;
  ir::Graph graph;
  data::Dataset dataset;
  std::string weights_path;  // where the weights came from ("" = freshly initialised)
};

// Options resolved from the config; `data_path` overrides dataset_path (--data).
data::DatasetOptions dataset_options(const io::RunConfig& config);

// Builds the model graph: a zoo model with fresh weights from the seed, or the
// imported ONNX model with its own weights.
ir::Graph build_graph(const io::RunConfig& config);

// Loads model + dataset. If `weights` is empty, uses config.load_name, else (zoo
// models) the cached checkpoint if present; `require_weights` makes a missing one
// an error. ONNX models need neither: their initializers are the weights.
Workspace open_workspace(const io::RunConfig& config, const std::string& weights,
                         bool require_weights);

// The two halves of open_workspace, for callers that decide what data they need from
// the model (a search reads the train split only for calibration or a validation
// split): the model and weights with no data, then the data. `need_train` = false
// lets loaders skip the train split (see data::DatasetOptions::train).
Workspace open_model(const io::RunConfig& config, const std::string& weights, bool require_weights);
void load_data(Workspace& ws, bool need_train);

// The checks load_data() applies, for callers that load the dataset themselves (`qdse
// train`): flattens image samples for a flat-input model, and throws Error(Config) when
// the sample shape does not fit or the model's logits do not cover the dataset's
// classes (labels the model cannot output), naming the dataset file.
void fit_data_to_model(Workspace& ws);

}  // namespace qdse::pipeline
