// int16_depthwise_conv2d (see int_depthwise_conv2d.hpp): per sample, the NCHW codes
// transposed into channels-last int32 lanes inside a zero border (8-channel blocks
// that never straddle two pixels), then per channel block and output pixel the
// kh * kw taps multiplied and summed in int32, the float epilogue, and the block's
// maps written NCHW.
#include "qdse/exec/int_depthwise_conv2d.hpp"

#include <ATen/Parallel.h>
#include <torch/types.h>

#include <algorithm>
#include <vector>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define QDSE_DEPTHWISE_AVX2 1
#endif

#include "qdse/core/error.hpp"

namespace qdse::exec {
namespace {

constexpr int64_t kDepthwiseLanes = 8;  // int32 lanes of one AVX2 vector

// One accumulator through the epilogue, exactly as int_gemm.cpp's store_row does it.
inline float depthwise_epilogue(int32_t acc, float bias, const IntEpilogue& e) {
  float v;
  if (e.wide) {
    double d = static_cast<double>(acc) * e.scale;
    if (e.bias) d += static_cast<double>(bias);
    v = static_cast<float>(d);
  } else {
    v = static_cast<float>(acc) * static_cast<float>(e.scale);
    if (e.bias) v += bias;
  }
  return e.relu ? std::max(v, 0.0f) : v;
}

// Everything one sample's computation needs, shared by the two kernels.
struct DepthwiseJob {
  const ConvGeometry* g;
  const PackedDepthwise* w;
  const IntEpilogue* e;
  const float* bias_lanes;  // [multiplier, lanes]: bias of channel c * multiplier + j at [j, c]; null without
  int64_t hp, wp, oh, ow;
  const int64_t* tap_offset;  // per tap: int32 elements from the field's corner (widened codes)
  // Per output row y (column x): the kernel rows [lo, hi) (columns) that fall inside
  // the input, not on the zero border, as [2 * y] and [2 * y + 1]: taps on the border
  // add nothing and are skipped (most of them on 2x2 and 1x1 maps).
  const int64_t* rows_in;
  const int64_t* cols_in;
};

// [lo, hi) of the kernel taps k whose position o * stride + k * dilation lies in
// [pad, pad + size), for each output o < outputs, as pairs.
std::vector<int64_t> depthwise_taps_inside(int64_t outputs, int64_t stride, int64_t dilation, int64_t kernel,
                                           int64_t pad, int64_t size) {
  std::vector<int64_t> r;
  for (int64_t o = 0; o < outputs; ++o) {
    int64_t lo = 0, hi = kernel;
    while (lo < kernel && o * stride + lo * dilation < pad) ++lo;
    while (hi > lo && o * stride + (hi - 1) * dilation >= pad + size) --hi;
    r.push_back(lo);
    r.push_back(hi);
  }
  return r;
}

// Portable loop on the NCHW codes: one output channel at a time, padding skipped.
void depthwise_sample_portable(const DepthwiseJob& job, const int16_t* sample, float* dst) {
  const ConvGeometry& g = *job.g;
  const int64_t c_in = g.channels, mult = job.w->multiplier(), pixels = job.oh * job.ow, lanes = job.w->lanes();
  for (int64_t j = 0; j < mult; ++j) {
    const int32_t* wj = job.w->weights(j);
    for (int64_t c = 0; c < c_in; ++c) {
      const int16_t* in = sample + c * g.height * g.width;
      float* plane = dst + (c * mult + j) * pixels;
      const float bias = job.bias_lanes ? job.bias_lanes[j * lanes + c] : 0.0f;
      for (int64_t y = 0; y < job.oh; ++y)
        for (int64_t x = 0; x < job.ow; ++x) {
          int32_t acc = 0;
          for (int64_t ki = 0; ki < g.kernel_h; ++ki) {
            const int64_t py = y * g.stride_h + ki * g.dilation_h - g.pad_h;
            if (py < 0 || py >= g.height) continue;  // zero padding
            for (int64_t kj = 0; kj < g.kernel_w; ++kj) {
              const int64_t px = x * g.stride_w + kj * g.dilation_w - g.pad_w;
              if (px < 0 || px >= g.width) continue;
              acc += static_cast<int32_t>(in[py * g.width + px]) * wj[(ki * g.kernel_w + kj) * lanes + c];
            }
          }
          plane[y * job.ow + x] = depthwise_epilogue(acc, bias, *job.e);
        }
    }
  }
}

#ifdef QDSE_DEPTHWISE_AVX2
// One sample's NCHW codes into `wide`: channels-last int32 lanes (pixel stride
// `lanes`) holding each code's 16 bits zero-extended, inside the zero border the
// caller cleared once (only the interior is written). vpmaddwd of such a lane with a
// sign-extended weight is code * weight + 0 * (weight's sign half): the exact product
// in one instruction.
void widen_depthwise_codes(const DepthwiseJob& job, const int16_t* sample, int32_t* wide) {
  const ConvGeometry& g = *job.g;
  const int64_t lanes = job.w->lanes();
  for (int64_t c = 0; c < g.channels; ++c) {
    const int16_t* plane = sample + c * g.height * g.width;
    for (int64_t y = 0; y < g.height; ++y) {
      int32_t* row = wide + ((y + g.pad_h) * job.wp + g.pad_w) * lanes + c;
      const int16_t* src = plane + y * g.width;
      for (int64_t x = 0; x < g.width; ++x) row[x * lanes] = static_cast<uint16_t>(src[x]);
    }
  }
}

// The 8 channels from c0 of every output pixel: sums of the taps, then the epilogue
// into stage (pixel-major, 8 floats a pixel), or the raw sums into stage_acc for the
// float64 epilogue. kTaps > 0: a compile-time tap count (3x3, the common kernel), whose
// weights stay in registers; 0: any count.
template <int kTaps>
__attribute__((target("avx2"))) void depthwise_block_avx2(const DepthwiseJob& job, const int32_t* wide,
                                                          const int32_t* wj, int64_t c0, __m256 bias,
                                                          float* stage, int32_t* stage_acc) {
  const ConvGeometry& g = *job.g;
  const IntEpilogue& e = *job.e;
  const int64_t lanes = job.w->lanes(), taps = kTaps > 0 ? kTaps : job.w->taps();
  const int64_t oh = job.oh, ow = job.ow, wp = job.wp, sh = g.stride_h, sw = g.stride_w;
  __m256i wv[kTaps > 0 ? kTaps : 1];
  int64_t off[kTaps > 0 ? kTaps : 1];
  if constexpr (kTaps > 0) {
    for (int t = 0; t < kTaps; ++t) {
      wv[t] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wj + t * lanes + c0));
      off[t] = job.tap_offset[t];
    }
  }
  const __m256 scale = _mm256_set1_ps(static_cast<float>(e.scale));
  const __m256 zero = _mm256_setzero_ps();
  const bool has_bias = job.bias_lanes != nullptr, relu = e.relu, wide_epilogue = e.wide;
  for (int64_t y = 0; y < oh; ++y) {
    for (int64_t x = 0; x < ow; ++x) {
      const int32_t* field = wide + ((y * sh) * wp + x * sw) * lanes + c0;
      __m256i acc = _mm256_setzero_si256();
      const int64_t ki0 = job.rows_in[2 * y], ki1 = job.rows_in[2 * y + 1];
      const int64_t kj0 = job.cols_in[2 * x], kj1 = job.cols_in[2 * x + 1];
      if (kTaps > 0 && (ki1 - ki0) * (kj1 - kj0) == kTaps) {  // every tap inside: unrolled
        for (int64_t t = 0; t < taps; ++t) {
          const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(field + off[t]));
          acc = _mm256_add_epi32(acc, _mm256_madd_epi16(v, wv[t]));
        }
      } else {
        for (int64_t ki = ki0; ki < ki1; ++ki)
          for (int64_t kj = kj0; kj < kj1; ++kj) {
            const int64_t t = ki * g.kernel_w + kj;
            const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(field + job.tap_offset[t]));
            const __m256i k = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wj + t * lanes + c0));
            acc = _mm256_add_epi32(acc, _mm256_madd_epi16(v, k));
          }
      }
      const int64_t p = y * ow + x;
      if (wide_epilogue) {
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(stage_acc + p * kDepthwiseLanes), acc);
      } else {
        __m256 f = _mm256_mul_ps(_mm256_cvtepi32_ps(acc), scale);
        if (has_bias) f = _mm256_add_ps(f, bias);
        if (relu) f = _mm256_max_ps(zero, f);
        _mm256_storeu_ps(stage + p * kDepthwiseLanes, f);
      }
    }
  }
}

