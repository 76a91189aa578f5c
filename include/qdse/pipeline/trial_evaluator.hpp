// TrialEvaluator: the metrics of one quantization configuration over the
// evaluation set, as cheaply as possible. It never samples.
//
// It keeps what belongs to a trial; execution is lower::IncrementalExecutor's (prefix
// memo with LRU and byte budget, buffer pool, integer kernels, ReLU fusion; see
// lower/incremental_executor.hpp for each reuse and its budget):
//  - auto frac widths are resolved from the range statistics first, so every metric
//    sees concrete formats;
//  - result cache: a configuration (after auto frac resolution) is evaluated once,
//    keyed on its value (quant/config_hash.hpp); a repeat returns the stored metrics
//    and is reported as cached;
//  - metrics: accuracy/loss from the executor's scores, size/BitOPs/MACs from the cost
//    model (metrics layer), FPGA figures from the hw cost model when `settings.hw` is set
//    (hw_cost_model.hpp), the float model's metrics once.
// Latency (when asked for) is measured separately on whole forward passes of
// `batch_size` samples, after one warm-up pass: what deployment sees.
// Thread-safety: not thread-safe (owns caches); use one per thread.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "qdse/ir/graph.hpp"
#include "qdse/lower/calibration.hpp"
#include "qdse/lower/incremental_executor.hpp"
#include "qdse/exec/score_counts.hpp"
#include "qdse/metrics/cost_metrics.hpp"
#include "qdse/pipeline/fidelity_schedule.hpp"
#include "qdse/pipeline/hw_cost_model.hpp"
#include "qdse/quant/config_hash.hpp"
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
  // [search.strategy.hw_runner.fpga]: when set, every trial also gets the hw metrics.
  std::optional<HwTarget> hw;
  // [search.strategy.multi_fidelity] (fidelity_schedule.hpp): when enabled, accuracy and
  // loss come from one executor per block of samples between two rungs (each with its
  // share of the memo budget), so that a rung adds only its new samples.
  FidelitySchedule fidelity;
};

struct TrialOutcome {
  std::map<std::string, double> metrics;
  quant::QuantConfig resolved;  // auto frac widths replaced by numbers
  bool cached = false;          // result came from the result cache
  int first_recomputed_node = 0;
};

// A trial's figures after one multi-fidelity rung: accuracy, macro_accuracy and loss on
// the first `samples` evaluation samples (the other metrics as evaluate() gives them),
// and the range each of those three can still take on all the samples.
struct RungOutcome {
  TrialOutcome outcome;  // cached: no block of samples was computed for this rung
  int rung = 0;
  int64_t samples = 0;      // samples of the rung (a prefix of the evaluation samples)
  int64_t new_samples = 0;  // samples this call computed (0 when every block was cached)
  std::map<std::string, MetricRange> ranges;
};

class TrialEvaluator {
 public:
  TrialEvaluator(const ir::Graph& graph, const at::Tensor& x, const at::Tensor& y,
                 const EvalSettings& settings, std::optional<quant::RangeStats> stats);

  virtual ~TrialEvaluator() = default;

  // Virtual so that tests can make a trial fail in ways a real model rarely does
  // (std::bad_alloc, foreign exceptions) and check that run_search survives them.
  virtual TrialOutcome evaluate(const quant::QuantConfig& config);
  // evaluate() with the trial's searched implementation parameters (layer_impl.hpp): the
  // hw metrics are those of `impl`, everything else (and the cache entry) is the
  // quantization's own, shared by every implementation of it.
  TrialOutcome evaluate_with(const quant::QuantConfig& config, const ImplConfig& impl);
  // Multi-fidelity (settings.fidelity enabled): the figures of `config` after rung
  // `rung` (0 <= rung < rungs()); evaluate() is then the last rung.
  RungOutcome evaluate_rung(const quant::QuantConfig& config, int rung);
  // Number of rungs (0 without multi-fidelity), and the number of evaluation samples.
  int rungs() const { return static_cast<int>(rung_ends_.size()); }
  int64_t samples() const { return y_.size(0); }
  // Evaluation samples scored for trials so far (not for the float model): a rung counts
  // only its new block, a cached configuration nothing.
  int64_t samples_computed() const { return samples_computed_; }
  // Metrics of the float model (no quantization), computed once.
  const std::map<std::string, double>& float_metrics();

  // The hw cost model of settings.hw (null without one): per-layer figures for reports.
  const HwCostModel* hw_cost() const { return hw_cost_ ? &*hw_cost_ : nullptr; }

  // Names of every metric evaluate() reports.
  static const std::vector<std::string>& metric_names();

  // Counters of the executor (lower/incremental_executor.hpp) and of the result cache.
  int64_t memo_bytes() const;
  int64_t cache_hits() const { return cache_hits_; }
  int64_t macs_computed() const;
  // Linear node evaluations that ran on the integer kernels.
  int64_t integer_nodes() const;

 private:
  std::map<std::string, double> run(const quant::QuantConfig& resolved, int* first_node);
  // The metrics that do not come from scores (latency, size, BitOPs, hw figures) into `m`.
  void add_other_metrics(const quant::QuantConfig& resolved, std::map<std::string, double>& m);
  // Multi-fidelity state (trial_evaluator_rungs.cpp).
  struct RungBlocks {
    std::vector<exec::ScoreCounts> blocks;  // counts of the sample blocks computed so far
    std::map<std::string, double> other;    // add_other_metrics of the configuration
  };
  void init_rungs(const at::Tensor& x);

  const ir::Graph& graph_;
  at::Tensor y_;
  EvalSettings settings_;
  std::optional<quant::RangeStats> stats_;
  metrics::CostModel cost_;
  std::optional<HwCostModel> hw_cost_;
  lower::IncrementalExecutor executor_;
  std::unordered_map<quant::QuantConfig, std::map<std::string, double>, quant::ConfigHash> results_;
  int64_t cache_hits_ = 0;
  int64_t samples_computed_ = 0;
  std::optional<std::map<std::string, double>> float_metrics_;
  std::vector<int64_t> rung_ends_;  // samples of each rung; empty without multi-fidelity
  std::vector<std::unique_ptr<lower::IncrementalExecutor>> block_executors_;  // block r: [end r-1, end r)
  std::vector<at::Tensor> block_labels_;
  std::vector<int64_t> class_totals_;  // labels per class over every evaluation sample
  std::unordered_map<quant::QuantConfig, RungBlocks, quant::ConfigHash> rung_blocks_;
};

}  // namespace qdse::pipeline
