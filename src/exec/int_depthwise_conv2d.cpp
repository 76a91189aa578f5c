// int16_depthwise_conv2d (see int_depthwise_conv2d.hpp): per sample, the padded codes
// widened to int32 lanes (8-channel blocks that never straddle two pixels), then per
// channel block and output pixel the kh * kw taps multiplied and summed in int32, the
// float epilogue, and the block's maps written NCHW.
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
};

// Portable loop on the int16 codes: one output channel at a time.
void depthwise_sample_portable(const DepthwiseJob& job, const int16_t* sample, float* dst) {
  const ConvGeometry& g = *job.g;
  const int64_t c_in = g.channels, mult = job.w->multiplier(), pixels = job.oh * job.ow, lanes = job.w->lanes();
  for (int64_t j = 0; j < mult; ++j) {
    const int32_t* wj = job.w->weights(j);
    for (int64_t c = 0; c < c_in; ++c) {
      float* plane = dst + (c * mult + j) * pixels;
      const float bias = job.bias_lanes ? job.bias_lanes[j * lanes + c] : 0.0f;
      for (int64_t y = 0; y < job.oh; ++y)
        for (int64_t x = 0; x < job.ow; ++x) {
          int32_t acc = 0;
          for (int64_t ki = 0; ki < g.kernel_h; ++ki)
            for (int64_t kj = 0; kj < g.kernel_w; ++kj) {
              const int64_t py = y * g.stride_h + ki * g.dilation_h, px = x * g.stride_w + kj * g.dilation_w;
              acc += static_cast<int32_t>(sample[(py * job.wp + px) * c_in + c]) *
                     wj[(ki * g.kernel_w + kj) * lanes + c];
            }
          plane[y * job.ow + x] = depthwise_epilogue(acc, bias, *job.e);
        }
    }
  }
}

#ifdef QDSE_DEPTHWISE_AVX2
// The codes of one sample as int32 lanes holding the code's 16 bits zero-extended
// (pixel stride `lanes`, spare lanes 0): vpmaddwd of such a lane with a sign-extended
// weight is code * weight + 0 * (weight's sign half), the exact product in one
// instruction.
__attribute__((target("avx2"))) void widen_depthwise_codes(const int16_t* sample, int64_t pixels, int64_t c_in,
                                                           int64_t lanes, int32_t* wide) {
  for (int64_t p = 0; p < pixels; ++p) {
    const int16_t* src = sample + p * c_in;
    int32_t* dst = wide + p * lanes;
    int64_t c = 0;
    for (; c + kDepthwiseLanes <= c_in; c += kDepthwiseLanes)
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + c),
                          _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + c))));
    for (; c < c_in; ++c) dst[c] = static_cast<uint16_t>(src[c]);
    for (; c < lanes; ++c) dst[c] = 0;
  }
}

// One sample through the AVX2 loop; `wide` and `stage` (pixels * 8 floats, or int32
// for the float64 epilogue) are the caller's scratch.
__attribute__((target("avx2"))) void depthwise_sample_avx2(const DepthwiseJob& job, const int16_t* sample,
                                                           float* dst, int32_t* wide, float* stage,
                                                           int32_t* stage_acc) {
  const ConvGeometry& g = *job.g;
  const IntEpilogue& e = *job.e;
  const int64_t c_in = g.channels, mult = job.w->multiplier(), lanes = job.w->lanes();
  const int64_t pixels = job.oh * job.ow, taps = job.w->taps();
  const int64_t* tap_offset = job.tap_offset;
  widen_depthwise_codes(sample, job.hp * job.wp, c_in, lanes, wide);
  const __m256 scale = _mm256_set1_ps(static_cast<float>(e.scale));
  const __m256 zero = _mm256_setzero_ps();
  for (int64_t j = 0; j < mult; ++j) {
    const int32_t* wj = job.w->weights(j);
    for (int64_t c0 = 0; c0 < c_in; c0 += kDepthwiseLanes) {
      const __m256 bias = job.bias_lanes ? _mm256_loadu_ps(job.bias_lanes + j * lanes + c0) : zero;
      for (int64_t y = 0; y < job.oh; ++y) {
        for (int64_t x = 0; x < job.ow; ++x) {
          const int32_t* field = wide + ((y * g.stride_h) * job.wp + x * g.stride_w) * lanes + c0;
          __m256i acc = _mm256_setzero_si256();
          for (int64_t t = 0; t < taps; ++t) {
            const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(field + tap_offset[t]));
            const __m256i k = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wj + t * lanes + c0));
            acc = _mm256_add_epi32(acc, _mm256_madd_epi16(v, k));
          }
          const int64_t p = y * job.ow + x;
          if (e.wide) {
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(stage_acc + p * kDepthwiseLanes), acc);
          } else {
            __m256 f = _mm256_mul_ps(_mm256_cvtepi32_ps(acc), scale);
            if (job.bias_lanes) f = _mm256_add_ps(f, bias);
            if (e.relu) f = _mm256_max_ps(zero, f);
            _mm256_storeu_ps(stage + p * kDepthwiseLanes, f);
          }
        }
      }
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

at::Tensor int16_depthwise_conv2d(const at::Tensor& padded, const ConvGeometry& g, const PackedDepthwise& w,
                                  const IntEpilogue& e, at::Tensor out, bool vectorize) {
  const int64_t hp = g.height + 2 * g.pad_h, wp = g.width + 2 * g.pad_w;
  QDSE_ASSERT(padded.dim() == 4 && padded.scalar_type() == at::kShort && padded.is_contiguous() &&
                  padded.size(1) == hp && padded.size(2) == wp && padded.size(3) == g.channels,
              "int16_depthwise_conv2d: input must be pad_channels_last() codes of the geometry");
  QDSE_ASSERT(w.channels() == g.channels && w.taps() == g.kernel_h * g.kernel_w,
              "int16_depthwise_conv2d: weights differ from the geometry's channels or kernel");
  const int64_t n = padded.size(0), m = w.outputs(), oh = g.out_h(), ow = g.out_w();
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
  const DepthwiseJob job{&g, &w, &e, e.bias ? bias_lanes.data() : nullptr, hp, wp, oh, ow, tap_offset.data()};
  const int16_t* pin = padded.data_ptr<int16_t>();
  float* po = out.data_ptr<float>();
  const int64_t sample_codes = hp * wp * g.channels, sample_out = m * oh * ow;
  const bool vec = vectorize && int16_linear_vectorized();  // the same AVX2 check
  // Enough work per task that a task is worth scheduling.
  const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, sample_out));
  at::parallel_for(0, n, grain, [&](int64_t s_begin, int64_t s_end) {
    if (!vec) {
      for (int64_t s = s_begin; s < s_end; ++s) depthwise_sample_portable(job, pin + s * sample_codes, po + s * sample_out);
      return;
    }
#ifdef QDSE_DEPTHWISE_AVX2
    std::vector<int32_t> wide(static_cast<std::size_t>(hp * wp * lanes));
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