// One sample through the AVX2 loop; `wide` (zero border), `stage` and `stage_acc`
// (pixels * 8 floats / int32) are the caller's scratch.
__attribute__((target("avx2"))) void depthwise_sample_avx2(const DepthwiseJob& job, const int16_t* sample,
                                                           float* dst, int32_t* wide, float* stage,
                                                           int32_t* stage_acc) {
  const IntEpilogue& e = *job.e;
  const int64_t c_in = job.g->channels, mult = job.w->multiplier(), lanes = job.w->lanes();
  const int64_t pixels = job.oh * job.ow;
  widen_depthwise_codes(job, sample, wide);
  const __m256 zero = _mm256_setzero_ps();
  for (int64_t j = 0; j < mult; ++j) {
    const int32_t* wj = job.w->weights(j);
    for (int64_t c0 = 0; c0 < c_in; c0 += kDepthwiseLanes) {
      const __m256 bias = job.bias_lanes ? _mm256_loadu_ps(job.bias_lanes + j * lanes + c0) : zero;
      if (job.w->taps() == 9)
        depthwise_block_avx2<9>(job, wide, wj, c0, bias, stage, stage_acc);
      else
        depthwise_block_avx2<0>(job, wide, wj, c0, bias, stage, stage_acc);
      const int64_t nc = std::min(kDepthwiseLanes, c_in - c0);
      for (int64_t i = 0; i < nc; ++i) {
        float* plane = dst + ((c0 + i) * mult + j) * pixels;
        if (e.wide) {
          const float b = job.bias_lanes ? job.bias_lanes[j * lanes + c0 + i] : 0.0f;
          for (int64_t p = 0; p < pixels; ++p)
            plane[p] = depthwise_epilogue(stage_acc[p * kDepthwiseLanes + i], b, e);
        } else {
          for (int64_t p = 0; p < pixels; ++p) plane[p] = stage[p * kDepthwiseLanes + i];
        }
      }
    }
  }
}
#endif

}  // namespace

