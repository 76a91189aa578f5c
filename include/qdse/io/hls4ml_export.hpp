// hls4ml export: turns per-layer fixed-point formats found by a search into the
// `LayerName:` block of an hls4ml configuration (YAML), so the chosen precisions
// can be pasted into an hls4ml project.
//
// Mapping (docs/onnx.md): a format of `width` bits with `frac` fractional bits is
// hls4ml's ap_fixed<W, I> with W = width and I = width - frac (integer bits,
// sign included). A layer's weight and bias formats go to its own
// Precision.weight / Precision.bias; its data_in format is the precision of the
// tensor it reads, which hls4ml sets as the `result` of the producing layer (or of
// the input layer for the graph input). hls4ml's io_parallel Flatten/Reshape is an
// alias of its input (no cast), so a format read through one goes to the layer before
// it as well (to the input layer for a flattened graph input).
// A layer with a certified accumulator (pipeline/run_export.hpp, hw/overflow_bounds.hpp)
// gets Precision.accum, and Precision.result = accum unless a consumer's data_in sets
// its result: then the dense result holds the exact sum, and the one rounding happens
// where qdse rounds, at the consumer's input (ReLU's cast to its result type).
// Ownership: returns a string. Thread-safety: pure function.
#pragma once

#include <string>
#include <vector>

#include "qdse/ir/graph.hpp"
#include "qdse/quant/quant_config.hpp"

namespace qdse::io {

// Fixed-point formats of one layer; a width <= 0 means "not set" (field omitted).
// A mode is ap_fixed's quantization and overflow mode, "RND_CONV,SAT"; empty means
// ap_fixed's default (TRN, WRAP) and is not written.
struct LayerPrecision {
  std::string layer;  // graph node name
  int data_in_width = 0, data_in_frac = 0;
  int weight_width = 0, weight_frac = 0;
  int bias_width = 0, bias_frac = 0;
  std::string data_in_mode = "", weight_mode = "", bias_mode = "";
  // Certified accumulator ap_fixed<accum_width, accum_width - accum_frac> (no mode: it
  // never overflows nor rounds); 0 = not written.
  int accum_width = 0, accum_frac = 0;
  // hls4ml ReuseFactor (0 = not written) and Strategy ("Latency" / "Resource"; "" = not written).
  int64_t reuse_factor = 0;
  std::string strategy = "";
};

struct Hls4mlExportOptions {
  // hls4ml's name for the graph input layer (its result precision receives the
  // data_in format of the layers that read the graph input).
  std::string input_layer = "input";
};

// "ap_fixed<W,I>" for width W and frac F (I = W - F); "ap_fixed<W,I,MODE>" with a mode.
std::string ap_fixed(int width, int frac, const std::string& mode = "");

// The precisions of a resolved QuantConfig (auto frac widths already resolved), in
// graph order. Integer (fixed-point) formats map to W/I; their rounding and
// overflow to the mode (nearest_even RND_CONV, nearest_away RND_INF, floor TRN,
// toward_zero TRN_ZERO; saturate SAT, wrap WRAP), omitted when TRN,WRAP. Float
// slots are left out; other formats (minifloat, block_fp, log, binary, ternary),
// unsigned integers and unresolved "auto" widths are Error(InvalidArgument) naming
// the layer and slot.
std::vector<LayerPrecision> layer_precisions(const ir::Graph& graph, const quant::QuantConfig& config);

// Why `config` has no hls4ml table: the message layer_precisions would throw for its
// first slot in graph order that is not a signed fixed-point format with a resolved
// frac width; "" when every quantized slot maps to ap_fixed. Lets a caller tell "not
// applicable" from a failure without catching.
std::string hls4ml_unsupported(const ir::Graph& graph, const quant::QuantConfig& config);

// YAML text: "LayerName:\n  <layer>:\n    Precision:\n      weight: ap_fixed<8,3>\n ...",
// keys weight, bias, accum, result, then "    ReuseFactor: R" and "    Strategy: S".
// Unknown layer names and widths above 64 are Error(InvalidArgument).
std::string hls4ml_precision_table(const ir::Graph& graph, const std::vector<LayerPrecision>& layers,
                                   const Hls4mlExportOptions& options = {});

// The same table in hls4ml's Python dict form (what config_from_pytorch_model returns and
// convert_from_pytorch_model takes as hls_config): {"LayerName": {layer: {"Precision":
// {...}, "ReuseFactor": R, "Strategy": S}}}, as JSON text.
std::string hls4ml_config_json(const ir::Graph& graph, const std::vector<LayerPrecision>& layers,
                               const Hls4mlExportOptions& options = {});

}  // namespace qdse::io
