// The arithmetic building blocks the layer models share, each a published rule
// (sources beside each function and in docs/hardware.md).
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>

#include "qdse/hw/cost.hpp"
#include "qdse/hw/device.hpp"

namespace qdse::hw {

// ceil(log2(n)) for n >= 1 (0 for n == 1): levels of a binary adder tree over n terms.
int ceil_log2(int64_t n);

// DSP slices for one signed a x b product on `slice` (the "DSP cliff"). A product that fits
// the slice's multiplier (either orientation) takes 1; a wider one is split into partial
// products, each extra slice adding (port width - 1) bits of the operand (the lower parts
// are unsigned, so they lose the sign bit of the port): ceil((a-1)/(A-1)) * ceil((b-1)/(B-1))
// slices, the better orientation chosen. Port widths: UG479 (DSP48E1), UG579 (DSP48E2),
// AM004 (DSP58); the split is the standard decomposition of a wide multiplier.
int64_t dsp_slices_per_product(int a_width, int b_width, const DspSlice& slice);

// LUTs of one w x a multiplier built from LUTs: (2 * ceil((w + a) / 6) - 1) * (w + a)
// (FINN-R, Blott et al. 2018; FINN's MVAU_hls.lut_estimation, per SIMD lane).
int64_t lut_multiplier_luts(int weight_width, int data_width);

// hls4ml's `auto` accumulator (hls4ml/model/optimizer/passes/infer_precision.py,
// InferPrecisionTypes._infer_common_precision): the product of data and weight widened by
// ceil(log2(n_ops)) bits, then aligned with the bias (one more integer bit, the wider
// fraction) when the layer has one.
FixedType hls4ml_auto_accumulator(const FixedType& data, const FixedType& weight,
                                  const std::optional<FixedType>& bias, int64_t n_ops);

}  // namespace qdse::hw
