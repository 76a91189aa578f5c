// Exact int16 x int16 -> int32 GEMM (see int_gemm.hpp, int16_tiles.hpp): packing,
// register tiles with runtime dispatch (AVX512-VNNI zmm, AVX-VNNI and AVX2 ymm), a
// portable fallback, and the float epilogue.
//
// The ymm tiles are written in assembly because GCC's allocation of 12 accumulators
// plus 4 operand registers (all 16 ymm registers) spills or copies accumulators every
// iteration, which cost a third of the throughput. The zmm tile has 32 registers for
// at most 12 accumulators and one operand, which GCC allocates without spilling.
#include "qdse/exec/int_gemm.hpp"
#include "qdse/exec/int16_tiles.hpp"
#include "qdse/exec/int8_gemm.hpp"

#include <ATen/Parallel.h>
#include <torch/types.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>
#include <vector>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define QDSE_INT_GEMM_ASM 1
#endif

#include "qdse/core/error.hpp"

namespace qdse::exec {
namespace {

constexpr int64_t kCols = 16;       // outputs per column block (two 8-lane vectors)
constexpr int kTileRows = 6;        // rows per ymm register tile: 12 accumulators
constexpr int kZmmTileRows = 12;    // rows per zmm register tile: 12 accumulators
constexpr int64_t kChunkRows = 48;  // rows whose codes stay in cache across blocks

// Writes row r of a tile (acc: 16 int32 of column block b) through the epilogue.
void store_row(const int32_t* acc, float* out_row, int64_t b, int64_t m, const IntEpilogue& e) {
  const int64_t j0 = b * kCols;
  const int64_t nj = std::min(kCols, m - j0);
  for (int64_t j = 0; j < nj; ++j) {
    float v;
    if (e.wide) {
      double d = static_cast<double>(acc[j]) * e.scale;
      if (e.bias) d += static_cast<double>(e.bias[j0 + j]);
      v = static_cast<float>(d);
    } else {
      v = static_cast<float>(acc[j]) * static_cast<float>(e.scale);
      if (e.bias) v += e.bias[j0 + j];
    }
    out_row[j0 + j] = e.relu ? std::max(v, 0.0f) : v;
  }
}

// Portable tile: the same exact int32 sums, any machine.
void tile_portable(const int16_t* a, int64_t lda, int rows, const int32_t* panel, int64_t kp, int32_t* acc) {
  for (int r = 0; r < rows; ++r) {
    int32_t* ar_acc = acc + r * kCols;
    std::fill(ar_acc, ar_acc + kCols, 0);
    const int16_t* ar = a + r * lda;
    for (int64_t p = 0; p < kp; ++p) {
      const int32_t a0 = ar[2 * p], a1 = ar[2 * p + 1];
      const int32_t* w = panel + p * kCols;
      for (int64_t j = 0; j < kCols; ++j) {
        const int16_t w0 = static_cast<int16_t>(static_cast<uint32_t>(w[j]) & 0xFFFFu);
        const int16_t w1 = static_cast<int16_t>(static_cast<uint32_t>(w[j]) >> 16);
        ar_acc[j] += a0 * w0 + a1 * w1;
      }
    }
  }
}

#ifdef QDSE_INT_GEMM_ASM
// The ymm tiles' first and last steps: zero ymm4..15; store them to acc[6][16].
#define QDSE_TILE6_ZERO_ACCUMULATORS \
  "vpxor %%xmm4, %%xmm4, %%xmm4\n\t" \
  "vpxor %%xmm5, %%xmm5, %%xmm5\n\t" \
  "vpxor %%xmm6, %%xmm6, %%xmm6\n\t" \
  "vpxor %%xmm7, %%xmm7, %%xmm7\n\t" \
  "vpxor %%xmm8, %%xmm8, %%xmm8\n\t" \
  "vpxor %%xmm9, %%xmm9, %%xmm9\n\t" \
  "vpxor %%xmm10, %%xmm10, %%xmm10\n\t" \
  "vpxor %%xmm11, %%xmm11, %%xmm11\n\t" \
  "vpxor %%xmm12, %%xmm12, %%xmm12\n\t" \
  "vpxor %%xmm13, %%xmm13, %%xmm13\n\t" \
  "vpxor %%xmm14, %%xmm14, %%xmm14\n\t" \
  "vpxor %%xmm15, %%xmm15, %%xmm15\n\t"
#define QDSE_TILE6_STORE_ACCUMULATORS \
  "vmovdqa %%ymm4, 0(%[acc])\n\t" \
  "vmovdqa %%ymm5, 32(%[acc])\n\t" \
  "vmovdqa %%ymm6, 64(%[acc])\n\t" \
  "vmovdqa %%ymm7, 96(%[acc])\n\t" \
  "vmovdqa %%ymm8, 128(%[acc])\n\t" \
  "vmovdqa %%ymm9, 160(%[acc])\n\t" \
  "vmovdqa %%ymm10, 192(%[acc])\n\t" \
  "vmovdqa %%ymm11, 224(%[acc])\n\t" \
  "vmovdqa %%ymm12, 256(%[acc])\n\t" \
  "vmovdqa %%ymm13, 288(%[acc])\n\t" \
  "vmovdqa %%ymm14, 320(%[acc])\n\t" \
  "vmovdqa %%ymm15, 352(%[acc])\n\t"
// The ymm tiles' loop over the kp code pairs: zero the accumulators, load the panel pair
// (ymm0/1) each step; advance, count down, store, leave the upper halves clean.
#define QDSE_TILE6_LOOP_BEGIN \
  QDSE_TILE6_ZERO_ACCUMULATORS \
  "test %[kp], %[kp]\n\t" \
  "jle 2f\n\t" \
  "1:\n\t" \
  "vmovdqa (%[b]), %%ymm0\n\t" \
  "vmovdqa 32(%[b]), %%ymm1\n\t"
#define QDSE_TILE6_LOOP_END \
  "add $4, %[a0]\n\t" \
  "add $4, %[a3]\n\t" \
  "add $64, %[b]\n\t" \
  "dec %[kp]\n\t" \
  "jnz 1b\n\t" \
  "2:\n\t" \
  QDSE_TILE6_STORE_ACCUMULATORS \
  "vzeroupper\n\t"

// acc[6][16] (32-byte aligned) = sum over kp pairs of rows a .. a + 5 * lda against the
// panel. ymm4..15 accumulate, ymm0/1 hold the panel pair, ymm2 a broadcast row pair.
void tile6_asm(const int16_t* a, int64_t lda_bytes, const int32_t* panel, int64_t kp, int32_t* acc) {
  const int16_t* a3 = reinterpret_cast<const int16_t*>(reinterpret_cast<const char*>(a) + 3 * lda_bytes);
  asm volatile(
      QDSE_TILE6_LOOP_BEGIN
      "vpbroadcastd (%[a0]), %%ymm2\n\t"
      "vpmaddwd %%ymm0, %%ymm2, %%ymm3\n\t"
      "vpaddd %%ymm3, %%ymm4, %%ymm4\n\t"
      "vpmaddwd %%ymm1, %%ymm2, %%ymm3\n\t"
      "vpaddd %%ymm3, %%ymm5, %%ymm5\n\t"
      "vpbroadcastd (%[a0],%[lda],1), %%ymm2\n\t"
      "vpmaddwd %%ymm0, %%ymm2, %%ymm3\n\t"
      "vpaddd %%ymm3, %%ymm6, %%ymm6\n\t"
      "vpmaddwd %%ymm1, %%ymm2, %%ymm3\n\t"
      "vpaddd %%ymm3, %%ymm7, %%ymm7\n\t"
      "vpbroadcastd (%[a0],%[lda],2), %%ymm2\n\t"
      "vpmaddwd %%ymm0, %%ymm2, %%ymm3\n\t"
      "vpaddd %%ymm3, %%ymm8, %%ymm8\n\t"
      "vpmaddwd %%ymm1, %%ymm2, %%ymm3\n\t"
      "vpaddd %%ymm3, %%ymm9, %%ymm9\n\t"
      "vpbroadcastd (%[a3]), %%ymm2\n\t"
      "vpmaddwd %%ymm0, %%ymm2, %%ymm3\n\t"
      "vpaddd %%ymm3, %%ymm10, %%ymm10\n\t"
      "vpmaddwd %%ymm1, %%ymm2, %%ymm3\n\t"
      "vpaddd %%ymm3, %%ymm11, %%ymm11\n\t"
      "vpbroadcastd (%[a3],%[lda],1), %%ymm2\n\t"
      "vpmaddwd %%ymm0, %%ymm2, %%ymm3\n\t"
      "vpaddd %%ymm3, %%ymm12, %%ymm12\n\t"
      "vpmaddwd %%ymm1, %%ymm2, %%ymm3\n\t"
      "vpaddd %%ymm3, %%ymm13, %%ymm13\n\t"
      "vpbroadcastd (%[a3],%[lda],2), %%ymm2\n\t"
      "vpmaddwd %%ymm0, %%ymm2, %%ymm3\n\t"
      "vpaddd %%ymm3, %%ymm14, %%ymm14\n\t"
      "vpmaddwd %%ymm1, %%ymm2, %%ymm3\n\t"
      "vpaddd %%ymm3, %%ymm15, %%ymm15\n\t"
      QDSE_TILE6_LOOP_END
      : [a0] "+r"(a), [a3] "+r"(a3), [b] "+r"(panel), [kp] "+r"(kp)
      : [lda] "r"(lda_bytes), [acc] "r"(acc)
      : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
        "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "memory", "cc");
}

// tile6_asm with AVX-VNNI: one {vex} vpdpwssd (multiply pairs, add to the int32
// accumulator, wrapping) per accumulator and step instead of vpmaddwd + vpaddd, so
// ymm3 is not needed. The {vex} prefix selects the AVX-VNNI encoding, which runs
// without AVX-512.
void tile6_avx_vnni_asm(const int16_t* a, int64_t lda_bytes, const int32_t* panel, int64_t kp, int32_t* acc) {
  const int16_t* a3 = reinterpret_cast<const int16_t*>(reinterpret_cast<const char*>(a) + 3 * lda_bytes);
  asm volatile(
      QDSE_TILE6_LOOP_BEGIN
      "vpbroadcastd (%[a0]), %%ymm2\n\t"
      "%{vex%} vpdpwssd %%ymm0, %%ymm2, %%ymm4\n\t"
      "%{vex%} vpdpwssd %%ymm1, %%ymm2, %%ymm5\n\t"
      "vpbroadcastd (%[a0],%[lda],1), %%ymm2\n\t"
      "%{vex%} vpdpwssd %%ymm0, %%ymm2, %%ymm6\n\t"
      "%{vex%} vpdpwssd %%ymm1, %%ymm2, %%ymm7\n\t"
      "vpbroadcastd (%[a0],%[lda],2), %%ymm2\n\t"
      "%{vex%} vpdpwssd %%ymm0, %%ymm2, %%ymm8\n\t"
      "%{vex%} vpdpwssd %%ymm1, %%ymm2, %%ymm9\n\t"
      "vpbroadcastd (%[a3]), %%ymm2\n\t"
      "%{vex%} vpdpwssd %%ymm0, %%ymm2, %%ymm10\n\t"
      "%{vex%} vpdpwssd %%ymm1, %%ymm2, %%ymm11\n\t"
      "vpbroadcastd (%[a3],%[lda],1), %%ymm2\n\t"
      "%{vex%} vpdpwssd %%ymm0, %%ymm2, %%ymm12\n\t"
      "%{vex%} vpdpwssd %%ymm1, %%ymm2, %%ymm13\n\t"
      "vpbroadcastd (%[a3],%[lda],2), %%ymm2\n\t"
      "%{vex%} vpdpwssd %%ymm0, %%ymm2, %%ymm14\n\t"
      "%{vex%} vpdpwssd %%ymm1, %%ymm2, %%ymm15\n\t"
      QDSE_TILE6_LOOP_END
      : [a0] "+r"(a), [a3] "+r"(a3), [b] "+r"(panel), [kp] "+r"(kp)
      : [lda] "r"(lda_bytes), [acc] "r"(acc)
      : "xmm0", "xmm1", "xmm2", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12",
        "xmm13", "xmm14", "xmm15", "memory", "cc");
}

// acc[R][16] (64-byte aligned) = sum over kp pairs of rows a .. a + (R - 1) * lda against
// the panel, with AVX512-VNNI: per step one panel load and, per row, one vpdpwssd whose
// code pair GCC broadcasts from memory ({1to16}). R = 1 .. kZmmTileRows, so ragged row
// counts run vectorized too.
template <int R>
__attribute__((target("avx512f,avx512bw,avx512vnni"))) void tile_zmm_rows(const int16_t* a, int64_t lda,
                                                                          const int32_t* panel, int64_t kp,
                                                                          int32_t* acc) {
  __m512i c[R];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) c[r] = _mm512_setzero_si512();
  for (int64_t p = 0; p < kp; ++p) {
    const __m512i w = _mm512_load_si512(panel + p * kCols);
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      int32_t pair;
      std::memcpy(&pair, a + r * lda + 2 * p, sizeof pair);
      c[r] = _mm512_dpwssd_epi32(c[r], _mm512_set1_epi32(pair), w);
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) _mm512_store_si512(acc + r * kCols, c[r]);
}

using ZmmTileFn = void (*)(const int16_t*, int64_t, const int32_t*, int64_t, int32_t*);

template <std::size_t... I>
constexpr std::array<ZmmTileFn, sizeof...(I)> zmm_tile_table(std::index_sequence<I...>) {
  return {&tile_zmm_rows<static_cast<int>(I) + 1>...};
}
// kZmmTiles[r - 1]: the tile of r rows.
constexpr std::array<ZmmTileFn, kZmmTileRows> kZmmTiles =
    zmm_tile_table(std::make_index_sequence<kZmmTileRows>());

// The 8-bit tile (int8_gemm.hpp): acc[R][16] = sum over `quads` steps of rows a ..
// a + (R - 1) * lda (bytes u = code + 128) against the panel (signed bytes), minus the
// block's offsets 128 * sum_k w. vpdpbusd: four u8 x s8 products added to each int32
// lane, wrapping like the subtraction, so the difference is exact.
template <int R>
__attribute__((target("avx512f,avx512bw,avx512vnni"))) void tile8_zmm_rows(const uint8_t* a, int64_t lda,
                                                                           const int32_t* panel, int64_t quads,
                                                                           const int32_t* offset16, int32_t* acc) {
  __m512i c[R];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) c[r] = _mm512_setzero_si512();
  for (int64_t q = 0; q < quads; ++q) {
    const __m512i w = _mm512_loadu_si512(panel + q * kCols);
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      int32_t quad;
      std::memcpy(&quad, a + r * lda + 4 * q, sizeof quad);
      c[r] = _mm512_dpbusd_epi32(c[r], _mm512_set1_epi32(quad), w);
    }
  }
  const __m512i off = _mm512_loadu_si512(offset16);
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) _mm512_store_si512(acc + r * kCols, _mm512_sub_epi32(c[r], off));
}

