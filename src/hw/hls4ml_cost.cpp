// hls4ml io_parallel dense/conv2d cost model. Every rule below names its source; the
// rationale and what is ignored are in docs/hardware.md#hls4ml.
#include "qdse/hw/hls4ml_cost.hpp"

#include <algorithm>
#include <string>

#include "layer_checks.hpp"
#include "qdse/core/error.hpp"
#include "qdse/hw/arithmetic.hpp"

namespace qdse::hw {
namespace {

// hls4ml's DSP estimator (hls4ml/optimization/dsp_aware_pruning/objectives/
// vivado_objectives.py, VivadoDSPEstimator): weights narrower than 9 bits are multiplied in
// LUTs, wider ones in DSP slices.
constexpr int kHls4mlMinDspWeightWidth = 9;
// A RAMB18 in simple-dual-port mode is 36 bits wide and 512 deep (UG473/UG573); hls4ml's
// BRAM rule (VivadoMultiObjectiveEstimator) counts 36-bit columns.
constexpr int64_t kBram18Width = 36;
constexpr int64_t kBram18Depth = 512;

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

std::string list_reuse_factors(const std::vector<int64_t>& rfs) {
  constexpr std::size_t kShown = 16;
  std::string out;
  for (std::size_t i = 0; i < rfs.size() && i < kShown; ++i) out += (i ? ", " : "") + std::to_string(rfs[i]);
  if (rfs.size() > kShown) out += ", ... (" + std::to_string(rfs.size()) + " in all)";
  return out;
}

std::vector<int64_t> divisors_of(int64_t n) {
  std::vector<int64_t> low, high;
  for (int64_t d = 1; d * d <= n; ++d) {
    if (n % d) continue;
    low.push_back(d);
    if (d != n / d) high.push_back(n / d);
  }
  low.insert(low.end(), high.rbegin(), high.rend());
  return low;
}

}  // namespace

bool hls4ml_reuse_factor_valid(int64_t n_in, int64_t n_out, int64_t rf) {
  if (n_in < 1 || n_out < 1 || rf < 1 || n_in > detail::kMaxDimension || n_out > detail::kMaxDimension) return false;
  const int64_t multfactor = std::min(n_in, rf);
  const int64_t multiplier_limit = ceil_div(n_in * n_out, multfactor);
  bool ok = multiplier_limit % n_out == 0 || rf >= n_in;  // functional correctness of dense_resource
  ok = ok && (rf % n_in == 0 || rf < n_in);
  ok = ok && (n_in * n_out) % rf == 0;  // quality of results
  return ok;
}

std::vector<int64_t> hls4ml_valid_reuse_factors(int64_t n_in, int64_t n_out) {
  // The rule requires rf | n_in*n_out, so only divisors need testing.
  std::vector<int64_t> out;
  if (n_in < 1 || n_out < 1 || n_in > detail::kMaxDimension || n_out > detail::kMaxDimension) return out;
  for (int64_t rf : divisors_of(n_in * n_out))
    if (hls4ml_reuse_factor_valid(n_in, n_out, rf)) out.push_back(rf);
  return out;
}

void check_hls4ml_impl(const LayerShape& layer, const Hls4mlImpl& impl) {
  detail::check_shape(layer);
  const int64_t n_in = layer.dot_length();
  const int64_t n_out = layer.dot_count();
  const int64_t rf = impl.reuse_factor;
  const std::string sizes = "n_in*n_out = " + std::to_string(n_in) + "*" + std::to_string(n_out) + " = " +
                            std::to_string(n_in * n_out);
  if (rf < 1) throw detail::layer_error(layer, "reuse_factor must be >= 1, got " + std::to_string(rf));
  if ((n_in * n_out) % rf != 0)
    throw detail::layer_error(layer, "reuse_factor " + std::to_string(rf) + " does not divide " + sizes +
                                         "; valid: " + list_reuse_factors(divisors_of(n_in * n_out)));
  if (impl.strategy == Hls4mlStrategy::Resource) {
    if (!hls4ml_reuse_factor_valid(n_in, n_out, rf))
      throw detail::layer_error(layer, "reuse_factor " + std::to_string(rf) +
                                           " breaks hls4ml's reuse-factor rule for the Resource strategy (" +
                                           sizes + "); valid: " +
                                           list_reuse_factors(hls4ml_valid_reuse_factors(n_in, n_out)));
    // nnet_conv2d_resource.h asserts RF <= filt_height * filt_width * n_chan.
    if (layer.kind == LayerKind::Conv2d && rf > n_in)
      throw detail::layer_error(layer, "reuse_factor " + std::to_string(rf) +
                                           " exceeds n_in = " + std::to_string(n_in) +
                                           ", which hls4ml's Resource conv2d does not implement");
  }
  const int64_t pf = impl.parallelization_factor;
  if (layer.kind == LayerKind::Dense && pf != 1)
    throw detail::layer_error(layer, "parallelization_factor applies to conv2d layers only, got " +
                                         std::to_string(pf));
  if (pf < 1 || layer.output_pixels() % pf != 0)
    throw detail::layer_error(layer, "parallelization_factor " + std::to_string(pf) +
                                         " does not divide the " + std::to_string(layer.output_pixels()) +
                                         " output pixels (hls4ml get_valid_conv_partition_splits)");
}

FixedType hls4ml_accumulator(const LayerShape& layer, const LayerFormats& formats) {
  if (formats.accumulator) return *formats.accumulator;
  return hls4ml_auto_accumulator(formats.data, formats.weight,
                                 formats.has_bias ? std::optional<FixedType>(formats.bias) : std::nullopt,
                                 layer.dot_length());
}

Cost hls4ml_layer_cost(const LayerShape& layer, const LayerFormats& formats, const Hls4mlImpl& impl,
                       const Device& device) {
  detail::check_layer(layer, formats);
  check_hls4ml_impl(layer, impl);
  const bool latency_strategy = impl.strategy == Hls4mlStrategy::Latency;
  const int64_t n_in = layer.dot_length();
  const int64_t n_out = layer.dot_count();
  const int64_t rf = impl.reuse_factor;
  const int64_t pf = impl.parallelization_factor;
  const int64_t partitions = layer.output_pixels() / pf;
  const int acc_width = hls4ml_accumulator(layer, formats).width;

  Cost c;
  // Multipliers: ceil(n_in*n_out / R) per pixel computed at once (multiplier_limit in
  // nnet_dense_latency.h / block_factor in nnet_dense_resource.h; conv2d: n_pixels copies).
  const int64_t multipliers = pf * (n_in * n_out / rf);
  int64_t lut_multipliers = 0;
  if (formats.weight.width >= kHls4mlMinDspWeightWidth)
    c.dsp = multipliers * dsp_slices_per_product(formats.weight.width, formats.data.width, device.dsp_slice);
  else
    lut_multipliers = multipliers * lut_multiplier_luts(formats.weight.width, formats.data.width);

  // Adders, accumulator-wide, one LUT per bit (the carry-chain adder FINN-R counts).
  // Latency: n_in adds per output with a bias (n_in - 1 without), shared like the
  // multipliers when R > 1. Resource: each of the block_factor products adds into an
  // accumulator that starts at the bias.
  const int64_t bias_term = formats.has_bias ? 1 : 0;
  const int64_t adders = latency_strategy ? pf * ceil_div(n_out * (n_in - 1 + bias_term), rf)
                                          : pf * (n_in * n_out / rf);
  c.lut = lut_multipliers + adders * acc_width;

  // hls4ml's FF estimator (VivadoFFEstimator, io_parallel): Latency keeps the weights and
  // the outputs in registers, Resource the outputs only.
  const int64_t outputs = layer.output_pixels() * n_out;
  c.ff = outputs * formats.output.width;
  if (latency_strategy) c.ff += n_in * n_out * formats.weight.width;

  // Resource with R > 1: the weights are reshaped into block_factor words of R entries
  // (ARRAY_RESHAPE block factor=block_factor): hls4ml's ceil(n_in*n_out*w / (R*36)) 36-bit
  // BRAM18 columns, times the 512-entry banks a depth of R needs (1 for R <= 512).
  if (!latency_strategy && rf > 1)
    c.bram18 = ceil_div(n_in * n_out * formats.weight.width, rf * kBram18Width) * ceil_div(rf, kBram18Depth);

  // Timing, one cycle per multiply and per adder-tree level (docs/hardware.md):
  // Latency: R cycles of shared multipliers, then the tree over n_in products (+ bias);
  // pixel partitions are pipelined at II = R. Resource: R pipelined iterations, each adding
  // n_in/R products (1 when R > n_in) into the running sum; partitions run one after another.
  if (latency_strategy) {
    const int64_t one_partition = rf + ceil_log2(n_in + bias_term);
    c.latency_cycles = (partitions - 1) * rf + one_partition;
    c.ii = partitions * rf;
  } else {
    const int64_t per_iteration = rf <= n_in ? n_in / rf : 1;
    const int64_t one_partition = rf + ceil_log2(per_iteration + 1);
    c.latency_cycles = partitions * one_partition;
    c.ii = partitions == 1 ? rf : c.latency_cycles;
  }
  return c;
}

}  // namespace qdse::hw
