// Range statistics for range-aware fractional widths (frac_width = "auto").
//
// Weights: max |w| of each layer's weight and bias. Activations: the float model is
// run once over `num_samples` training samples and, for every node, the max (or a
// percentile) of |x| over its data inputs is kept. The statistics describe the float
// model's tensors (not a quantized upstream), so they are computed once per model
// and reused by every trial. auto_frac_width() turns a range into a frac width.
// Thread-safety: calibrate() is reentrant; RangeStats is a plain value.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "qdse/ir/graph.hpp"

namespace qdse::quant {

struct CalibrationOptions {
  int64_t num_samples = 512;  // first N training samples
  enum class Statistic { Max, Percentile } statistic = Statistic::Max;
  double percentile = 99.99;  // with Statistic::Percentile, in (0, 100]
};

struct RangeStats {
  std::vector<double> input_absmax;   // per node: over its data inputs (0 = unknown)
  std::vector<double> weight_absmax;  // per node (0 when no weight)
  std::vector<double> bias_absmax;    // per node (0 when no bias)
};

RangeStats calibrate(const ir::Graph& graph, const at::Tensor& x, const CalibrationOptions& options);

// Fractional width that fits `absmax` in a `width`-bit fixed-point number: the
// integer part gets ceil(log2(absmax)) bits plus the sign bit, the rest is fraction:
// frac = width - 1 - ceil(log2(absmax)) (signed), width - ceil(log2(absmax)) (unsigned).
// absmax 0 (an all-zero tensor) gives frac = width - 1 (signed).
int auto_frac_width(int width, double absmax, bool is_signed);

}  // namespace qdse::quant
