// TrialEvaluator: the metrics of one quantization configuration over the
// evaluation set, as cheaply as possible. It never samples.
//
// Three layers of reuse, each tested equal to the plain path:
//  - result cache: a configuration (after auto frac resolution) is evaluated once;
//    a repeat returns the stored metrics and is reported as cached;
//  - prefix memo: a node's output depends only on the configurations of the nodes
//    before it and its own, so outputs are kept keyed by that prefix and a trial
//    recomputes only from the first node whose configuration is new. Entries are
//    evicted least-recently-used beyond `memo_budget_bytes` (0 disables the memo;
//    accounting counts each entry's own newest tensor, shared earlier tensors once);
//  - weights are quantized only for nodes that are actually recomputed.
// With the memo on, the evaluation set runs as one batch; latency (when asked for)
// is measured separately on whole forward passes of `batch_size` samples.
// Thread-safety: not thread-safe (owns caches); use one per thread.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <list>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "qdse/exec/executor.hpp"
#include "qdse/ir/graph.hpp"
#include "qdse/metrics/cost_metrics.hpp"
#include "qdse/quant/calibration.hpp"
#include "qdse/quant/quant_config.hpp"

namespace qdse::pipeline {

struct EvalSettings {
  int64_t num_samples = 0;  // first N samples of the split; 0 = all
  int64_t batch_size = 1024;
  bool measure_latency = false;
  int latency_repeats = 3;  // timed forward passes of one batch (median reported)
  int64_t memo_budget_bytes = int64_t{1} << 30;
  double compare_to = 32;   // average_bitwidth's reference (memory_density)
};

struct TrialOutcome {
  std::map<std::string, double> metrics;
  quant::QuantConfig resolved;  // auto frac widths replaced by numbers
  bool cached = false;          // result came from the result cache
  int first_recomputed_node = 0;
};

class TrialEvaluator {
 public:
  TrialEvaluator(const ir::Graph& graph, const at::Tensor& x, const at::Tensor& y,
                 const EvalSettings& settings, std::optional<quant::RangeStats> stats);

  TrialOutcome evaluate(const quant::QuantConfig& config);
  // Metrics of the float model (no quantization), computed once.
  const std::map<std::string, double>& float_metrics();

  // Names of every metric evaluate() reports.
  static const std::vector<std::string>& metric_names();

  int64_t memo_bytes() const { return memo_bytes_; }
  int64_t cache_hits() const { return cache_hits_; }
  int64_t macs_computed() const { return macs_computed_; }

 private:
  struct MemoEntry {
    std::vector<at::Tensor> values;  // node outputs 0..i (shared tensors)
    int64_t bytes = 0;
    std::list<std::string>::iterator lru;
  };
  std::map<std::string, double> run(const quant::QuantConfig& resolved, int* first_node);
  void remember(const std::string& key, std::vector<at::Tensor> values, int64_t bytes);

  const ir::Graph& graph_;
  at::Tensor x_, y_;
  EvalSettings settings_;
  std::optional<quant::RangeStats> stats_;
  metrics::CostModel cost_;
  std::vector<int64_t> node_macs_;
  std::unordered_map<std::string, std::map<std::string, double>> results_;
  std::unordered_map<std::string, MemoEntry> memo_;
  std::list<std::string> lru_;  // front = most recent
  int64_t memo_bytes_ = 0;
  int64_t cache_hits_ = 0;
  int64_t macs_computed_ = 0;
  std::optional<std::map<std::string, double>> float_metrics_;
};

// Canonical text of one node's configuration ("" when float), the memo's key part.
std::string config_key(const quant::NodeQuantConfig* c);

}  // namespace qdse::pipeline
