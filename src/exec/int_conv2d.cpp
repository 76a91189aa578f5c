// int16_conv2d (see int_conv2d.hpp): channels-last padded codes, receptive-field rows
// built per chunk, the int16 GEMM tile, an NCHW scatter.
#include "qdse/exec/int_conv2d.hpp"

#include <ATen/Parallel.h>
#include <torch/types.h>

#include <algorithm>
#include <optional>
#include <vector>

#include "qdse/core/error.hpp"
#include "qdse/exec/int16_tiles.hpp"
#include "qdse/exec/int8_gemm.hpp"

namespace qdse::exec {
namespace {

constexpr int64_t kConvChunkRows = 48;  // receptive-field rows built and multiplied at a time

constexpr int64_t kConvTileRows = 6;    // the most rows a tile rounds up to (int16_tile_row_multiple)

// Copies n codes; the runs here are short (kw * C), where a loop beats a memcpy call.
// To bytes: the 8-bit path's u = code + 128 (int8_gemm.hpp; the caller checked the range).
inline void copy_codes(int16_t* dst, const int16_t* src, int64_t n) {
  for (int64_t t = 0; t < n; ++t) dst[t] = src[t];
}
inline void copy_codes(uint8_t* dst, const int16_t* src, int64_t n) {
  for (int64_t t = 0; t < n; ++t) dst[t] = static_cast<uint8_t>(src[t] + 128);
}

// Rows [p0, p0 + rows) of one sample's receptive-field matrix into buf (row stride ld,
// columns depth.. zero: they meet zero weights).
template <typename Row>
void conv_rows_of_sample(const int16_t* sample, const ConvGeometry& g, int64_t padded_w, int64_t p0, int64_t rows,
                         Row* buf, int64_t ld) {
  const int64_t ow = g.out_w(), c = g.channels, k = g.depth(), run = g.kernel_w * c;
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t p = p0 + r, y = p / ow, x = p % ow;
    Row* dst = buf + r * ld;
    for (int64_t ki = 0; ki < g.kernel_h; ++ki) {
      const int16_t* src = sample + ((y * g.stride_h + ki * g.dilation_h) * padded_w + x * g.stride_w) * c;
      if (g.dilation_w == 1) {
        copy_codes(dst + ki * run, src, run);
      } else {
        for (int64_t kj = 0; kj < g.kernel_w; ++kj)
          copy_codes(dst + (ki * g.kernel_w + kj) * c, src + kj * g.dilation_w * c, c);
      }
    }
    for (int64_t t = k; t < ld; ++t) dst[t] = 0;
  }
}

// True when every code of [p, p + n) fits int8 (the 8-bit path's condition).
bool conv_codes_fit_int8(const int16_t* p, int64_t n) {
  int16_t lo = 0, hi = 0;
  for (int64_t i = 0; i < n; ++i) {
    lo = std::min(lo, p[i]);
    hi = std::max(hi, p[i]);
  }
  return lo >= -128 && hi <= 127;
}

// One sample's maps from pixel-major rows [oh * ow, m] into dst NCHW [m, ph, pw],
// max-pooled by p when enabled. `best`: m floats of scratch.
void sample_maps_to_nchw(const float* rows, int64_t m, int64_t oh, int64_t ow, const FusedMaxPool& p, float* dst,
                         float* best) {
  if (!p.enabled()) {
    const int64_t pixels = oh * ow;
    for (int64_t q = 0; q < pixels; ++q)
      for (int64_t j = 0; j < m; ++j) dst[j * pixels + q] = rows[q * m + j];
    return;
  }
  const int64_t ph = p.out_h(oh), pw = p.out_w(ow);
  for (int64_t y = 0; y < ph; ++y) {
    // The window's rows and columns inside the map (padding is never the maximum).
    const int64_t y0 = y * p.stride_h - p.pad_h;
    const int64_t ya = std::max<int64_t>(y0, 0), yb = std::min(y0 + p.kernel_h, oh);
    for (int64_t x = 0; x < pw; ++x) {
      const int64_t x0 = x * p.stride_w - p.pad_w;
      const int64_t xa = std::max<int64_t>(x0, 0), xb = std::min(x0 + p.kernel_w, ow);
      const float* first = rows + (ya * ow + xa) * m;
      std::copy(first, first + m, best);
      for (int64_t a = ya; a < yb; ++a)
        for (int64_t b = xa; b < xb; ++b) {
          const float* px = rows + (a * ow + b) * m;
          for (int64_t j = 0; j < m; ++j) best[j] = std::max(best[j], px[j]);
        }
      for (int64_t j = 0; j < m; ++j) dst[(j * ph + y) * pw + x] = best[j];
    }
  }
}

// Builds receptive-field rows (of Row: int16 codes or 8-bit bytes) 48 at a time and
// runs them through multiply(rows, count, out, ldo), the GEMM tile; writes NCHW
// (pooled) outputs to po. `step`: row counts are rounded up to a multiple of it.
template <typename Row, typename Multiply>
void conv_rows_through_tile(const int16_t* pin, const ConvGeometry& g, int64_t ph, int64_t pw,
                            const FusedMaxPool& pool, int64_t n, int64_t m, int64_t ld, int64_t step, float* po,
                            const Multiply& multiply) {
  const int64_t hp = g.height + 2 * g.pad_h, wp = g.width + 2 * g.pad_w;
  const int64_t oh = g.out_h(), ow = g.out_w(), pixels = oh * ow;
  const int64_t sample_codes = hp * wp * g.channels;
  // Enough samples per task that a task is worth scheduling.
  const int64_t grain = std::max<int64_t>(1, 4096 / pixels);
  if (!pool.enabled() && pixels < kConvChunkRows) {
    // Small maps (a few pixels per sample, resnet's late stages): chunks of rows span
    // samples, so that each weight panel is read once per 48 rows, not once per
    // sample, and tiles are full.
    const int64_t total = n * pixels, chunks = (total + kConvChunkRows - 1) / kConvChunkRows;
    at::parallel_for(0, chunks, 1, [&](int64_t c_begin, int64_t c_end) {
      std::vector<Row> rows_buf(static_cast<std::size_t>(kConvChunkRows * ld), 0);
      std::vector<float> tile(static_cast<std::size_t>(kConvChunkRows * m));
      for (int64_t c = c_begin; c < c_end; ++c) {
        const int64_t q0 = c * kConvChunkRows, rows = std::min(kConvChunkRows, total - q0);
        for (int64_t r = 0; r < rows; ++r) {
          const int64_t q = q0 + r;
          conv_rows_of_sample(pin + (q / pixels) * sample_codes, g, wp, q % pixels, 1, rows_buf.data() + r * ld, ld);
        }
        multiply(rows_buf.data(), std::min(kConvChunkRows, (rows + step - 1) / step * step), tile.data(), m);
        for (int64_t r = 0; r < rows; ++r) {
          const int64_t q = q0 + r;
          float* dst = po + (q / pixels) * m * pixels + q % pixels;
          for (int64_t j = 0; j < m; ++j) dst[j * pixels] = tile[r * m + j];
        }
      }
    });
    return;
  }
  at::parallel_for(0, n, grain, [&](int64_t s_begin, int64_t s_end) {
    // Rows past a sample's last pixel (rounded up to `step`) run through the tile too:
    // they read earlier rows' valid codes, and their outputs land in the spare rows of
    // `maps`, never read.
    std::vector<Row> rows_buf(static_cast<std::size_t>(kConvChunkRows * ld), 0);
    std::vector<float> maps(static_cast<std::size_t>((pixels + kConvTileRows) * m));  // pixel-major [P, M]
    std::vector<float> best(static_cast<std::size_t>(m));
    for (int64_t s = s_begin; s < s_end; ++s) {
      for (int64_t p0 = 0; p0 < pixels; p0 += kConvChunkRows) {
        const int64_t rows = std::min(kConvChunkRows, pixels - p0);
        conv_rows_of_sample(pin + s * sample_codes, g, wp, p0, rows, rows_buf.data(), ld);
        multiply(rows_buf.data(), std::min(kConvChunkRows, (rows + step - 1) / step * step), maps.data() + p0 * m, m);
      }
      sample_maps_to_nchw(maps.data(), m, oh, ow, pool, po + s * m * ph * pw, best.data());
    }
  });
}

}  // namespace