using Zmm8TileFn = void (*)(const uint8_t*, int64_t, const int32_t*, int64_t, const int32_t*, int32_t*);

template <std::size_t... I>
constexpr std::array<Zmm8TileFn, sizeof...(I)> zmm8_tile_table(std::index_sequence<I...>) {
  return {&tile8_zmm_rows<static_cast<int>(I) + 1>...};
}
constexpr std::array<Zmm8TileFn, kZmmTileRows> kZmm8Tiles =
    zmm8_tile_table(std::make_index_sequence<kZmmTileRows>());

// Float epilogue of the first nj (<= 16) columns of block b, 8 lanes at a time; a
// ragged last block goes through a staging row (bias: the caller's padded copy).
__attribute__((target("avx2"))) void store_rows_avx2(const int32_t* acc, int rows, float* out, int64_t ldo,
                                                     int64_t b, int64_t nj, const float* bias16,
                                                     const IntEpilogue& e) {
  const __m256 s = _mm256_set1_ps(static_cast<float>(e.scale));
  const __m256 zero = _mm256_setzero_ps();
  alignas(32) float stage[kCols];
  for (int r = 0; r < rows; ++r) {
    float* dst = nj == kCols ? out + r * ldo + b * kCols : stage;
    for (int h = 0; h < 2; ++h) {
      __m256 v = _mm256_mul_ps(
          _mm256_cvtepi32_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(acc + r * kCols + 8 * h))), s);
      if (bias16) v = _mm256_add_ps(v, _mm256_loadu_ps(bias16 + 8 * h));
      if (e.relu) v = _mm256_max_ps(zero, v);
      _mm256_storeu_ps(dst + 8 * h, v);
    }
    if (nj != kCols) std::memcpy(out + r * ldo + b * kCols, stage, static_cast<std::size_t>(nj) * sizeof(float));
  }
}
#endif

