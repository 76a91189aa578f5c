// Cost metrics of a quantized configuration that need no data: model size,
// average bit width, BitOPs, MACs and FLOPs.
//
// Definitions (docs/metrics.md):
//  - model_size_bits: sum over trainable parameters of numel x storage bits of the
//    slot's format (weight/bias of quantized layers); every other parameter at 32.
//  - average_bitwidth: model_size_bits / number of trainable parameters (MASE's
//    hardware runner; with compare_to = 32, memory_density = 32 / average_bitwidth).
//  - bitops: per linear/conv layer, MACs x data_in bits x weight bits (32 for a float slot).
//  - macs / flops: multiply-accumulates per sample, flops = 2 x macs.
// CostModel precomputes what depends only on the graph, so per-trial cost is a
// loop over layers. Thread-safety: const methods are thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "qdse/ir/graph.hpp"
#include "qdse/quant/quant_config.hpp"

namespace qdse::metrics {

struct CostMetrics {
  double model_size_bits = 0;
  double average_bitwidth = 0;
  double bitops = 0;  // per sample
  double macs = 0;    // per sample
};

class CostModel {
 public:
  explicit CostModel(const ir::Graph& graph);
  CostMetrics evaluate(const quant::QuantConfig& config) const;
  int64_t num_params() const { return num_params_; }
  double float_model_size_bits() const { return 32.0 * static_cast<double>(num_params_); }

 private:
  struct Layer {
    std::string name;
    int64_t weight_numel = 0, bias_numel = 0, macs = 0;
    bool has_weight = false;
  };
  std::vector<Layer> layers_;
  int64_t num_params_ = 0;
  int64_t macs_total_ = 0;
};

}  // namespace qdse::metrics