PackedDepthwise::PackedDepthwise(const at::Tensor& codes, int64_t channels) {
  QDSE_ASSERT(codes.dim() == 4 && codes.scalar_type() == at::kShort && codes.size(1) == 1 && channels > 0 &&
                  codes.size(0) % channels == 0,
              "PackedDepthwise: expects int16 [C * multiplier, 1, kh, kw]");
  const at::Tensor c = codes.contiguous();
  c_ = channels;
  mult_ = c.size(0) / channels;
  taps_ = c.size(2) * c.size(3);
  lanes_ = (channels + kDepthwiseLanes - 1) / kDepthwiseLanes * kDepthwiseLanes;
  packed_ = torch::zeros({std::max<int64_t>(mult_, 1), std::max<int64_t>(taps_, 1), lanes_}, torch::kInt);
  const int16_t* src = c.data_ptr<int16_t>();
  int32_t* dst = packed_.data_ptr<int32_t>();
  for (int64_t ch = 0; ch < c_; ++ch)
    for (int64_t j = 0; j < mult_; ++j)
      for (int64_t t = 0; t < taps_; ++t) dst[(j * taps_ + t) * lanes_ + ch] = src[(ch * mult_ + j) * taps_ + t];
}

int64_t PackedDepthwise::bytes() const { return packed_.defined() ? static_cast<int64_t>(packed_.nbytes()) : 0; }

const int32_t* PackedDepthwise::weights(int64_t j) const {
  return packed_.data_ptr<int32_t>() + j * taps_ * lanes_;
}

