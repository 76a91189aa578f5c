// The 8-bit fast path of the integer convolution (exec/int_conv2d.hpp): when every
// weight code and every input code of a layer fits int8 (8-bit formats, the common
// case), the sums are computed with AVX512-VNNI vpdpbusd, four multiply-adds per lane
// and instruction against vpdpwssd's two, on half the bytes.
//
// vpdpbusd multiplies unsigned bytes by signed bytes, so the data codes a (int8) are
// stored as u = a + 128 and the kernel subtracts 128 * sum_k w[m, k] per output:
// sum_k u_k w_k - 128 sum_k w_k = sum_k a_k w_k. vpdpbusd does not saturate (wraps
// modulo 2^32), so this is exact whenever the true sum fits int32, which the
// exactness bound already guarantees (|sum| <= 2^30).
// Thread-safety: PackedInt8 is immutable after construction; functions are reentrant.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "qdse/exec/int_gemm.hpp"

namespace qdse::exec {

// Weights as signed bytes for int8_linear_serial: column blocks of 16 outputs, K in
// quads (k .. k + 3 in one int32 word per output), zero padded; and 128 * the row sums.
struct PackedInt8 {
  int64_t m = 0, k = 0, quads = 0, blocks = 0;
  std::vector<int32_t> words;     // [blocks, quads, 16]
  std::vector<int32_t> offset;    // [blocks * 16]: 128 * sum_k w[j, k] (0 past M)
};

// True when this machine runs the 8-bit tile (AVX512-VNNI).
bool int8_gemm_available();
// Repacks int16-packed weights as bytes; nullopt when a code is outside [-128, 127].
std::optional<PackedInt8> pack_int8(const PackedInt16& w);
// Row stride in bytes of int8_linear_serial's rows for depth k: whole quads.
inline int64_t int8_row_bytes(int64_t k) { return (k + 3) / 4 * 4; }

// int16_linear_serial on 8-bit codes: `a` rows of u = code + 128 (uint8, row stride lda
// bytes, int8_row_bytes(K) read per row; the padding bytes meet zero weights), out rows
// [0, n) at row stride ldo. Needs int8_gemm_available().
void int8_linear_serial(const uint8_t* a, int64_t lda, int64_t n, const PackedInt8& w, const IntEpilogue& e,
                        const float* bias16, float* out, int64_t ldo);

}  // namespace qdse::exec
