#include "qdse/io/run_config.hpp"

#include <cctype>
#include <cmath>
#include <filesystem>
#include <sstream>

namespace qdse::io {
namespace {

// MASE keys with no meaning here; accepted so MASE configs load unchanged.
const std::vector<std::string_view> kIgnoredMaseKeys = {
    "accelerator", "task", "project", "project_dir", "log_every_n_steps", "num_workers",
    "num_devices", "strategy", "t_max", "eta_min", "is_pretrained", "max_token_len",
    "load_type", "disable_dataset_cache", "transform", "profile"};

const std::vector<std::string_view> kKeys = {
    "model", "dataset", "dataset_path", "preprocess", "validation_fraction", "label_column",
    "max_epochs", "batch_size", "learning_rate", "weight_decay", "seed", "optimizer",
    "load_name", "checkpoint_dir", "eval_split", "num_samples", "eval_batch_size", "threads",
    "passes", "search", "report", "storage", "onnx", "finetune"};

// [onnx]: import options of an ONNX model (docs/onnx.md, "Config keys").
void parse_onnx_table(const TableReader& root, RunConfig& c) {
  const auto t = root.get_table("onnx");
  if (!t) return;
  t->check_keys({"fold_batch_norm", "input_shape"});
  c.onnx_fold_batch_norm = t->bool_or("fold_batch_norm", false);
  if (const toml::node* n = t->node("input_shape")) {
    const auto* arr = n->as_array();
    if (!arr)
      throw t->error("input_shape", "`input_shape` must be a list of positive integers (one sample, "
                                    "batch excluded), got " + describe_node(*n));
    for (const auto& v : *arr) {
      const auto d = v.value<int64_t>();
      if (!v.is_integer() || !d || *d <= 0)
        throw t->error("input_shape", "`input_shape` must be a list of positive integers (one sample, "
                                      "batch excluded), got " + describe_node(*n));
      c.onnx_input_shape.push_back(*d);
    }
    if (c.onnx_input_shape.empty())
      throw t->error("input_shape", "`input_shape` must not be empty");
  }
}

}  // namespace

bool is_onnx_model(const std::string& model) {
  if (model.size() < 5) return false;
  std::string ext = model.substr(model.size() - 5);
  for (char& ch : ext) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return ext == ".onnx";
}

std::string absolute_model_path(const std::string& model) {
  if (!is_onnx_model(model) || model.empty()) return model;
  return std::filesystem::absolute(model).lexically_normal().string();
}

std::string RunConfig::default_checkpoint_path() const {
  std::ostringstream name;
  // An ONNX model caches under "<file name>.onnx_...", never under a zoo name
  // (fmnist-mlp.onnx must not pick up the zoo fmnist-mlp's checkpoint).
  name << (is_onnx() ? std::filesystem::path(model).filename().string() : model) << "_e" << max_epochs << "_b" << batch_size << "_lr" << learning_rate << "_s"
       << seed << ".qdse";
  return (std::filesystem::path(checkpoint_dir) / name.str()).string();
}

RunConfig default_run_config() {
  RunConfig c;
  c.doc = std::make_shared<toml::table>();
  return c;
}

RunConfig load_run_config(const std::string& file) {
  return load_run_config(file, std::filesystem::path(file).parent_path().string());
}

RunConfig load_run_config(const std::string& file, const std::string& base_dir) {
  RunConfig c;
  c.file = file;
  c.doc = TableReader::parse_file(file);
  const TableReader r = c.root();
  std::vector<std::string_view> allowed = kKeys;
  allowed.insert(allowed.end(), kIgnoredMaseKeys.begin(), kIgnoredMaseKeys.end());
  r.check_keys(allowed);

  c.model = r.string_or("model", c.model);
  c.dataset = r.string_or("dataset", "");
  c.dataset_path = r.string_or("dataset_path", "");
  c.preprocess = r.string_or("preprocess", "");
  c.validation_fraction = r.double_or("validation_fraction", c.validation_fraction);
  if (!(c.validation_fraction >= 0 && c.validation_fraction < 1))  // NaN fails too
    throw r.error("validation_fraction", "`validation_fraction` must be in [0, 1), got " +
                                             std::to_string(c.validation_fraction));
  c.label_column = r.string_or("label_column", c.label_column);

  const int64_t epochs = r.int_or("max_epochs", c.max_epochs);
  if (epochs < 0 || epochs > 100000)
    throw r.error("max_epochs", "`max_epochs` must be in [0, 100000], got " + std::to_string(epochs));
  c.max_epochs = static_cast<int>(epochs);
  c.batch_size = r.int_or("batch_size", c.batch_size);
  if (c.batch_size <= 0)
    throw r.error("batch_size", "`batch_size` must be positive, got " + std::to_string(c.batch_size));
  c.learning_rate = r.double_or("learning_rate", c.learning_rate);
  if (!(c.learning_rate > 0) || !std::isfinite(c.learning_rate))
    throw r.error("learning_rate", "`learning_rate` must be a finite positive number, got " +
                                       describe_node(*r.node("learning_rate")));
  c.weight_decay = r.double_or("weight_decay", c.weight_decay);
  if (!(c.weight_decay >= 0) || !std::isfinite(c.weight_decay))
    throw r.error("weight_decay", "`weight_decay` must be a finite number >= 0, got " +
                                      describe_node(*r.node("weight_decay")));
  const int64_t seed = r.int_or("seed", 0);
  if (seed < 0) throw r.error("seed", "`seed` must be >= 0, got " + std::to_string(seed));
  c.seed = static_cast<uint64_t>(seed);
  if (auto opt = r.get_string("optimizer"); opt && *opt != "adam" && *opt != "Adam")
    throw r.error("optimizer", "`optimizer` must be \"adam\" (the only one qdse trains with), got \"" +
                                   *opt + "\"");

  c.load_name = r.string_or("load_name", "");
  c.checkpoint_dir = r.string_or("checkpoint_dir", c.checkpoint_dir);
  c.eval_split = r.string_or("eval_split", c.eval_split);
  c.num_samples = r.int_or("num_samples", 0);
  if (c.num_samples < 0)
    throw r.error("num_samples", "`num_samples` must be >= 0 (0 = all), got " +
                                     std::to_string(c.num_samples));
  c.eval_batch_size = r.int_or("eval_batch_size", c.eval_batch_size);
  if (c.eval_batch_size <= 0)
    throw r.error("eval_batch_size", "`eval_batch_size` must be positive");
  const int64_t threads = r.int_or("threads", 0);
  if (threads < 0 || threads > 1024)
    throw r.error("threads", "`threads` must be in [0, 1024], got " + std::to_string(threads));
  c.threads = static_cast<int>(threads);
  // Relative paths in a config are relative to the config file, as a user expects
  // when running from another directory.
  const auto base = std::filesystem::path(base_dir);
  auto resolve = [&](std::string& p) {
    if (!p.empty() && std::filesystem::path(p).is_relative() && !base.empty() &&
        std::filesystem::exists(base / p))
      p = (base / p).string();
  };
  resolve(c.load_name);
  resolve(c.dataset_path);
  if (c.is_onnx()) {
    resolve(c.model);
    c.model = absolute_model_path(c.model);
  }
  parse_onnx_table(r, c);
  return c;
}

}  // namespace qdse::io
