// The hls4ml export with overflow certification (issue 16 items 4 and 5; docs/hardware.md,
// "Overflow certification" and "Bit-exact export"):
//
//  - certified_layer_precisions(): the per-layer precisions of a resolved configuration
//    (io::layer_precisions) plus, for every linear/conv2d layer whose data_in, weight and
//    bias are fixed point, the accumulator width interval arithmetic over its actual
//    weight and bias codes proves can never overflow (hw/overflow_bounds.hpp), and the
//    layer's hls4ml ReuseFactor/Strategy (searched per layer, else the config's
//    [search.strategy.hw_runner.fpga] table; not written without either).
//  - data_in_clipping(): per fixed-point data_in slot, the fraction of the values it reads
//    on the given samples that its format clips (saturates or wraps), the quantized graph
//    running as the search evaluates it.
//  - export_run_hls4ml_certified(): `qdse export --format hls4ml` (run_export.hpp's
//    export_run_hls4ml is this minus the extras), and with `check_dir` the files an
//    independent emulation needs to check the export bit for bit (scripts/hls4ml_check.py):
//    the layers with their quantized weights, the test split's inputs and labels, and
//    qdse's logits of the configuration.
// Ownership: returns values. Thread-safety: reentrant.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "qdse/data/dataset.hpp"
#include "qdse/io/hls4ml_export.hpp"
#include "qdse/ir/graph.hpp"
#include "qdse/pipeline/hw_cost_model.hpp"
#include "qdse/pipeline/layer_impl.hpp"
#include "qdse/pipeline/quant_space.hpp"
#include "qdse/pipeline/run_export.hpp"
#include "qdse/quant/quant_config.hpp"

namespace qdse::pipeline {

std::vector<io::LayerPrecision> certified_layer_precisions(const ir::Graph& graph, const quant::QuantConfig& resolved,
                                                           const ImplConfig& impl,
                                                           const std::optional<HwTarget>& target);

struct ClipStat {
  std::string layer;   // the node whose data_in format clips
  std::string format;  // ap_fixed<...> of that data_in
  int64_t values = 0, clipped = 0;
  double fraction() const { return values > 0 ? static_cast<double>(clipped) / static_cast<double>(values) : 0.0; }
};

// One entry per fixed-point data_in slot, in graph order (clipped may be 0).
std::vector<ClipStat> data_in_clipping(const ir::Graph& graph, const quant::QuantConfig& resolved, const at::Tensor& x,
                                       int64_t batch_size);

struct CertifiedExportOptions {
  RunExportOptions run;
  io::Hls4mlExportOptions table;  // hls4ml's name of the input layer
  std::string check_dir;          // "" = no emulation-check files
};

struct CertifiedExport {
  RunExport run;                          // yaml, trial, model, weights
  std::string config_json;                // the dict form (io::hls4ml_config_json)
  std::vector<io::LayerPrecision> layers;
  std::vector<ClipStat> clipping;         // on the config's calibration samples
  int64_t calibration_samples = 0;
  int64_t check_samples = 0;              // test samples written to check_dir
};

CertifiedExport export_run_hls4ml_certified(const CertifiedExportOptions& options);

// Writes the emulation-check files of `exported` into `dir` (created): hls4ml_config.json
// (the dict form), hls4ml.yml, model.json (input shape, hls4ml's input layer name, every
// node in graph order with op, inputs and, for linear layers, the weights and biases as
// the configuration quantizes them), inputs.f32 / labels.i64 (the split, row-major,
// little endian) and logits.f64 (qdse's logits of the configuration on it). Returns the
// number of samples. Error(Io) naming the file that cannot be written; Error(Config) for
// a graph the check cannot describe (a node other than linear, relu, flatten).
int64_t write_hls4ml_check_dir(const std::string& dir, const ir::Graph& graph, const quant::QuantConfig& resolved,
                               const data::Split& split, const CertifiedExport& exported,
                               const io::Hls4mlExportOptions& table, int64_t batch_size);

// write_run_hls4ml (run_export.hpp) with the search's FPGA target, so that the run's
// hls4ml.yml is what `qdse export` prints.
std::string write_run_hls4ml_for_target(const std::string& dir, const ir::Graph& graph, const QuantSpace& space,
                                        const quant::RangeStats& stats, const search::ParamVector& params,
                                        const std::optional<HwTarget>& target);

}  // namespace qdse::pipeline
