// FINN MVAU cost model: FINN's own estimators, rule for rule (docs/hardware.md#finn).
// Sources: Xilinx/finn src/finn/custom_op/fpgadataflow/matrixvectoractivation.py (MVAU:
// bram_estimation, uram_estimation, get_exp_cycles, calc_wmem, calc_tmem) and
// hls/matrixvectoractivation_hls.py (MVAU_hls: lut_estimation, dsp_estimation), whose LUT
// constants come from FINN-R (Blott et al., ACM TRETS 2018).
#include "qdse/hw/finn_cost.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "layer_checks.hpp"
#include "qdse/core/error.hpp"
#include "qdse/hw/arithmetic.hpp"

namespace qdse::hw {
namespace {

int64_t finn_ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// FINN's RAMB18 count for a memory of `depth` words of `width` bits, internal_decoupled
// weights in simple-dual-port RAMB18s (MVAU.bram_estimation, after UG573 Table 1-10).
int64_t finn_bram18(int64_t depth, int64_t width) {
  if (width == 1) return finn_ceil_div(depth, 16384);
  if (width == 2) return finn_ceil_div(depth, 8192);
  if (width <= 4) return finn_ceil_div(depth, 4096) * finn_ceil_div(width, 4);
  if (width <= 9) return finn_ceil_div(depth, 2048) * finn_ceil_div(width, 9);
  if (width <= 18 || depth > 512) return finn_ceil_div(depth, 1024) * finn_ceil_div(width, 18);
  return finn_ceil_div(depth, 512) * finn_ceil_div(width, 36);
}

}  // namespace

MvauShape finn_mvau_shape(const LayerShape& layer) {
  return MvauShape{layer.dot_length(), layer.dot_count(), layer.output_pixels()};
}

void check_finn_impl(const LayerShape& layer, const FinnImpl& impl, const Device& device) {
  detail::check_shape(layer);
  const MvauShape m = finn_mvau_shape(layer);
  if (impl.pe < 1) throw detail::layer_error(layer, "pe must be >= 1, got " + std::to_string(impl.pe));
  if (impl.simd < 1) throw detail::layer_error(layer, "simd must be >= 1, got " + std::to_string(impl.simd));
  // MVAU.calc_wmem asserts MH % PE == 0 and MW % SIMD == 0.
  if (m.mh % impl.pe != 0)
    throw detail::layer_error(layer, "pe " + std::to_string(impl.pe) + " does not divide MH = " +
                                         std::to_string(m.mh) + " (FINN MVAU)");
  if (m.mw % impl.simd != 0)
    throw detail::layer_error(layer, "simd " + std::to_string(impl.simd) + " does not divide MW = " +
                                         std::to_string(m.mw) + " (FINN MVAU)");
  // MVAU_hls.defines: HLS synthesis requires SIMD >= MW / 1024.
  if (impl.simd * 1024 < m.mw)
    throw detail::layer_error(layer, "simd " + std::to_string(impl.simd) + " is below MW/1024 = " +
                                         std::to_string(m.mw) + "/1024, which FINN's HLS MVAU refuses");
  if (impl.weight_ram == FinnWeightRam::Ultra && device.uram == 0)
    throw detail::layer_error(layer, "weights in URAM, but device `" + device.name + "` has no URAM");
  if (impl.activation_bits < 0 || impl.activation_bits > 30)
    throw detail::layer_error(layer, "activation_bits must be in [0, 30], got " +
                                         std::to_string(impl.activation_bits));
}

int64_t finn_accumulator_bits(const LayerShape& layer, const LayerFormats& formats) {
  const double mw = static_cast<double>(layer.dot_length());
  // Written as FINN computes it (math.log(x, 2) = log(x) / log(2)), so the ceil matches.
  const double alpha = std::log(mw) / std::log(2.0) + formats.weight.width + formats.data.width - 1 -
                       (formats.data.is_signed ? 1 : 0);
  const double bound = std::ceil(alpha + std::log(1 + std::pow(2.0, -alpha)) / std::log(2.0) + 1);
  // FINN caps the bound by accDataType, INT32 until minimize_accumulator_width sets it.
  const int64_t cap = formats.accumulator ? formats.accumulator->width : 32;
  return std::min<int64_t>(cap, static_cast<int64_t>(bound));
}

Cost finn_mvau_cost(const LayerShape& layer, const LayerFormats& formats, const FinnImpl& impl,
                    const Device& device) {
  detail::check_layer(layer, formats);
  check_finn_impl(layer, impl, device);
  const MvauShape m = finn_mvau_shape(layer);
  const int64_t P = impl.pe;
  const int64_t Q = impl.simd;
  const int64_t W = formats.weight.width;
  const int64_t A = formats.data.width;
  const int64_t wmem = m.mw * m.mh / (P * Q);  // calc_wmem: the weight memory's depth (omega)
  const int64_t tmem = m.mh / P;               // calc_tmem
  const int64_t mem_width = Q * W * P;

  Cost c;
  c.ff_estimated = false;  // FINN estimates no flip-flops

  // lut_estimation: c0 + c1 * P * (multipliers + adder tree + accumulator + thresholds) + c2.
  const int64_t lutram = impl.weight_ram == FinnWeightRam::Distributed ? P * Q * W * finn_ceil_div(wmem, 64) : 0;
  const int64_t mult_luts = impl.res_type == FinnResType::Dsp ? 0 : Q * lut_multiplier_luts(int(W), int(A));
  const int64_t addertree_luts = (W + A) * (2 * Q - 1);
  const int64_t acc_bits = finn_accumulator_bits(layer, formats);
  int64_t thr_luts = 0, comp_luts = 0;
  if (impl.activation_bits > 0 && impl.thresholds_in_lutram) {
    const int64_t steps = (int64_t{1} << impl.activation_bits) - 1;
    thr_luts = steps * acc_bits * finn_ceil_div(tmem, 64);
    comp_luts = steps * acc_bits;
  }
  const double per_pe = static_cast<double>(mult_luts + addertree_luts + acc_bits + thr_luts + comp_luts);
  // Same operation order as FINN's Python (float, then int() truncation).
  c.lut = static_cast<int64_t>(300.0 + 1.1 * (static_cast<double>(P) * per_pe) + static_cast<double>(lutram));

  // dsp_estimation: P * Q * ceil((W + A) / 48) with resType = dsp, none with lut.
  if (impl.res_type == FinnResType::Dsp) c.dsp = P * Q * finn_ceil_div(W + A, 48);

  // bram_estimation / uram_estimation for internal_decoupled weights.
  if (impl.weight_ram == FinnWeightRam::Block) c.bram18 = finn_bram18(wmem, mem_width);
  if (impl.weight_ram == FinnWeightRam::Ultra)
    c.uram = finn_ceil_div(mem_width, 72) * finn_ceil_div(wmem, 4096);

  // get_exp_cycles: (MH / PE) * (MW / SIMD) * vectors, also the stage's interval.
  c.latency_cycles = (m.mh / P) * (m.mw / Q) * m.vectors;
  c.ii = c.latency_cycles;
  return c;
}

}  // namespace qdse::hw
