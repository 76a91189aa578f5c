// Before the first trial of a search with hw metrics: a `<=` constraint on an FPGA
// figure (lut, ff, dsp, bram, uram, latency_cycles, latency_ns, ii, <resource>_utilization)
// that no configuration of the space can meet is refused, with the smallest value the space
// can reach and the layers that make most of it (issue 16, "In the search").
//
// The smallest value is a lower bound computed layer by layer: each costed layer's figure
// minimised over the choices of the params that configure it (its own group's and those
// of the node that reads its output, whose data_in is the layer's result format), summed
// (ii: the largest of the minima), as hw::network_cost combines layers. Layers share
// params only through such groups, so the bound is exact when every layer has its own
// table and not below it otherwise; a constraint under it cannot be met anywhere. Relative
// bounds ("<= 0.5 * float") use the float model's figure (hls4ml's default precision).
// A layer with more than kMaxFeasibilityCombos combinations of those params is not
// checked (nothing is said about the constraints it takes part in).
// Thread-safety: a pure function.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "qdse/ir/graph.hpp"
#include "qdse/lower/calibration.hpp"
#include "qdse/pipeline/hw_cost_model.hpp"
#include "qdse/pipeline/quant_space.hpp"
#include "qdse/pipeline/strategy_config.hpp"

namespace qdse::pipeline {

inline constexpr std::uint64_t kMaxFeasibilityCombos = 100000;

// Throws qdse::Error(Config), one line naming the constraint, its smallest reachable value,
// the dominating layers and `where`, for the first constraint no configuration can meet.
void check_hw_constraints_reachable(const QuantSpace& space, const ir::Graph& graph, const HwCostModel& model,
                                    const quant::RangeStats& stats, const std::vector<ConstraintSpec>& constraints,
                                    const std::string& where);

}  // namespace qdse::pipeline
