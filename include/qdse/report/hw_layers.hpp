// hw_layers.csv: the per-layer FPGA figures of a search's best trial(s), written beside
// best.json when the config has a [search.strategy.hw_runner.fpga] table (docs/report.md).
//
// One row per costed layer of each trial, then a `total` row (resources summed, latency the
// sum, II the largest; the figures the trial's metrics hold):
//   trial,layer,lut,ff,dsp,bram18,uram,latency_cycles,ii
// `ff` is empty under the FINN back end (no FF rule). Formats are the trial's, "auto" frac
// widths resolved with the search's range statistics, exactly as the evaluator costed them.
// Thread-safety: pure function.
#pragma once

#include <string>
#include <vector>

#include "qdse/lower/calibration.hpp"
#include "qdse/pipeline/hw_cost_model.hpp"
#include "qdse/pipeline/quant_space.hpp"
#include "qdse/search/trial.hpp"

namespace qdse::report {

std::string hw_layers_csv(const pipeline::HwCostModel& model, const ir::Graph& graph,
                          const pipeline::QuantSpace& space, const quant::RangeStats& stats,
                          const std::vector<search::FrozenTrial>& trials);

}  // namespace qdse::report