std::vector<Int16Tile> detect_int16_tiles() {
  std::vector<Int16Tile> tiles = {Int16Tile::portable};
#ifdef QDSE_INT_GEMM_ASM
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2")) tiles.push_back(Int16Tile::avx2);
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("avxvnni")) tiles.push_back(Int16Tile::avx_vnni);
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vnni"))
    tiles.push_back(Int16Tile::avx512_vnni);
#endif
  return tiles;
}

}  // namespace

int64_t padded_depth(int64_t k) { return (k + 1) / 2 * 2; }

std::vector<Int16Tile> int16_tiles_available() {
  static const std::vector<Int16Tile> tiles = detect_int16_tiles();
  return tiles;
}

Int16Tile int16_tile_best() {
  static const Int16Tile best = int16_tiles_available().back();
  return best;
}

const char* int16_tile_name(Int16Tile t) {
  switch (t) {
    case Int16Tile::portable: return "portable";
    case Int16Tile::avx2: return "avx2";
    case Int16Tile::avx_vnni: return "avx_vnni";
    case Int16Tile::avx512_vnni: return "avx512_vnni";
  }
  return "?";
}

int64_t int16_tile_row_multiple(Int16Tile t) {
  return t == Int16Tile::avx2 || t == Int16Tile::avx_vnni ? kTileRows : 1;
}

