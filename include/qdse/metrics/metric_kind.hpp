// MetricKind: the metrics qdse computes for a trial, as one table
// (src/metrics/metric_kind.cpp), the way ir/op_kind.hpp lists the ops. Torch-free.
//
// Everything that knows a metric by name reads this table: config validation of
// `[search.strategy.metrics]` and `[search.strategy.constraints]` (unknown names are
// refused with the list of valid ones), whether the evaluator must time forward passes,
// `TrialEvaluator::metric_names()`. Definitions are in docs/metrics.md.
//
// Adding a metric: an enum value here before `Count`, one row in kMetricRows
// (metric_kind.cpp), the code that computes it (the evaluator for data-dependent
// metrics, metrics/ for cost models), and its line in docs/metrics.md (a test checks
// every row is documented). A static_assert fails until the row exists and is in enum
// order. Rows are in the order metric_names() lists them; append new rows at the end.
// Thread-safety: the table is immutable; every function is thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace qdse::metrics {

enum class MetricKind {
  Accuracy,
  MacroAccuracy,
  Loss,
  Latency,
  LatencyPerSampleUs,
  ModelSize,
  ModelSizeBits,
  ModelSizeBytes,
  AverageBitwidth,
  MemoryDensity,
  Bitops,
  Macs,
  Flops,
  // FPGA figures of the hw cost models (pipeline/hw_cost_model.hpp); computed only when the
  // config has a [search.strategy.hw_runner.fpga] table.
  Lut,
  Ff,
  Dsp,
  Bram,
  Uram,
  LatencyCycles,
  LatencyNs,
  Ii,
  LutUtilization,
  FfUtilization,
  DspUtilization,
  BramUtilization,
  UramUtilization,
  Count
};

inline constexpr std::size_t kMetricKindCount = static_cast<std::size_t>(MetricKind::Count);

// Which way a metric is better. A config's objective direction is still what the config
// says (default "maximize", MASE's rule); this is the metric's natural sense, for help
// texts, reports and checks.
enum class Better { Higher, Lower };

struct MetricInfo {
  MetricKind kind;
  std::string_view name;  // as written in configs and outputs (trials.json "metrics")
  std::string_view unit;  // "" for a pure number
  Better better;
  bool needs_latency;     // the evaluator must time forward passes to compute it
  bool needs_hw;          // an FPGA cost-model figure: needs [search.strategy.hw_runner.fpga]
  bool sum_over_layers;   // the network's value is the sum of per-layer values
  std::string_view description;  // one line
};

// Every row, in enum order.
std::span<const MetricInfo> metric_table();
const MetricInfo& info_of(MetricKind kind);
std::string_view name_of(MetricKind kind);

// By name (exact, case-sensitive: names are keys in configs and outputs). nullopt for
// an unknown one.
std::optional<MetricKind> find_metric(std::string_view name);
// Throws qdse::Error(Config) "metric `x` is not computed by qdse; available metrics:
// accuracy, ..." for an unknown name.
MetricKind parse_metric_kind(std::string_view name);

// The names in table order.
const std::vector<std::string>& metric_names();
// "accuracy, macro_accuracy, ...": the names for messages.
std::string metric_name_list();

}  // namespace qdse::metrics
