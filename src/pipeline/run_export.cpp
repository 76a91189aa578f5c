// hls4ml export of a search result (run directory or a search just finished).
#include "qdse/pipeline/run_export.hpp"

#include <torch/types.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "qdse/core/error.hpp"
#include "qdse/io/hls4ml_export.hpp"
#include "qdse/io/run_config.hpp"
#include "qdse/pipeline/hls4ml_certified_export.hpp"
#include "qdse/pipeline/search_config.hpp"
#include "qdse/pipeline/workspace.hpp"
#include "qdse/lower/transform.hpp"
#include "qdse/core/file_write.hpp"

namespace qdse::pipeline {
namespace {

quant::ConfigValue value_of(const nlohmann::json& v, const std::string& what) {
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_number()) return v.get<double>();
  if (v.is_string()) return v.get<std::string>();
  throw Error(ErrorKind::Config, what + " is " + v.dump() + ", not a scalar");
}

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(ErrorKind::Io, "cannot read " + path + " (is this a run directory of `qdse search`?)");
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::Io, path + " is not valid JSON: " + e.what());
  }
}

std::string str_or(const nlohmann::json& j, const char* key) {
  return j.contains(key) && j.at(key).is_string() ? j.at(key).get<std::string>() : std::string();
}

}  // namespace

search::ParamVector params_from_json(const QuantSpace& space, const nlohmann::json& params,
                                     const std::string& where) {
  const auto& s = space.space();
  search::ParamVector out(s.n_params());
  for (std::size_t i = 0; i < s.n_params(); ++i) {
    const std::string& name = s.name(i);
    if (!params.is_object() || !params.contains(name))
      throw Error(ErrorKind::Config, where + ": param '" + name + "' of the config's search space is missing "
                                             "(was the config changed after the search?)");
    // Matched as a typed value (numbers by value), never through its text.
    const auto value = value_of(params.at(name), where + ": param '" + name + "'");
    const auto index = space.choice_index(i, value);
    if (!index)
      throw Error(ErrorKind::Config, where + ": param '" + name + "' = " + choice_label(value) +
                                         " is not one of its choices " + search::to_string(s.distribution(i)));
    out[i] = static_cast<double>(*index);
  }
  return out;
}

std::string hls4ml_table(const ir::Graph& graph, const QuantSpace& space, const search::ParamVector& params,
                         const quant::RangeStats* stats) {
  const quant::QuantConfig config = quant::resolve_auto_frac(graph, space.decode(params), stats);
  return io::hls4ml_precision_table(graph,
                                    certified_layer_precisions(graph, config, space.decode_impl(params), std::nullopt));
}

RunInputs read_run_inputs(const std::string& run_dir) {
  namespace fs = std::filesystem;
  const fs::path dir(run_dir);
  RunInputs in;
  in.best = read_json((dir / "best.json").string());
  const nlohmann::json provenance = in.best.value("provenance", nlohmann::json::object());
  const std::string config_path = (dir / "config.toml").string();
  if (!fs::exists(config_path))
    throw Error(ErrorKind::Io, "cannot read " + config_path + " (the run's copy of its config)");
  const std::string original = str_or(provenance, "config");
  const std::string base = original.empty() ? dir.string() : fs::path(original).parent_path().string();
  in.config = io::load_run_config(config_path, base);
  io::RunConfig& c = in.config;
  if (const auto model = str_or(provenance, "model"); !model.empty()) c.model = model;
  if (const auto dataset = str_or(provenance, "dataset"); !dataset.empty() && c.dataset.empty()) c.dataset = dataset;
  in.weights = str_or(provenance, "weights");
  if (c.is_onnx() && in.weights == c.model) in.weights.clear();  // the ONNX initializers
  return in;
}

namespace {

// The fine-tuned trials of a run (its finetuned/finetune.json) as best.json-like trial records
// ({"number", "params"}, plus "rederive_auto"); errors name the file.
nlohmann::json finetuned_export_trials(const std::string& run_dir, std::string& path) {
  path = (std::filesystem::path(run_dir) / "finetuned" / "finetune.json").string();
  std::ifstream in(path);
  if (!in)
    throw Error(ErrorKind::Io, "cannot read " + path + ": run `qdse finetune --run " + run_dir +
                                   "` (or a search with [finetune] top_k / front) first");
  const nlohmann::json doc = nlohmann::json::parse(in, nullptr, false);
  if (!doc.is_object() || !doc.contains("trials") || !doc.at("trials").is_array())
    throw Error(ErrorKind::Io, path + " is not a finetune.json of `qdse finetune`");
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : doc.at("trials"))
    if (r.is_object())
      out.push_back({{"number", r.value("trial", -1)},
                     {"params", r.value("params", nlohmann::json::object())},
                     {"rederive_auto", r.value("rederive_auto", false)}});
  return out;
}

// The config's [search.strategy.hw_runner.fpga] target (ReuseFactor, Strategy), if any.
// A config whose other [search.strategy] keys do not parse here (an n_jobs for another
// machine) still exports: its formats need only [search.search_space].
std::optional<HwTarget> export_hw_target(const io::RunConfig& c) {
  try {
    return parse_search_config(c).strategy.eval.hw;
  } catch (const Error&) {
    return std::nullopt;
  }
}

}  // namespace

RunExport export_run_hls4ml(const RunExportOptions& options) {
  CertifiedExportOptions o;
  o.run = options;
  return export_run_hls4ml_certified(o).run;
}