bool int16_linear_vectorized() { return int16_tile_best() != Int16Tile::portable; }

PackedInt16::PackedInt16(const at::Tensor& codes) {
  QDSE_ASSERT(codes.dim() == 2 && codes.scalar_type() == at::kShort, "PackedInt16: expects int16 [M, K]");
  const at::Tensor c = codes.contiguous();
  m_ = c.size(0);
  k_ = c.size(1);
  kp_ = (k_ + 1) / 2;
  blocks_ = (m_ + kCols - 1) / kCols;
  // libtorch's CPU allocations are 64-byte aligned and a pair row is 64 bytes, so
  // every aligned load in the kernel is aligned.
  packed_ = torch::zeros({std::max<int64_t>(blocks_, 1), std::max<int64_t>(kp_, 1), kCols}, torch::kInt);
  const int16_t* src = c.data_ptr<int16_t>();
  int32_t* dst = packed_.data_ptr<int32_t>();
  for (int64_t j = 0; j < m_; ++j) {
    const int64_t b = j / kCols, lane = j % kCols;
    for (int64_t k = 0; k < k_; ++k) {
      const uint32_t v = static_cast<uint16_t>(src[j * k_ + k]);
      uint32_t word = static_cast<uint32_t>(dst[(b * kp_ + k / 2) * kCols + lane]);
      word |= (k % 2 == 0) ? v : (v << 16);
      dst[(b * kp_ + k / 2) * kCols + lane] = static_cast<int32_t>(word);
    }
  }
}

