// Exact integer 2-d convolution on int16 codes (groups = 1), int32 accumulation.
//
// The convolution of fixed-point codes is a GEMM per output pixel: the pixel's
// receptive field (kh x kw x C codes) against each output channel's weights. The
// input is kept as channels-last codes with the zero padding already in place
// (pad_channels_last), so that a receptive-field row is kh copies of kw * C
// consecutive codes (kh * kw copies of C with dilation); rows are built 48 at a time
// in a small buffer that stays in cache (no im2col matrix for the whole batch) and go
// through the int16 GEMM tile of int_gemm.hpp. Outputs are written NCHW, as libtorch's
// conv2d returns them. When the caller has checked the exactness bounds (as for
// int16_linear), the result equals the float emulation bit for bit.
// Thread-safety: reentrant; samples are split over libtorch's intra-op threads.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>

#include "qdse/exec/int_gemm.hpp"

namespace qdse::exec {

struct ConvGeometry {
  int64_t channels = 0;              // C (input channels)
  int64_t height = 0, width = 0;     // input size before padding
  int64_t kernel_h = 1, kernel_w = 1;
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_h = 0, pad_w = 0;      // zero padding on each side
  int64_t dilation_h = 1, dilation_w = 1;

  int64_t out_h() const { return (height + 2 * pad_h - dilation_h * (kernel_h - 1) - 1) / stride_h + 1; }
  int64_t out_w() const { return (width + 2 * pad_w - dilation_w * (kernel_w - 1) - 1) / stride_w + 1; }
  int64_t depth() const { return kernel_h * kernel_w * channels; }  // K, in the order (ki, kj, c)
};

// codes: kShort NCHW [N, C, H, W] -> kShort [N, H + 2 pad_h, W + 2 pad_w, C] with a zero
// border (code 0 is the value 0, the float path's zero padding). `out`, if defined, is
// the contiguous tensor to write into.
at::Tensor pad_channels_last(const at::Tensor& codes, const ConvGeometry& g, at::Tensor out = {});

// A max pooling computed inside the convolution (after its epilogue, ReLU included):
// per-axis kernel, stride and padding (at most half the kernel, as torch requires:
// padded positions are ignored, every window keeps one real pixel), dilation 1, floor
// mode; the convolution's own output is then never materialized (one sample at a
// time, in cache).
struct FusedMaxPool {
  int64_t kernel_h = 0, kernel_w = 0, stride_h = 0, stride_w = 0;  // kernel_h 0: none
  int64_t pad_h = 0, pad_w = 0;
  bool enabled() const { return kernel_h > 0; }
  int64_t out_h(int64_t in) const { return enabled() ? (in + 2 * pad_h - kernel_h) / stride_h + 1 : in; }
  int64_t out_w(int64_t in) const { return enabled() ? (in + 2 * pad_w - kernel_w) / stride_w + 1 : in; }
};

// Weight codes kShort [M, C, kh, kw] -> [M, kh * kw * C], the depth order of the rows.
at::Tensor conv_weight_rows(const at::Tensor& weight_codes);

// out float32 [N, M, out_h, out_w] = epilogue(conv(codes, w)), max-pooled by `pool`
// when enabled (then [N, M, pool.out_h(out_h), pool.out_w(out_w)]); `padded`: a
// pad_channels_last() result; `w`: PackedInt16(conv_weight_rows(...)). `out`, if
// defined, is the contiguous tensor to write into.
at::Tensor int16_conv2d(const at::Tensor& padded, const ConvGeometry& g, const PackedInt16& w,
                        const IntEpilogue& e, at::Tensor out = {}, bool vectorize = true,
                        const FusedMaxPool& pool = {});

}  // namespace qdse::exec
