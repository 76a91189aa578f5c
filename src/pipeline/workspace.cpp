// Workspace: resolves a config's model (zoo or ONNX), weights and dataset, and
// checks that they fit together (sample shape, number of classes).
#include "qdse/pipeline/workspace.hpp"

#include <torch/types.h>

#include <filesystem>

#include "qdse/core/error.hpp"
#include "qdse/ir/op_shape.hpp"
#include "qdse/io/checkpoint.hpp"
#include "qdse/io/onnx/import.hpp"
#include "qdse/ir/zoo.hpp"

namespace qdse::pipeline {
namespace {

std::string shape_str(const std::vector<int64_t>& s) {
  std::string out = "[";
  for (std::size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

int64_t numel(const std::vector<int64_t>& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

// Fits the dataset to the model input: equal shapes pass; a model with a flat
// input ([784]) takes image samples ([1, 28, 28]) flattened, as the PyTorch code
// that exported it did before calling it; anything else is an error with both shapes.
void fit_dataset_to_model(data::Dataset& ds, const ir::Graph& graph, const io::RunConfig& config) {
  const auto& want = graph.input_shape();
  if (ds.sample_shape == want) return;
  if (want.size() == 1 && ds.sample_shape.size() > 1 && numel(ds.sample_shape) == want[0]) {
    for (data::Split* s : {&ds.train, &ds.validation, &ds.test})
      if (s->x.defined()) s->x = s->x.reshape({s->x.size(0), want[0]}).contiguous();
    ds.sample_shape = want;
    return;
  }
  throw Error(ErrorKind::Config, "dataset '" + ds.name + "' has samples of shape " +
                                     shape_str(ds.sample_shape) + " but model '" + config.model +
                                     "' expects input shape " + shape_str(want) +
                                     (config.is_onnx() ? " (set `dataset`, or [onnx] input_shape for a "
                                                         "model with dynamic dimensions)"
                                                       : ""));
}

// An imported model's logits must cover the dataset's classes.
void check_classes(const data::Dataset& ds, const ir::Graph& graph, const io::RunConfig& config) {
  if (ds.num_classes <= 0 || graph.size() == 0) return;
  const auto shapes = ir::infer_shapes(graph);
  const auto& out = shapes.at(static_cast<std::size_t>(graph.output()));
  if (out.size() != 1 || out[0] < ds.num_classes)
    throw Error(ErrorKind::Config, "model '" + config.model + "' outputs shape " + shape_str(out) +
                                       " per sample, but dataset '" + ds.name + "'" +
                                       (config.dataset_path.empty() ? "" : " (" + config.dataset_path + ")") +
                                       " has " +
                                       std::to_string(ds.num_classes) + " classes (want [" +
                                       std::to_string(ds.num_classes) + "] logits)");
}

}  // namespace

data::DatasetOptions dataset_options(const io::RunConfig& config) {
  data::DatasetOptions o;
  o.name = config.dataset;
  if (o.name.empty()) {
    for (const auto& e : ir::zoo_models())
      if (e.name == config.model) o.name = e.dataset;
    if (o.name.empty() && config.is_onnx())
      throw Error(ErrorKind::Config,
                  "model '" + config.model + "' is an ONNX file: say which dataset it reads with `dataset` "
                  "in the config or --dataset (fashion_mnist, mnist, jsc, csv)" +
                      (config.file.empty() ? "" : " (" + config.file + ")"));
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
  if (config.is_onnx()) {
    io::OnnxImportOptions options;
    options.fold_batch_norm = config.onnx_fold_batch_norm;
    options.input_shape = config.onnx_input_shape;
    return io::import_onnx(config.model, options);
  }
  return ir::build_zoo_model(config.model, config.seed);
}

Workspace open_workspace(const io::RunConfig& config, const std::string& weights,
                         bool require_weights) {
  Workspace ws = open_model(config, weights, require_weights);
  load_data(ws, /*need_train=*/true);
  return ws;
}

Workspace open_model(const io::RunConfig& config, const std::string& weights, bool require_weights) {
  Workspace ws{config, build_graph(config), {}, ""};
  std::string path = !weights.empty() ? weights : config.load_name;
  // An ONNX file carries its trained weights: the cache of `qdse train` is only
  // consulted for zoo models (an explicit --load / load_name still applies).
  if (path.empty() && !config.is_onnx() && std::filesystem::exists(config.default_checkpoint_path()))
    path = config.default_checkpoint_path();
  if (!path.empty()) {
    io::load_weights(path, ws.graph);
    ws.weights_path = path;
  } else if (config.is_onnx()) {
    ws.weights_path = config.model;
  } else if (require_weights) {
    throw Error(ErrorKind::Config,
                "no trained weights for model '" + config.model + "': give `load_name` in the config, "
                "--load PATH, or run `qdse train` first (it caches " +
                    config.default_checkpoint_path() + ")");
  }
  return ws;
}

void load_data(Workspace& ws, bool need_train) {
  data::DatasetOptions options = dataset_options(ws.config);
  options.train = need_train;
  ws.dataset = data::load_dataset(options);
  fit_data_to_model(ws);
}

void fit_data_to_model(Workspace& ws) {
  fit_dataset_to_model(ws.dataset, ws.graph, ws.config);
  check_classes(ws.dataset, ws.graph, ws.config);
}

}  // namespace qdse::pipeline
