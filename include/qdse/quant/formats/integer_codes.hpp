// Integer codes of a fixed-point ("integer") quantization: quantize(x, f) * 2^frac as
// int16, the input of the exact integer kernels (exec/int_gemm.hpp).
//
// The codes are exactly the integers the float emulation multiplies: quantize()
// returns code * 2^-frac and scaling by a power of two is exact. The fast path fuses
// MASE's op order (x * 2^f in float32, round half to even, clamp) into one pass;
// other rounding/overflow modes go through quantize() and read the codes back.
// Thread-safety: pure functions.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>

#include "qdse/quant/formats/format.hpp"

namespace qdse::quant {

// True when every code of the format fits int16.
bool integer_codes_fit_int16(const IntegerFormat& f);

// x: float32 [N, K]. Returns kShort [N, cols] (cols >= K; columns K.. are zero), or an
// undefined tensor when some element of x is NaN (it has no code) or the format's
// codes do not fit int16. `out`, if defined, is the contiguous kShort [N, cols]
// tensor to write into.
at::Tensor integer_codes(const at::Tensor& x, const IntegerFormat& f, int64_t cols, at::Tensor out = {});

}  // namespace qdse::quant