int64_t PackedInt16::bytes() const { return packed_.defined() ? static_cast<int64_t>(packed_.nbytes()) : 0; }

const int32_t* PackedInt16::block(int64_t b) const { return packed_.data_ptr<int32_t>() + b * kp_ * kCols; }

std::vector<float> padded_bias(const float* bias, int64_t m) {
  std::vector<float> padded;
  if (bias) {
    padded.assign(static_cast<std::size_t>((m + kCols - 1) / kCols * kCols), 0.0f);
    std::copy(bias, bias + m, padded.begin());
  }
  return padded;
}

void int16_linear_serial_with(const int16_t* a, int64_t lda, int64_t n, const PackedInt16& w, const IntEpilogue& e,
                              const float* bias16, float* out, int64_t ldo, Int16Tile tile) {
  const int64_t m = w.outputs(), kp = w.pairs();
  const int64_t blocks = (m + kCols - 1) / kCols;
  const int64_t tile_rows = tile == Int16Tile::avx512_vnni ? kZmmTileRows : kTileRows;
  alignas(64) int32_t acc[kZmmTileRows * kCols];
  for (int64_t b = 0; b < blocks; ++b) {
    const int32_t* panel = w.block(b);
    [[maybe_unused]] const int64_t nj = std::min(kCols, m - b * kCols);
    [[maybe_unused]] const float* b16 = bias16 ? bias16 + b * kCols : nullptr;
    for (int64_t r = 0; r < n; r += tile_rows) {
      const int rows = static_cast<int>(std::min<int64_t>(tile_rows, n - r));
      bool vector_tile = false;
#ifdef QDSE_INT_GEMM_ASM
      if (tile == Int16Tile::avx512_vnni) {
        kZmmTiles[static_cast<std::size_t>(rows - 1)](a + r * lda, lda, panel, kp, acc);
        vector_tile = true;
      } else if (tile != Int16Tile::portable && rows == kTileRows) {
        const int64_t lda_bytes = lda * static_cast<int64_t>(sizeof(int16_t));
        if (tile == Int16Tile::avx_vnni) tile6_avx_vnni_asm(a + r * lda, lda_bytes, panel, kp, acc);
        else tile6_asm(a + r * lda, lda_bytes, panel, kp, acc);
        vector_tile = true;
      }
      if (vector_tile && !e.wide) {
        store_rows_avx2(acc, rows, out + r * ldo, ldo, b, nj, b16, e);
        continue;
      }
#endif
      if (!vector_tile) tile_portable(a + r * lda, lda, rows, panel, kp, acc);
      for (int i = 0; i < rows; ++i) store_row(acc + i * kCols, out + (r + i) * ldo, b, m, e);
    }
  }
}

