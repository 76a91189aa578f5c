// HwCostModel: the FPGA metrics of a trial (lut, ff, dsp, bram, uram, latency_cycles,
// latency_ns, ii, <resource>_utilization; docs/metrics.md) from its per-layer formats and
// the graph's layer shapes, through the hw layer's cost models (docs/hardware.md).
//
// HwTarget is what `[search.strategy.hw_runner.fpga]` says (read by parse_search_config,
// search_config.hpp): the back end (hls4ml or FINN), the device, the clock and the
// implementation parameters every costed layer gets.
//
// What is costed: every linear and conv2d node (groups = 1), as hls4ml's Dense/Conv2D or
// FINN's MVAU. Each layer's formats come from the trial's QuantConfig (auto frac widths
// resolved): data = its data_in, weight, bias; the output is the data_in of the first node
// that reads the layer's result (hls4ml sets a layer's result precision from what its
// consumer reads, io/hls4ml_export.hpp); the accumulator follows hls4ml's `auto` rule. A
// slot that is not quantized (float) is costed at hls4ml's default precision
// ap_fixed<16,6>, the type hls4ml gives a layer without one; so the float model's figures
// are those of a 16-bit design. Other nodes (activations, pooling, batch norm) are not
// costed. Everything a layer cannot be costed for (a grouped conv, a reuse factor that
// does not divide it, PE/SIMD that do not divide it) is found when the model is built,
// before any trial, and named with the layer.
// Thread-safety: immutable after construction; const methods are thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "qdse/hw/device.hpp"
#include "qdse/hw/finn_cost.hpp"
#include "qdse/hw/hls4ml_cost.hpp"
#include "qdse/hw/network_cost.hpp"
#include "qdse/ir/graph.hpp"
#include "qdse/pipeline/layer_impl.hpp"
#include "qdse/quant/quant_config.hpp"

namespace qdse::pipeline {

enum class HwBackend { Hls4ml, Finn };

// [search.strategy.hw_runner.fpga]
struct HwTarget {
  HwBackend backend = HwBackend::Hls4ml;
  hw::Device device;
  double clock_ns = 0;     // the device's default unless the table sets it
  hw::Hls4mlImpl hls4ml;   // strategy, reuse_factor (hls4ml back end)
  hw::FinnImpl finn;       // pe, simd, res_type (FINN back end)
  std::string where;       // "config.toml:40 (search.strategy.hw_runner.fpga)", for messages
};

std::string_view to_string(HwBackend backend);  // "hls4ml", "finn"

// The target as the study description stores it (study_fingerprint.hpp): back end, the
// device's name and every figure of it, clock and the back end's parameters; a study is
// resumed only with the same target.
nlohmann::json hw_target_json(const HwTarget& target);

// hls4ml's default precision, ap_fixed<16,6>: the format of a slot the trial leaves float.
hw::FixedType hw_default_precision();

class HwCostModel {
 public:
  // Throws qdse::Error(Config) naming `target.where` and the layer when a linear/conv2d
  // node cannot be costed with these parameters (see the header comment).
  HwCostModel(const ir::Graph& graph, HwTarget target);

  // Per-layer costs of a resolved configuration, in graph order. A quantized slot whose
  // format is not fixed point (minifloat, block_fp, ...) has no FPGA cost model:
  // Error(Config) naming the layer and slot.
  // `impl` overrides the target's implementation parameters per layer (a searched
  // reuse_factor, strategy, pe or simd: layer_impl.hpp).
  std::vector<hw::LayerCost> layer_costs(const quant::QuantConfig& resolved, const ImplConfig& impl = {}) const;
  // The hw metrics (names of the metric table) of a resolved configuration.
  std::map<std::string, double> metrics(const quant::QuantConfig& resolved, const ImplConfig& impl = {}) const;
  // Refuses, before any trial, an implementation choice that cannot be costed for `node`
  // (a reuse factor that does not divide the layer, PE/SIMD that do not divide it, a node
  // the model does not cost, a key of the other back end): Error(Config) naming `where`,
  // the layer and the valid values.
  void check_impl(const std::string& node, const LayerImpl& impl, const std::string& where) const;
  // The same from per-layer costs already computed.
  std::map<std::string, double> metrics_of(const std::vector<hw::LayerCost>& layers) const;

  const HwTarget& target() const { return target_; }

 private:
  struct Layer {
    hw::LayerShape shape;
    int node = 0;
    int consumer = -1;  // the first node that reads this layer's result; -1 = none
  };
  const ir::Graph& graph_;
  HwTarget target_;
  std::vector<Layer> layers_;
};

}  // namespace qdse::pipeline
