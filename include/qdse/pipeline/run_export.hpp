// hls4ml export of a search result: the per-layer formats of a trial, rebuilt from
// a run directory (its config.toml and best.json) or from a search in progress,
// written as hls4ml's `LayerName` precision table (io/hls4ml_export.hpp; mapping
// in docs/onnx.md, "hls4ml export").
//
// "auto" frac widths are resolved exactly as the search resolved them: range
// statistics of the float model over the config's calibration samples (training
// split), so the export needs the weights and the dataset only when the trial uses
// "auto". Ownership: returns values. Thread-safety: reentrant.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

#include "qdse/io/run_config.hpp"
#include "qdse/ir/graph.hpp"
#include "qdse/pipeline/quant_space.hpp"
#include "qdse/lower/calibration.hpp"
#include "qdse/search/space.hpp"

namespace qdse::pipeline {

// A trial's params as run outputs record them ({"seq_blocks_1/config/weight_width": 8,
// ...}) -> the space's ParamVector. A param of the space that is missing, or a value
// that is not one of its choices, is Error(Config) naming it and `where`.
search::ParamVector params_from_json(const QuantSpace& space, const nlohmann::json& params,
                                     const std::string& where);

// hls4ml table of one configuration of the space; `stats` resolves "auto" widths
// (required when the configuration uses them).
std::string hls4ml_table(const ir::Graph& graph, const QuantSpace& space, const search::ParamVector& params,
                         const quant::RangeStats* stats);

struct RunExportOptions {
  std::string run_dir;
  std::optional<int> trial;  // trial number among best.json's trials; default: the first (the best)
  std::string data_path;     // overrides `dataset_path` (calibration data for "auto" widths)
  std::string weights;       // overrides the weights the run recorded
  // A fine-tuned trial (docs/finetune.md): `trial` among RUN_DIR/finetuned/finetune.json's
  // trials (default: its first), exported with the formats it was fine-tuned with ("auto"
  // widths re-derived from its checkpoint when it was fine-tuned with auto_frac = "rederive").
  bool finetuned = false;
};

struct RunExport {
  std::string yaml;   // the hls4ml table
  int trial = -1;     // the trial exported
  std::string model;  // the model it applies to
  std::string weights;  // finetuned: the trial's checkpoint (RUN_DIR/finetuned/trial_<N>.qdse)
};

// What a run directory's search ran on: <run_dir>/best.json, its config.toml read as the
// original config (relative paths mean what they meant there, provenance.config), with the
// model and dataset the run searched (provenance), and the weights it recorded ("" for an
// ONNX model's own initializers). Errors (Io) name the file that is missing or unreadable.
struct RunInputs {
  nlohmann::json best;  // best.json
  io::RunConfig config;
  std::string weights;
};
RunInputs read_run_inputs(const std::string& run_dir);

// Reads <run_dir>/best.json and <run_dir>/config.toml (relative paths in it mean
// what they meant for the original config, provenance.config) and rebuilds the model
// the run searched (provenance.model, provenance.dataset). Errors name the file.
RunExport export_run_hls4ml(const RunExportOptions& options);

// After a search: writes <dir>/hls4ml.yml for `params` (the best trial's configuration,
// as the caller holds it; `stats` resolves "auto" widths). Returns the path written, or
// "" when a format of the configuration has no ap_fixed equivalent (not applicable).
// A failure (params not of this space, the file cannot be written) is qdse::Error; the
// caller reports it.
std::string write_run_hls4ml(const std::string& dir, const ir::Graph& graph, const QuantSpace& space,
                             const quant::RangeStats& stats, const search::ParamVector& params);

}  // namespace qdse::pipeline
