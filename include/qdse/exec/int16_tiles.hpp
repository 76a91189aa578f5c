// The register tiles behind int16_linear (int_gemm.hpp), named, so that tests and
// benchmarks can run each one this machine supports against the portable loop.
//
// Every tile computes the same exact int32 sums (wrapping arithmetic, no saturation):
//  - portable: plain C++, any machine;
//  - avx2: 6 rows x 16 outputs in ymm registers, vpmaddwd + vpaddd;
//  - avx_vnni: the same tile with one {vex} vpdpwssd per step (AVX-VNNI, e.g. Alder Lake);
//  - avx512_vnni: up to 12 rows x 16 outputs, one zmm accumulator per row, vpdpwssd with
//    an embedded broadcast of the row's code pair (AVX512-VNNI, e.g. Ice Lake, Sapphire
//    Rapids: about 2.5x the avx2 tile's multiply-adds per cycle).
// vpdpwssd (never vpdpwssds, which saturates) adds both int16 products to the int32
// accumulator modulo 2^32, exactly what vpmaddwd followed by vpaddd does.
// int16_linear picks int16_tile_best() at run time (__builtin_cpu_supports, which also
// checks that the OS saves the registers); the binary needs no -march flag.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "qdse/exec/int_gemm.hpp"

namespace qdse::exec {

enum class Int16Tile { portable, avx2, avx_vnni, avx512_vnni };

const char* int16_tile_name(Int16Tile t);
// The tiles this machine runs, portable first.
std::vector<Int16Tile> int16_tiles_available();
// What int16_linear(..., vectorize = true) uses: the last of int16_tiles_available().
Int16Tile int16_tile_best();

// Row counts that a tile runs vectorized are multiples of this (6 for the ymm tiles,
// whose ragged rows take the portable loop; 1 for avx512_vnni and portable); at most 6.
int64_t int16_tile_row_multiple(Int16Tile t);

// int16_linear / int16_linear_serial with a given tile (one of int16_tiles_available()).
at::Tensor int16_linear_with(const at::Tensor& a, const PackedInt16& w, const IntEpilogue& e, Int16Tile tile,
                             at::Tensor out = {});
void int16_linear_serial_with(const int16_t* a, int64_t lda, int64_t n, const PackedInt16& w, const IntEpilogue& e,
                              const float* bias16, float* out, int64_t ldo, Int16Tile tile);

}  // namespace qdse::exec
