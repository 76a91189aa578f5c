// quantize(): turns a graph plus a QuantConfig into an evaluable exec::Plan.
//
// Weights and biases are quantized once per call (not per batch); activations are
// quantized on the fly by the plan's input transforms. The float weights are
// shared, never copied. Auto fractional widths are resolved from RangeStats first
// (resolve_auto_frac), so the plan and every metric see concrete formats.
// Linear/conv layers whose data and weight formats are both integer run in float64
// when float32 accumulation could round (quant/formats/integer_reference.hpp), so
// results stay bit-exact with fixed-point hardware; see docs/formats.md.
// Thread-safety: pure functions; the returned Plan is immutable and shareable.
#pragma once

#include "qdse/exec/executor.hpp"
#include "qdse/lower/calibration.hpp"
#include "qdse/quant/quant_config.hpp"

namespace qdse::quant {

// Replaces every auto frac width with a number from the stats. `stats` may be null
// when no slot is auto (else an error).
QuantConfig resolve_auto_frac(const ir::Graph& graph, const QuantConfig& config,
                              const RangeStats* stats);

bool uses_auto_frac(const QuantConfig& config);

// True when the layer must accumulate in float64 to stay exact (see above).
bool needs_float64(const ir::Node& node, const NodeQuantConfig& c);

// One node's override: quantized weight/bias and data_in transform.
exec::NodeOverride build_node_override(const ir::Node& node, const NodeQuantConfig& c);

// The plan for a whole graph; `config` must have no auto slots left.
exec::Plan quantize(const ir::Graph& graph, const QuantConfig& config);

}  // namespace qdse::quant