void int16_linear_serial(const int16_t* a, int64_t lda, int64_t n, const PackedInt16& w, const IntEpilogue& e,
                         const float* bias16, float* out, int64_t ldo, bool vectorize) {
  int16_linear_serial_with(a, lda, n, w, e, bias16, out, ldo, vectorize ? int16_tile_best() : Int16Tile::portable);
}

bool int8_gemm_available() { return int16_tile_best() == Int16Tile::avx512_vnni; }

std::optional<PackedInt8> pack_int8(const PackedInt16& w) {
  PackedInt8 p;
  p.m = w.outputs();
  p.k = w.depth();
  p.quads = (p.k + 3) / 4;
  p.blocks = (p.m + kCols - 1) / kCols;
  const int64_t kp = w.pairs();
  p.words.assign(static_cast<std::size_t>(p.blocks * p.quads * kCols), 0);
  p.offset.assign(static_cast<std::size_t>(p.blocks * kCols), 0);
  for (int64_t b = 0; b < p.blocks; ++b) {
    const int32_t* src = w.block(b);
    for (int64_t pi = 0; pi < kp; ++pi) {
      for (int64_t lane = 0; lane < kCols; ++lane) {
        const uint32_t word = static_cast<uint32_t>(src[pi * kCols + lane]);
        const int16_t lo = static_cast<int16_t>(word & 0xFFFFu), hi = static_cast<int16_t>(word >> 16);
        if (lo < -128 || lo > 127 || hi < -128 || hi > 127) return std::nullopt;
        const uint32_t bytes = static_cast<uint32_t>(static_cast<uint8_t>(lo)) |
                               (static_cast<uint32_t>(static_cast<uint8_t>(hi)) << 8);
        int32_t& dst = p.words[static_cast<std::size_t>((b * p.quads + pi / 2) * kCols + lane)];
        dst = static_cast<int32_t>(static_cast<uint32_t>(dst) | (bytes << (pi % 2 * 16)));
        p.offset[static_cast<std::size_t>(b * kCols + lane)] += 128 * (lo + hi);
      }
    }
  }
  return p;
}

