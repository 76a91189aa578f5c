// The metric table; see include/qdse/metrics/metric_kind.hpp. Adding a metric is one row
// here (plus its enum value, the code computing it and its docs/metrics.md line).
#include "qdse/metrics/metric_kind.hpp"

#include <array>

#include "qdse/core/error.hpp"
#include "qdse/core/kind_table.hpp"

namespace qdse::metrics {
namespace {

// Order = MetricKind order = metric_names() order (error messages list them so).
constexpr std::array<MetricInfo, kMetricKindCount> kMetricRows = {{
    // kind, name, unit, better, needs_latency, needs_hw, sum_over_layers, description
    {MetricKind::Accuracy, "accuracy", "fraction", Better::Higher, false, false, false,
     "top-1 accuracy over the evaluation samples"},
    {MetricKind::MacroAccuracy, "macro_accuracy", "fraction", Better::Higher, false, false, false,
     "mean per-class recall over the classes present"},
    {MetricKind::Loss, "loss", "nats", Better::Lower, false, false, false, "mean cross-entropy per sample"},
    {MetricKind::Latency, "latency", "ms", Better::Lower, true, false, false,
     "median wall time of a forward pass of one evaluation batch"},
    {MetricKind::LatencyPerSampleUs, "latency_per_sample_us", "us", Better::Lower, true, false, false,
     "latency divided by the batch size"},
    {MetricKind::ModelSize, "model_size", "bytes", Better::Lower, false, false, true, "model_size_bits / 8 (MASE's name)"},
    {MetricKind::ModelSizeBits, "model_size_bits", "bits", Better::Lower, false, false, true,
     "trainable parameters at their format's bits per element (32 when not quantized)"},
    {MetricKind::ModelSizeBytes, "model_size_bytes", "bytes", Better::Lower, false, false, true, "model_size_bits / 8"},
    {MetricKind::AverageBitwidth, "average_bitwidth", "bits", Better::Lower, false, false, false,
     "model_size_bits per trainable parameter"},
    {MetricKind::MemoryDensity, "memory_density", "", Better::Higher, false, false, false,
     "compare_to / average_bitwidth (compression against the reference width)"},
    {MetricKind::Bitops, "bitops", "bit operations/sample", Better::Lower, false, false, true,
     "per linear/conv layer: MACs x data_in bits x weight bits"},
    {MetricKind::Macs, "macs", "MACs/sample", Better::Lower, false, false, true, "multiply-accumulates per sample"},
    {MetricKind::Flops, "flops", "FLOPs/sample", Better::Lower, false, false, true, "2 x macs"},
    // FPGA figures (docs/hardware.md). Resources and latency are sums over the costed layers,
    // but sensitivity/plan do not compute hw figures, so they are not offered there
    // (sum_over_layers false); ii is a maximum.
    {MetricKind::Lut, "lut", "LUTs", Better::Lower, false, true, false, "LUTs of the costed layers (hw cost model)"},
    {MetricKind::Ff, "ff", "FFs", Better::Lower, false, true, false,
     "flip-flops of the costed layers (hls4ml back end only; FINN has no FF rule)"},
    {MetricKind::Dsp, "dsp", "DSP slices", Better::Lower, false, true, false, "DSP slices of the costed layers"},
    {MetricKind::Bram, "bram", "BRAM18", Better::Lower, false, true, false, "18 Kb block RAMs of the costed layers"},
    {MetricKind::Uram, "uram", "URAMs", Better::Lower, false, true, false, "UltraRAM blocks of the costed layers"},
    {MetricKind::LatencyCycles, "latency_cycles", "cycles", Better::Lower, false, true, false,
     "latency of one inference: the sum of the layers' latencies"},
    {MetricKind::LatencyNs, "latency_ns", "ns", Better::Lower, false, true, false, "latency_cycles x clock_ns"},
    {MetricKind::Ii, "ii", "cycles", Better::Lower, false, true, false,
     "initiation interval: the largest layer II (cycles between inputs)"},
    {MetricKind::LutUtilization, "lut_utilization", "fraction", Better::Lower, false, true, false,
     "lut / the device's LUTs"},
    {MetricKind::FfUtilization, "ff_utilization", "fraction", Better::Lower, false, true, false,
     "ff / the device's flip-flops"},
    {MetricKind::DspUtilization, "dsp_utilization", "fraction", Better::Lower, false, true, false,
     "dsp / the device's DSP slices"},
    {MetricKind::BramUtilization, "bram_utilization", "fraction", Better::Lower, false, true, false,
     "bram / the device's BRAM18"},
    {MetricKind::UramUtilization, "uram_utilization", "fraction", Better::Lower, false, true, false,
     "uram / the device's URAMs"},
}};

// Row k describes kind k, names are non-empty and distinct: info_of is an index and a
// name finds one row.
constexpr bool metric_rows_well_formed() {
  for (std::size_t k = 0; k < kMetricRows.size(); ++k) {
    if (static_cast<std::size_t>(kMetricRows[k].kind) != k || kMetricRows[k].name.empty()) return false;
    for (std::size_t j = 0; j < k; ++j)
      if (kMetricRows[j].name == kMetricRows[k].name) return false;
  }
  return true;
}
static_assert(kMetricRows.size() == kMetricKindCount, "one row per MetricKind");
static_assert(metric_rows_well_formed(), "kMetricRows: every MetricKind once, in enum order, with a unique name");

}  // namespace

std::span<const MetricInfo> metric_table() { return kMetricRows; }

const MetricInfo& info_of(MetricKind kind) { return row_of_kind<MetricInfo>(kMetricRows, kind, "MetricKind"); }

std::string_view name_of(MetricKind kind) { return info_of(kind).name; }

std::optional<MetricKind> find_metric(std::string_view name) {
  for (const auto& row : kMetricRows)
    if (row.name == name) return row.kind;
  return std::nullopt;
}

MetricKind parse_metric_kind(std::string_view name) {
  if (auto kind = find_metric(name)) return *kind;
  throw Error(ErrorKind::Config,
              "metric `" + std::string(name) + "` is not computed by qdse; available metrics: " + metric_name_list());
}

const std::vector<std::string>& metric_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& row : kMetricRows) out.emplace_back(row.name);
    return out;
  }();
  return names;
}

std::string metric_name_list() {
  std::string out;
  for (const auto& row : kMetricRows) out += (out.empty() ? "" : ", ") + std::string(row.name);
  return out;
}

}  // namespace qdse::metrics
