// Workspace: the model and dataset a config names, loaded and checked together.
//
// Resolves the model (zoo name; ONNX later), its weights (load_name, --load, or the
// cached checkpoint of `qdse train`), the dataset with the preprocessing declared in
// the config, and checks that the dataset's sample shape matches the model input.
// Ownership: owns the graph and the dataset tensors. Thread-safety: read-only after
// construction; the graph's weights are shared, not copied, by evaluators.
#pragma once

#include <string>

#include "qdse/data/load_dataset.hpp"
#include "qdse/io/run_config.hpp"
#include "qdse/ir/graph.hpp"

namespace qdse::pipeline {

struct Workspace {
  io::RunConfig config;
  ir::Graph graph;
  data::Dataset dataset;
  std::string weights_path;  // where the weights came from ("" = freshly initialised)
};

// Options resolved from the config; `data_path` overrides dataset_path (--data).
data::DatasetOptions dataset_options(const io::RunConfig& config);

// Builds the model graph (fresh weights from the seed).
ir::Graph build_graph(const io::RunConfig& config);

// Loads model + dataset. If `weights` is empty, uses config.load_name, else the
// cached checkpoint if present; `require_weights` makes a missing one an error.
Workspace open_workspace(const io::RunConfig& config, const std::string& weights,
                         bool require_weights);

}  // namespace qdse::pipeline
