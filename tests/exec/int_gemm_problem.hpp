// A random int16 GEMM problem for the int16 GEMM tests: codes in [-range, range), the
// rows zero padded to padded_depth(K) as int16_linear reads them, weights packed, a bias
// on a 1/8 grid; and the epilogue the tests vary.
#pragma once

#include <torch/types.h>

#include <cstdint>

#include "qdse/exec/int_gemm.hpp"

namespace qdse::testing {

using exec::IntEpilogue;
using exec::PackedInt16;
using exec::padded_depth;

struct RandomInt16Gemm {
  at::Tensor codes;  // [N, K]
  at::Tensor a;      // [N, padded_depth(K)]
  at::Tensor w;      // [M, K]
  at::Tensor bias;   // [M] float
  PackedInt16 packed;

  RandomInt16Gemm(int64_t n, int64_t k, int64_t m, at::Generator& gen, int64_t range = 128)
      : codes(torch::randint(-range, range, {n, k}, gen, torch::kShort)),
        a(torch::zeros({n, padded_depth(k)}, torch::kShort)),
        w(torch::randint(-range, range, {m, k}, gen, torch::kShort)),
        bias(torch::randint(-64, 64, {m}, gen, torch::kFloat) / 8),
        packed(w) {
    a.narrow(1, 0, k).copy_(codes);
  }
};

inline IntEpilogue gemm_test_epilogue(double scale, bool wide, const float* bias, bool relu = false) {
  return IntEpilogue{.scale = scale, .bias = bias, .wide = wide, .relu = relu};
}

}  // namespace qdse::testing