void int8_linear_serial(const uint8_t* a, int64_t lda, int64_t n, const PackedInt8& w, const IntEpilogue& e,
                        const float* bias16, float* out, int64_t ldo) {
  QDSE_ASSERT(int8_gemm_available(), "int8_linear_serial: this machine has no AVX512-VNNI");
#ifdef QDSE_INT_GEMM_ASM
  alignas(64) int32_t acc[kZmmTileRows * kCols];
  for (int64_t b = 0; b < w.blocks; ++b) {
    const int32_t* panel = w.words.data() + b * w.quads * kCols;
    const int32_t* offset16 = w.offset.data() + b * kCols;
    const int64_t nj = std::min(kCols, w.m - b * kCols);
    const float* b16 = bias16 ? bias16 + b * kCols : nullptr;
    for (int64_t r = 0; r < n; r += kZmmTileRows) {
      const int rows = static_cast<int>(std::min<int64_t>(kZmmTileRows, n - r));
      kZmm8Tiles[static_cast<std::size_t>(rows - 1)](a + r * lda, lda, panel, w.quads, offset16, acc);
      if (!e.wide) {
        store_rows_avx2(acc, rows, out + r * ldo, ldo, b, nj, b16, e);
      } else {
        for (int i = 0; i < rows; ++i) store_row(acc + i * kCols, out + (r + i) * ldo, b, w.m, e);
      }
    }
  }
#else
  (void)a, (void)lda, (void)n, (void)w, (void)e, (void)bias16, (void)out, (void)ldo;
#endif
}

at::Tensor int16_linear(const at::Tensor& a, const PackedInt16& w, const IntEpilogue& e, at::Tensor out,
                        bool vectorize) {
  return int16_linear_with(a, w, e, vectorize ? int16_tile_best() : Int16Tile::portable, std::move(out));
}

at::Tensor int16_linear_with(const at::Tensor& a, const PackedInt16& w, const IntEpilogue& e, Int16Tile tile,
                             at::Tensor out) {
  const std::vector<Int16Tile> tiles = int16_tiles_available();
  QDSE_ASSERT(std::find(tiles.begin(), tiles.end(), tile) != tiles.end(),
              std::string("int16_linear: this machine cannot run the ") + int16_tile_name(tile) + " tile");
  QDSE_ASSERT(a.dim() == 2 && a.scalar_type() == at::kShort && a.is_contiguous(),
              "int16_linear: data codes must be contiguous int16 [N, K]");
  QDSE_ASSERT(a.size(1) == 2 * w.pairs(), "int16_linear: data codes must have padded_depth(K) columns");
  const int64_t n = a.size(0), m = w.outputs(), lda = a.size(1);
  if (!out.defined()) out = torch::empty({n, m}, torch::kFloat);
  QDSE_ASSERT(out.scalar_type() == at::kFloat && out.is_contiguous() && out.size(0) == n && out.size(1) == m,
              "int16_linear: out must be contiguous float32 [N, M]");
  if (n == 0 || m == 0) return out;
  const int16_t* pa = a.data_ptr<int16_t>();
  float* po = out.data_ptr<float>();
  const int64_t chunks = (n + kChunkRows - 1) / kChunkRows;
  const std::vector<float> bias_padded = padded_bias(e.bias, m);
  at::parallel_for(0, chunks, 1, [&](int64_t c_begin, int64_t c_end) {
    for (int64_t c = c_begin; c < c_end; ++c) {
      const int64_t r_begin = c * kChunkRows, r_end = std::min(n, r_begin + kChunkRows);
      int16_linear_serial_with(pa + r_begin * lda, lda, r_end - r_begin, w, e,
                               e.bias ? bias_padded.data() : nullptr, po + r_begin * m, m, tile);
    }
  });
  return out;
}

}  // namespace qdse::exec
