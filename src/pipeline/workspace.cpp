#include "qdse/pipeline/workspace.hpp"

#include <torch/torch.h>

#include <filesystem>

#include "qdse/core/error.hpp"
#include "qdse/io/checkpoint.hpp"
#include "qdse/ir/zoo.hpp"

namespace qdse::pipeline {
namespace {

std::string shape_str(const std::vector<int64_t>& s) {
  std::string out = "[";
  for (std::size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

}  // namespace

data::DatasetOptions dataset_options(const io::RunConfig& config) {
  data::DatasetOptions o;
  o.name = config.dataset;
  if (o.name.empty()) {
    for (const auto& e : ir::zoo_models())
      if (e.name == config.model) o.name = e.dataset;
    if (o.name.empty())
      throw Error(ErrorKind::Config, "`dataset` is required for model '" + config.model + "' (" +
                                         config.file + ")");
  }
  o.path = config.dataset_path;
  if (!config.preprocess.empty()) o.preprocess = data::parse_preprocess(config.preprocess);
  o.validation_fraction = config.validation_fraction;
  o.seed = config.seed;
  o.label_column = config.label_column;
  return o;
}

ir::Graph build_graph(const io::RunConfig& config) {
  return ir::build_zoo_model(config.model, config.seed);
}

Workspace open_workspace(const io::RunConfig& config, const std::string& weights,
                         bool require_weights) {
  Workspace ws{config, build_graph(config), {}, ""};
  std::string path = !weights.empty() ? weights : config.load_name;
  if (path.empty() && std::filesystem::exists(config.default_checkpoint_path()))
    path = config.default_checkpoint_path();
  if (!path.empty()) {
    io::load_weights(path, ws.graph);
    ws.weights_path = path;
  } else if (require_weights) {
    throw Error(ErrorKind::Config,
                "no trained weights for model '" + config.model + "': give `load_name` in the config, "
                "--load PATH, or run `qdse train` first (it caches " +
                    config.default_checkpoint_path() + ")");
  }
  ws.dataset = data::load_dataset(dataset_options(config));
  if (ws.dataset.sample_shape != ws.graph.input_shape())
    throw Error(ErrorKind::Config, "dataset '" + ws.dataset.name + "' has samples of shape " +
                                       shape_str(ws.dataset.sample_shape) + " but model '" +
                                       config.model + "' expects input shape " +
                                       shape_str(ws.graph.input_shape()));
  return ws;
}

}  // namespace qdse::pipeline
