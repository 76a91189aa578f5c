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
//  - weights are quantized only for nodes that are actually recomputed;
//  - integer kernels: a Linear node with integer data_in/weight formats whose float
//    emulation is exact runs on int16 codes instead (exec::IntegerLinear, the same
//    numbers bit for bit). Its weights are quantized and packed once per (node,
//    configuration) and its input codes are memoized per (input prefix, data_in
//    format), so trials that share a layer input and data format skip quantizing it.
//    Input codes count against the memo budget. A ReLU that alone follows such a
//    layer is fused into it;
//  - memory: memo entries keep only the outputs later nodes read, and large tensors
//    are recycled through a BufferPool (fresh pages cost ~0.6 ms per MB here). The
//    pool's idle buffers (at most a quarter of the budget, 256 MiB at most) count
//    against memo_budget_bytes: entries plus idle buffers stay within it.
// With the memo on, the evaluation set runs as one batch; latency (when asked for)
// is measured separately on whole forward passes of `batch_size` samples.
// Thread-safety: not thread-safe (owns caches); use one per thread.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "qdse/exec/buffer_pool.hpp"
#include "qdse/exec/executor.hpp"
#include "qdse/lower/integer_linear.hpp"
#include "qdse/ir/graph.hpp"
#include "qdse/metrics/cost_metrics.hpp"
#include "qdse/lower/calibration.hpp"
#include "qdse/quant/quant_config.hpp"

namespace qdse::pipeline {

struct EvalSettings {
  int64_t num_samples = 0;  // first N samples of the split; 0 = all
  int64_t batch_size = 1024;
  bool measure_latency = false;
  int latency_repeats = 3;  // timed forward passes of one batch (median reported)
  int64_t memo_budget_bytes = int64_t{384} << 20;  // see docs/performance.md (memo budget)
  double compare_to = 32;   // average_bitwidth's reference (memory_density)
  bool integer_kernels = true;  // exact int16 kernels where eligible (memo path only)
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

  virtual ~TrialEvaluator() = default;

  // Virtual so that tests can make a trial fail in ways a real model rarely does
  // (std::bad_alloc, foreign exceptions) and check that run_search survives them.
  virtual TrialOutcome evaluate(const quant::QuantConfig& config);
  // Metrics of the float model (no quantization), computed once.
  const std::map<std::string, double>& float_metrics();

  // Names of every metric evaluate() reports.
  static const std::vector<std::string>& metric_names();

  int64_t memo_bytes() const { return memo_bytes_; }
  int64_t cache_hits() const { return cache_hits_; }
  int64_t macs_computed() const { return macs_computed_; }
  // Linear node evaluations that ran on the integer kernels.
  int64_t integer_nodes() const { return integer_nodes_; }

 private:
  struct MemoEntry {
    // The node outputs (node index, tensor) that later nodes still read: node i's own
    // and earlier ones with a consumer after i (tensors are shared, not copied).
    std::vector<std::pair<int, at::Tensor>> values;
    int64_t bytes = 0;
    std::list<std::string>::iterator lru;
  };
  std::map<std::string, double> run(const quant::QuantConfig& resolved, int* first_node);
  void remember(const std::string& key, std::vector<std::pair<int, at::Tensor>> values, int64_t bytes);
  const MemoEntry* recall(const std::string& key);  // marks the entry most recent
  // Output of node i on the integer kernels, or undefined when it is not eligible.
  at::Tensor integer_forward(int i, const quant::NodeQuantConfig& c, const std::string& node_key,
                             const std::vector<std::string>& keys, const std::vector<at::Tensor>& values,
                             bool fuse_relu);
  // True when node i + 1 is an unquantized ReLU that alone reads node i's output.
  bool relu_follows(int i, const quant::QuantConfig& resolved) const;

  const ir::Graph& graph_;
  at::Tensor x_, y_;
  EvalSettings settings_;
  std::optional<quant::RangeStats> stats_;
  metrics::CostModel cost_;
  std::vector<int64_t> node_macs_;
  std::vector<std::vector<int>> live_;  // live_[i]: outputs 0..i that nodes after i read
  std::vector<int> consumers_;          // number of nodes reading each node's output
  std::shared_ptr<exec::BufferPool> pool_;
  std::unordered_map<std::string, std::map<std::string, double>> results_;
  std::unordered_map<std::string, MemoEntry> memo_;
  std::list<std::string> lru_;  // front = most recent
  // Per (node, configuration): the packed integer layer, or nullopt if not eligible.
  std::unordered_map<std::string, std::optional<exec::IntegerLinear>> integer_layers_;
  int64_t integer_nodes_ = 0;
  int64_t memo_bytes_ = 0;
  int64_t memo_limit_ = 0;  // memo_budget_bytes minus the pool's idle cap
  int64_t cache_hits_ = 0;
  int64_t macs_computed_ = 0;
  std::optional<std::map<std::string, double>> float_metrics_;
};

// Canonical text of one node's configuration ("" when float), the memo's key part.
std::string config_key(const quant::NodeQuantConfig* c);

}  // namespace qdse::pipeline
