// Bit-accurate fixed-point reference for a quantized linear layer, and the rule for
// when the fake-quantized float GEMM is exact.
//
// Fixed-point hardware computes y = x.W^T + b on integer codes: inputs and weights
// as integers, products and sums in a wide integer accumulator at scale
// 2^-(f_x + f_w), the bias shifted to that scale, one final rescale. The float
// emulation (torch::linear on quantize()d tensors) gives the same numbers exactly
// when every partial sum is an integer multiple of 2^-S that the float type holds
// exactly: products of dyadic numbers are exact, and integers up to 2^24 (float32)
// or 2^53 (float64) are exactly representable, so no rounding ever happens as long
// as the worst-case accumulator magnitude stays within that bound.
// Thread-safety: pure functions.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>

#include "qdse/quant/formats/format.hpp"

namespace qdse::quant {

// x: [N, K], w: [M, K], b: [M] or undefined (no bias); float32 or float64. All three
// formats must be integer formats. Returns float32 [N, M]: the exact fixed-point
// result (int64 accumulation, bias aligned to S = max(f_x + f_w, f_b), one rescale
// by 2^-S in float64, then rounded to float32 once). Throws InvalidArgument on
// non-integer formats, bad shapes, or if the int64 accumulator could overflow.
at::Tensor integer_linear_ref(const at::Tensor& x, const at::Tensor& w,
                                 const at::Tensor& b, const Format& data_in,
                                 const Format& weight, const Format& bias);

// True when a float32 (float64) accumulation of fan_in products of signed
// `data_width`/`weight_width`-bit codes (plus an optional signed bias of
// `bias_width` bits, 0 = no bias) is exact. Worst case, at the common scale
// S = max(fd + fw, fb):
//   2^(wd-1) * 2^(ww-1) * fan_in * 2^(S-fd-fw)  +  2^(wb-1) * 2^(S-fb)  <=  2^24 (2^53).
bool float32_accumulation_exact(int data_width, int data_frac, int weight_width, int weight_frac,
                                int64_t fan_in, int bias_width = 0, int bias_frac = 0);
bool float64_accumulation_exact(int data_width, int data_frac, int weight_width, int weight_frac,
                                int64_t fan_in, int bias_width = 0, int bias_frac = 0);
// Same rule for any mantissa precision (24 for float32, 53 for float64).
bool accumulation_exact(int mantissa_bits, int data_width, int data_frac, int weight_width,
                        int weight_frac, int64_t fan_in, int bias_width = 0, int bias_frac = 0);

}  // namespace qdse::quant