at::Tensor int16_depthwise_conv2d(const at::Tensor& codes, const ConvGeometry& g, const PackedDepthwise& w,
                                  const IntEpilogue& e, at::Tensor out, bool vectorize) {
  QDSE_ASSERT(codes.dim() == 4 && codes.scalar_type() == at::kShort && codes.is_contiguous() &&
                  codes.size(1) == g.channels && codes.size(2) == g.height && codes.size(3) == g.width,
              "int16_depthwise_conv2d: input must be contiguous int16 NCHW codes of the geometry");
  QDSE_ASSERT(w.channels() == g.channels && w.taps() == g.kernel_h * g.kernel_w,
              "int16_depthwise_conv2d: weights differ from the geometry's channels or kernel");
  const int64_t hp = g.height + 2 * g.pad_h, wp = g.width + 2 * g.pad_w;
  const int64_t n = codes.size(0), m = w.outputs(), oh = g.out_h(), ow = g.out_w();
  if (!out.defined()) out = torch::empty({n, m, std::max<int64_t>(oh, 0), std::max<int64_t>(ow, 0)}, torch::kFloat);
  QDSE_ASSERT(out.scalar_type() == at::kFloat && out.is_contiguous() && out.dim() == 4 && out.size(0) == n &&
                  out.size(1) == m && out.size(2) == oh && out.size(3) == ow,
              "int16_depthwise_conv2d: out must be contiguous float32 [N, M, out_h, out_w]");
  if (n == 0 || m == 0 || oh <= 0 || ow <= 0) return out;
  const int64_t lanes = w.lanes(), mult = w.multiplier();
  std::vector<float> bias_lanes;
  if (e.bias) {
    bias_lanes.assign(static_cast<std::size_t>(mult * lanes), 0.0f);
    for (int64_t c = 0; c < g.channels; ++c)
      for (int64_t j = 0; j < mult; ++j) bias_lanes[j * lanes + c] = e.bias[c * mult + j];
  }
  std::vector<int64_t> tap_offset;
  for (int64_t ki = 0; ki < g.kernel_h; ++ki)
    for (int64_t kj = 0; kj < g.kernel_w; ++kj)
      tap_offset.push_back((ki * g.dilation_h * wp + kj * g.dilation_w) * lanes);
  const std::vector<int64_t> rows_in =
      depthwise_taps_inside(oh, g.stride_h, g.dilation_h, g.kernel_h, g.pad_h, g.height);
  const std::vector<int64_t> cols_in = depthwise_taps_inside(ow, g.stride_w, g.dilation_w, g.kernel_w, g.pad_w, g.width);
  const DepthwiseJob job{&g,  &w, &e, e.bias ? bias_lanes.data() : nullptr, hp, wp, oh, ow, tap_offset.data(),
                         rows_in.data(), cols_in.data()};
  const int16_t* pin = codes.data_ptr<int16_t>();
  float* po = out.data_ptr<float>();
  const int64_t sample_codes = g.channels * g.height * g.width, sample_out = m * oh * ow;
  const bool vec = vectorize && int16_linear_vectorized();  // the same AVX2 check
  // Enough work per task that a task is worth scheduling.
  const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, sample_out));
  at::parallel_for(0, n, grain, [&](int64_t s_begin, int64_t s_end) {
    if (!vec) {
      for (int64_t s = s_begin; s < s_end; ++s)
        depthwise_sample_portable(job, pin + s * sample_codes, po + s * sample_out);
      return;
    }
#ifdef QDSE_DEPTHWISE_AVX2
    std::vector<int32_t> wide(static_cast<std::size_t>(hp * wp * lanes), 0);  // the border stays zero
    std::vector<float> stage(static_cast<std::size_t>(oh * ow * kDepthwiseLanes));
    std::vector<int32_t> stage_acc(e.wide ? stage.size() : 0);
    for (int64_t s = s_begin; s < s_end; ++s)
      depthwise_sample_avx2(job, pin + s * sample_codes, po + s * sample_out, wide.data(), stage.data(),
                            stage_acc.data());
#endif
  });
  return out;
}

}  // namespace qdse::exec
