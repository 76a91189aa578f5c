// Whole-network figures from per-layer costs (docs/hardware.md#whole-network).
//
// Resources add up: every layer has its own hardware, in hls4ml io_parallel as in a FINN
// dataflow build. Timing:
//  - latency = the sum of the layers' latencies. In hls4ml io_parallel the layers run one
//    after the other inside one pipeline. For a FINN dataflow chain this is FINN's
//    critical_path_cycles (finn/analysis/fpgadataflow/dataflow_performance.py), which FINN
//    calls pessimistic: stages overlap in reality.
//  - II = the largest layer II: the slowest stage bounds the throughput (FINN's
//    max_cycles). `max_stage_cycles` / `max_stage` name that stage; for a dataflow chain it
//    is also the optimistic lower bound on latency.
// Thread-safety: pure function.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "qdse/hw/cost.hpp"

namespace qdse::hw {

struct LayerCost {
  std::string layer;
  Cost cost;
};

struct NetworkCost {
  Cost total;                    // ff_estimated only if every layer's is; ff 0 otherwise
  int64_t max_stage_cycles = 0;  // the largest layer II
  std::string max_stage;         // the layer that has it (the first on ties)
};

NetworkCost network_cost(const std::vector<LayerCost>& layers);

}  // namespace qdse::hw