at::Tensor pad_channels_last(const at::Tensor& codes, const ConvGeometry& g, at::Tensor out) {
  QDSE_ASSERT(codes.dim() == 4 && codes.scalar_type() == at::kShort && codes.size(1) == g.channels &&
                  codes.size(2) == g.height && codes.size(3) == g.width,
              "pad_channels_last: codes must be int16 [N, C, H, W] of the geometry");
  const std::vector<int64_t> sizes = {codes.size(0), g.height + 2 * g.pad_h, g.width + 2 * g.pad_w, g.channels};
  if (!out.defined()) out = torch::empty(sizes, torch::kShort);
  QDSE_ASSERT(out.is_contiguous() && out.sizes() == at::IntArrayRef(sizes) && out.scalar_type() == at::kShort,
              "pad_channels_last: out must be contiguous int16 [N, Hp, Wp, C]");
  // One pass per sample (NCHW -> channels-last, only the border zeroed), in place of
  // libtorch's zero_() of the whole tensor and its generic strided permute copy, which
  // cost resnet18's every-layer-new trial about 9% against 6% for this loop.
  const at::Tensor src = codes.contiguous();
  const int64_t c = g.channels, h = g.height, w = g.width, hp = sizes[1], wp = sizes[2], plane = h * w;
  const int16_t* ps = src.data_ptr<int16_t>();
  int16_t* pd = out.data_ptr<int16_t>();
  const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, hp * wp * c));
  at::parallel_for(0, sizes[0], grain, [&](int64_t s_begin, int64_t s_end) {
    for (int64_t s = s_begin; s < s_end; ++s) {
      int16_t* d = pd + s * hp * wp * c;
      const int16_t* sample = ps + s * c * plane;
      std::fill(d, d + g.pad_h * wp * c, int16_t{0});
      std::fill(d + (g.pad_h + h) * wp * c, d + hp * wp * c, int16_t{0});
      for (int64_t y = 0; y < h; ++y) {
        int16_t* row = d + (y + g.pad_h) * wp * c;
        std::fill(row, row + g.pad_w * c, int16_t{0});
        std::fill(row + (g.pad_w + w) * c, row + wp * c, int16_t{0});
        const int16_t* src_row = sample + y * w;
        for (int64_t x = 0; x < w; ++x) {
          int16_t* px = row + (x + g.pad_w) * c;
          for (int64_t ch = 0; ch < c; ++ch) px[ch] = src_row[ch * plane + x];
        }
      }
    }
  });
  return out;
}

