// FINN's matrix-vector-activation unit (MVAU, HLS back end, internal_decoupled weights) as
// a cost model: FINN's own per-node estimators (finn/custom_op/fpgadataflow/
// matrixvectoractivation.py and hls/matrixvectoractivation_hls.py: lut_estimation,
// dsp_estimation, bram_estimation, uram_estimation, get_exp_cycles), rule for rule.
// Sources and what they ignore: docs/hardware.md#finn.
//
// A dense layer is one MVAU with MW = in_features, MH = out_features; a conv2d layer is
// the MVAU behind FINN's sliding-window generator, with MW = k_h*k_w*C_in, MH = C_out and
// one input vector per output pixel (the generator's own cost is not counted).
//
// Invalid parameters are qdse::Error (InvalidArgument) naming the layer: PE not dividing
// MH, SIMD not dividing MW, SIMD < MW/1024 (FINN's HLS MVAU refuses it), weights in URAM
// on a device without URAM, a non-positive dimension or width.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>

#include "qdse/hw/cost.hpp"
#include "qdse/hw/device.hpp"

namespace qdse::hw {

enum class FinnResType { Lut, Dsp };                 // FINN's resType
enum class FinnWeightRam { Block, Distributed, Ultra };  // FINN's ram_style for the weights

struct FinnImpl {
  int64_t pe = 1;
  int64_t simd = 1;
  FinnResType res_type = FinnResType::Lut;
  FinnWeightRam weight_ram = FinnWeightRam::Block;
  // Output thresholds (noActivation = 0): bits of the thresholded output; 0 = the MVAU
  // outputs its accumulator (noActivation = 1). Thresholds in LUTRAM cost LUTs (FINN's
  // ram_style_thresholds = distributed); elsewhere FINN counts nothing for them.
  int activation_bits = 0;
  bool thresholds_in_lutram = false;
};

// FINN's MVAU view of a layer.
struct MvauShape {
  int64_t mw = 0;       // inputs of one dot product
  int64_t mh = 0;       // dot products (outputs)
  int64_t vectors = 1;  // input vectors per inference (numInputVectors)
};
MvauShape finn_mvau_shape(const LayerShape& layer);

void check_finn_impl(const LayerShape& layer, const FinnImpl& impl, const Device& device);

// The accumulator bits FINN's LUT estimate uses: the data-type bound of arXiv:2301.13376
// (alpha = log2(MW) + W + A - 1 - signed(A); ceil(alpha + log2(1 + 2^-alpha) + 1)),
// capped by the accumulator of `formats` when it is set.
int64_t finn_accumulator_bits(const LayerShape& layer, const LayerFormats& formats);

// LUT, DSP, BRAM18, URAM and cycles as FINN estimates them; FF is not estimated by FINN
// (Cost::ff_estimated = false). latency_cycles = ii = get_exp_cycles: a dataflow stage
// takes that long per input.
Cost finn_mvau_cost(const LayerShape& layer, const LayerFormats& formats, const FinnImpl& impl,
                    const Device& device);

}  // namespace qdse::hw
