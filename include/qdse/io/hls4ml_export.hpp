// hls4ml export: turns per-layer fixed-point formats found by a search into the
// `LayerName:` block of an hls4ml configuration (YAML), so the chosen precisions
// can be pasted into an hls4ml project.
//
// Mapping (docs/onnx.md): a format of `width` bits with `frac` fractional bits is
// hls4ml's ap_fixed<W, I> with W = width and I = width - frac (integer bits,
// sign included). A layer's weight and bias formats go to its own
// Precision.weight / Precision.bias; its data_in format is the precision of the
// tensor it reads, which hls4ml sets as the `result` of the producing layer (or of
// the input layer for the graph input).
// Ownership: returns a string. Thread-safety: pure function.
#pragma once

#include <string>
#include <vector>

#include "qdse/ir/graph.hpp"

namespace qdse::io {

// Fixed-point formats of one layer; a width <= 0 means "not set" (field omitted).
struct LayerPrecision {
  std::string layer;  // graph node name
  int data_in_width = 0, data_in_frac = 0;
  int weight_width = 0, weight_frac = 0;
  int bias_width = 0, bias_frac = 0;
};

struct Hls4mlExportOptions {
  // hls4ml's name for the graph input layer (its result precision receives the
  // data_in format of the layers that read the graph input).
  std::string input_layer = "input";
};

// "ap_fixed<W,I>" for width W and frac F (I = W - F).
std::string ap_fixed(int width, int frac);

// YAML text: "LayerName:\n  <layer>:\n    Precision:\n      weight: ap_fixed<8,3>\n ...".
// Unknown layer names and widths above 64 are Error(InvalidArgument).
std::string hls4ml_precision_table(const ir::Graph& graph, const std::vector<LayerPrecision>& layers,
                                   const Hls4mlExportOptions& options = {});

}  // namespace qdse::io
