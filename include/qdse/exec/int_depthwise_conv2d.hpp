// Exact integer depthwise 2-d convolution on int16 codes, int32 accumulation.
//
// A depthwise convolution (groups = C input channels, M = C * multiplier outputs,
// output channel m reading input channel m / multiplier) has a fan-in of kh * kw only:
// as a GEMM it would be C tiny products, so it gets its own kernel. It reads plain
// NCHW codes (quant::integer_codes of the input as it is: no padded channels-last copy
// to build and keep, which cost as much as the convolution on mobilenet's small
// maps); per sample it transposes them into channels-last int32 lanes inside a zero
// border held in cache, sums the kh * kw taps of each output pixel in int32,
// vectorized over channels (AVX2 with runtime dispatch, else a portable loop; the
// same sums either way), and applies the float epilogue of int_gemm.hpp
// (IntEpilogue). When the caller has checked the exactness bounds
// (lower/integer_eligibility.hpp with fan-in kh * kw), the result equals the float
// emulation bit for bit.
// Thread-safety: PackedDepthwise is immutable after construction;
// int16_depthwise_conv2d() is reentrant and splits samples over libtorch's threads.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>

#include "qdse/exec/int_conv2d.hpp"
#include "qdse/exec/int_gemm.hpp"

namespace qdse::exec {

// Depthwise weights kShort [C * multiplier, 1, kh, kw], rearranged once: for each
// multiplier index j and tap t, the C channels' codes as int32, padded to whole
// 8-lane blocks (output channel c * multiplier + j at lane c).
class PackedDepthwise {
 public:
  PackedDepthwise() = default;
  PackedDepthwise(const at::Tensor& codes, int64_t channels);

  int64_t channels() const { return c_; }
  int64_t multiplier() const { return mult_; }
  int64_t outputs() const { return c_ * mult_; }
  int64_t taps() const { return taps_; }
  int64_t lanes() const { return lanes_; }  // C rounded up to 8
  int64_t bytes() const;
  // taps() x lanes() int32 weights of multiplier index j.
  const int32_t* weights(int64_t j) const;

 private:
  int64_t c_ = 0, mult_ = 0, taps_ = 0, lanes_ = 0;
  at::Tensor packed_;  // kInt [multiplier, taps, lanes]
};

// out float32 [N, C * multiplier, out_h, out_w] = epilogue(depthwise conv(codes, w)).
// codes: contiguous kShort [N, C, H, W] of geometry g (g.channels = w.channels(),
// g.kernel_h * g.kernel_w = w.taps(); the padding is g's, applied here); `out`, if
// defined, is the contiguous tensor to write into. vectorize = false forces the
// portable loop (tests compare the two).
at::Tensor int16_depthwise_conv2d(const at::Tensor& codes, const ConvGeometry& g, const PackedDepthwise& w,
                                  const IntEpilogue& e, at::Tensor out = {}, bool vectorize = true);

}  // namespace qdse::exec
