// When a quantized weight layer (Linear, Conv2d) may run on the exact integer kernels
// instead of its float emulation, and with which epilogue: the rule shared by
// exec::IntegerLinear and exec::IntegerConv2d.
//
// Accepted only when the two give the same numbers bit for bit: data_in and weight
// integer formats with int16 codes, a bias that is absent or integer-quantized, the
// worst-case accumulator of `fan_in` products within int32 (2^30), and the float
// path's own precision (float32, or float64 where quant::needs_float64 says so) exact
// for the true code ranges, bias included.
// Thread-safety: pure function.
#pragma once

#include <cstdint>
#include <optional>

#include "qdse/ir/graph.hpp"
#include "qdse/quant/quant_config.hpp"

namespace qdse::exec {

struct IntegerLayerPlan {
  quant::IntegerFormat data, weight;
  bool has_bias = false;  // the node has a bias param (integer-quantized then)
  double scale = 1.0;     // 2^-(data frac + weight frac): accumulator units to values
  bool wide = false;      // the float path accumulates in float64
};

// nullopt when node (with its "weight" param, float32) under c must stay on the float path.
std::optional<IntegerLayerPlan> integer_layer_plan(const ir::Node& node, const quant::NodeQuantConfig& c,
                                                   int64_t fan_in);

}  // namespace qdse::exec