at::Tensor conv_weight_rows(const at::Tensor& weight_codes) {
  QDSE_ASSERT(weight_codes.dim() == 4, "conv_weight_rows: weight codes must be [M, C, kh, kw]");
  return weight_codes.permute({0, 2, 3, 1}).reshape({weight_codes.size(0), -1}).contiguous();
}

at::Tensor int16_conv2d(const at::Tensor& padded, const ConvGeometry& g, const PackedInt16& w,
                        const IntEpilogue& e, at::Tensor out, bool vectorize, const FusedMaxPool& pool) {
  const int64_t hp = g.height + 2 * g.pad_h, wp = g.width + 2 * g.pad_w;
  QDSE_ASSERT(padded.dim() == 4 && padded.scalar_type() == at::kShort && padded.is_contiguous() &&
                  padded.size(1) == hp && padded.size(2) == wp && padded.size(3) == g.channels,
              "int16_conv2d: input must be pad_channels_last() codes of the geometry");
  QDSE_ASSERT(w.depth() == g.depth(), "int16_conv2d: weight depth differs from kh * kw * C");
  const int64_t n = padded.size(0), m = w.outputs(), oh = g.out_h(), ow = g.out_w(), pixels = oh * ow;
  const int64_t ph = pool.out_h(oh), pw = pool.out_w(ow);
  QDSE_ASSERT(!pool.enabled() || (pool.kernel_w > 0 && pool.stride_h > 0 && pool.stride_w > 0 && ph > 0 && pw > 0 &&
                                   pool.pad_h >= 0 && pool.pad_w >= 0 && 2 * pool.pad_h <= pool.kernel_h &&
                                   2 * pool.pad_w <= pool.kernel_w),
              "int16_conv2d: the fused pooling does not fit the convolution's output");
  if (!out.defined()) out = torch::empty({n, m, ph, pw}, torch::kFloat);
  QDSE_ASSERT(out.scalar_type() == at::kFloat && out.is_contiguous() && out.size(0) == n && out.size(1) == m &&
                  out.size(2) == ph && out.size(3) == pw,
              "int16_conv2d: out must be contiguous float32 [N, M, out_h, out_w] (pooled)");
  if (n == 0 || m == 0 || pixels <= 0) return out;
  const int16_t* pin = padded.data_ptr<int16_t>();
  float* po = out.data_ptr<float>();
  const std::vector<float> bias16 = padded_bias(e.bias, m);
  const float* b16 = e.bias ? bias16.data() : nullptr;
  // The 8-bit path when this machine has it and every code fits int8 (the check reads
  // the input once; the weights are repacked per call, a small fraction of the MACs).
  if (vectorize && int8_gemm_available() && conv_codes_fit_int8(pin, padded.numel())) {
    if (const std::optional<PackedInt8> w8 = pack_int8(w)) {
      const int64_t ld8 = int8_row_bytes(w.depth());
      conv_rows_through_tile<uint8_t>(pin, g, ph, pw, pool, n, m, ld8, 1, po,
                                      [&](const uint8_t* rows, int64_t count, float* dst, int64_t ldo) {
                                        int8_linear_serial(rows, ld8, count, *w8, e, b16, dst, ldo);
                                      });
      return out;
    }
  }
  const int64_t ld = 2 * w.pairs();
  // Row counts are rounded up to what the tile runs vectorized (6 for the ymm tiles,
  // whose ragged rows would take the portable loop; 1 for the zmm tile).
  const int64_t step = int16_tile_row_multiple(vectorize ? int16_tile_best() : Int16Tile::portable);
  conv_rows_through_tile<int16_t>(pin, g, ph, pw, pool, n, m, ld, step, po,
                                  [&](const int16_t* rows, int64_t count, float* dst, int64_t ldo) {
                                    int16_linear_serial(rows, ld, count, w, e, b16, dst, ldo, vectorize);
                                  });
  return out;
}

}  // namespace qdse::exec
