#include "qdse/lower/calibration.hpp"

#include <torch/types.h>
#include <torch/utils.h>

#include <cmath>

#include "qdse/core/error.hpp"
#include "qdse/exec/executor.hpp"

namespace qdse::quant {
namespace {

double statistic_of(const at::Tensor& t, const CalibrationOptions& o) {
  const at::Tensor a = t.detach().abs().flatten().to(torch::kFloat64);
  if (a.numel() == 0) return 0.0;
  if (o.statistic == CalibrationOptions::Statistic::Max) return a.max().item<double>();
  // k-th smallest |x| with k = ceil(p/100 * n): a percentile without interpolation,
  // exact and deterministic for any tensor size.
  const int64_t n = a.numel();
  const int64_t k = std::clamp<int64_t>(static_cast<int64_t>(std::ceil(o.percentile / 100.0 * n)), 1, n);
  return std::get<0>(a.kthvalue(k)).item<double>();
}

}  // namespace

RangeStats calibrate(const ir::Graph& graph, const at::Tensor& x, const CalibrationOptions& options) {
  if (options.statistic == CalibrationOptions::Statistic::Percentile &&
      !(options.percentile > 0 && options.percentile <= 100))
    throw Error(ErrorKind::Config, "calibration percentile must be in (0, 100], got " +
                                       std::to_string(options.percentile));
  torch::NoGradGuard no_grad;
  const std::size_t n = graph.size();
  RangeStats s{std::vector<double>(n, 0.0), std::vector<double>(n, 0.0), std::vector<double>(n, 0.0)};
  for (std::size_t i = 0; i < n; ++i) {
    const auto& node = graph.node(static_cast<int>(i));
    if (const auto* w = node.param("weight"); w && ir::traits(node.op).has_weight)
      s.weight_absmax[i] = w->abs().max().item<double>();
    if (const auto* b = node.param("bias"); b && ir::traits(node.op).has_weight)
      s.bias_absmax[i] = b->abs().max().item<double>();
  }
  const int64_t m = options.num_samples > 0 ? std::min(options.num_samples, x.size(0)) : x.size(0);
  if (m == 0) return s;
  const at::Tensor xc = x.slice(0, 0, m);
  std::vector<at::Tensor> values(n);
  exec::Executor(graph).forward_range(values, xc, 0, static_cast<int>(n), nullptr, false);
  for (std::size_t i = 0; i < n; ++i) {
    double v = 0;
    for (int src : graph.node(static_cast<int>(i)).inputs)
      v = std::max(v, statistic_of(src == ir::kGraphInput ? xc : values[src], options));
    s.input_absmax[i] = v;
  }
  return s;
}

int auto_frac_width(int width, double absmax, bool is_signed) {
  const int sign = is_signed ? 1 : 0;
  if (!(absmax > 0) || !std::isfinite(absmax)) return width - sign;
  const int int_bits = static_cast<int>(std::ceil(std::log2(absmax)));
  return std::clamp(width - sign - int_bits, -32, 64);
}

}  // namespace qdse::quant