CertifiedExport export_run_hls4ml_certified(const CertifiedExportOptions& export_options) {
  const RunExportOptions& options = export_options.run;
  std::string best_path = (std::filesystem::path(options.run_dir) / "best.json").string();
  RunInputs in = read_run_inputs(options.run_dir);
  const nlohmann::json& best = in.best;
  const nlohmann::json finetuned =
      options.finetuned ? finetuned_export_trials(options.run_dir, best_path) : nlohmann::json();
  const auto& trials = options.finetuned ? finetuned : best.value("trials", nlohmann::json::array());
  if (trials.empty()) throw Error(ErrorKind::Config, best_path + " has no completed trial to export");
  const nlohmann::json* trial = &trials.front();
  if (options.trial) {
    trial = nullptr;
    std::string numbers;
    for (const auto& t : trials) {
      numbers += (numbers.empty() ? "" : ", ") + t.value("number", nlohmann::json(-1)).dump();
      if (t.value("number", -1) == *options.trial) trial = &t;
    }
    if (!trial)
      throw Error(ErrorKind::InvalidArgument, "trial " + std::to_string(*options.trial) + " is not among the " +
                                                  (options.finetuned ? "fine-tuned" : "best") + " trials of " +
                                                  best_path + " (" + numbers + ")");
  }

  io::RunConfig& c = in.config;
  if (!options.data_path.empty()) c.dataset_path = options.data_path;

  CertifiedExport result;
  RunExport& out = result.run;
  out.trial = trial->value("number", -1);
  out.model = c.model;
  if (options.finetuned) {
    out.weights = (std::filesystem::path(options.run_dir) / "finetuned" /
                   ("trial_" + std::to_string(out.trial) + ".qdse")).string();
    if (!std::filesystem::exists(out.weights))
      throw Error(ErrorKind::Io, "the checkpoint of fine-tuned trial " + std::to_string(out.trial) + ", " +
                                     out.weights + ", is missing");
  }
  // The weights the search evaluated (statistics for "auto" widths) -- a trial fine-tuned
  // with re-derived widths: its fine-tuned weights -- and the weights the exported design
  // holds, whose codes the accumulator certification bounds (a fine-tuned trial's own).
  std::string weights = options.weights.empty() ? in.weights : options.weights;
  if (options.finetuned && trial->value("rederive_auto", false)) weights = out.weights;
  if (c.is_onnx() && weights == c.model) weights.clear();  // the ONNX initializers
  Workspace ws = open_model(c, weights, /*require_weights=*/!weights.empty());
  load_data(ws, /*need_train=*/true);
  const QuantSpace space(c, ws.graph);
  const auto params =
      params_from_json(space, trial->value("params", nlohmann::json::object()),
                       best_path + " (trial " + std::to_string(out.trial) + ")");
  std::optional<quant::RangeStats> stats;
  if (quant::uses_auto_frac(space.decode(params)))
    stats = quant::calibrate(ws.graph, ws.dataset.train.x, space.calibration());
  const quant::QuantConfig config = quant::resolve_auto_frac(ws.graph, space.decode(params), stats ? &*stats : nullptr);
  std::optional<Workspace> design;
  if (options.finetuned && weights != out.weights) design = open_model(c, out.weights, /*require_weights=*/true);
  const ir::Graph& graph = design ? design->graph : ws.graph;
  result.layers = certified_layer_precisions(graph, config, space.decode_impl(params), export_hw_target(c));
  out.yaml = io::hls4ml_precision_table(graph, result.layers, export_options.table);
  result.config_json = io::hls4ml_config_json(graph, result.layers, export_options.table);
  const int64_t n_cal = std::min<int64_t>(space.calibration().num_samples, ws.dataset.train.size());
  result.calibration_samples = n_cal;
  result.clipping = data_in_clipping(graph, config, ws.dataset.train.x.slice(0, 0, n_cal), c.eval_batch_size);
  if (!export_options.check_dir.empty())
    result.check_samples = write_hls4ml_check_dir(export_options.check_dir, graph, config, ws.dataset.test, result,
                                                  export_options.table, c.eval_batch_size);
  return result;
}

std::string write_run_hls4ml(const std::string& dir, const ir::Graph& graph, const QuantSpace& space,
                             const quant::RangeStats& stats, const search::ParamVector& params) {
  return write_run_hls4ml_for_target(dir, graph, space, stats, params, std::nullopt);
}

std::string write_run_hls4ml_for_target(const std::string& dir, const ir::Graph& graph, const QuantSpace& space,
                                        const quant::RangeStats& stats, const search::ParamVector& params,
                                        const std::optional<HwTarget>& target) {
  if (params.size() != space.space().n_params())
    throw Error(ErrorKind::InvalidArgument, "hls4ml export: the trial has " + std::to_string(params.size()) +
                                                " params, the search space " + std::to_string(space.space().n_params()));
  const quant::QuantConfig config = quant::resolve_auto_frac(graph, space.decode(params), &stats);
  // Formats without an ap_fixed equivalent: nothing to export, by design.
  if (!io::hls4ml_unsupported(graph, config).empty()) return "";
  const std::string path = dir + "/hls4ml.yml";
  write_file_atomic(path, io::hls4ml_precision_table(
                              graph, certified_layer_precisions(graph, config, space.decode_impl(params), target)));
  return path;
}

}  // namespace qdse::pipeline
