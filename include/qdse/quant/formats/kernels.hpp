// Per-format entry points behind quantize() / quantize_ref() (quantize.hpp).
//
// One fast (tensor ops) and one reference (loops) function per format, each in its
// own .cpp. Callers normally use quantize(), which reaches them through the format's
// row in format_traits.cpp; tests may call one format directly. Inputs are float32 or float64
// and contiguity is handled inside. Thread-safety: pure functions.
#pragma once

#include <ATen/core/Tensor.h>

#include "qdse/quant/formats/format.hpp"

namespace qdse::quant::detail {

at::Tensor quantize_integer(const at::Tensor& x, const IntegerFormat& f);
at::Tensor quantize_integer_ref(const at::Tensor& x, const IntegerFormat& f);
at::Tensor quantize_minifloat(const at::Tensor& x, const MinifloatFormat& f);
at::Tensor quantize_minifloat_ref(const at::Tensor& x, const MinifloatFormat& f);
at::Tensor quantize_block_fp(const at::Tensor& x, const BlockFpFormat& f);
at::Tensor quantize_block_fp_ref(const at::Tensor& x, const BlockFpFormat& f);
at::Tensor quantize_log(const at::Tensor& x, const LogFormat& f);
at::Tensor quantize_log_ref(const at::Tensor& x, const LogFormat& f);
at::Tensor quantize_binary(const at::Tensor& x, const BinaryFormat& f);
at::Tensor quantize_binary_ref(const at::Tensor& x, const BinaryFormat& f);
at::Tensor quantize_ternary(const at::Tensor& x, const TernaryFormat& f);
at::Tensor quantize_ternary_ref(const at::Tensor& x, const TernaryFormat& f);

// Shared by the fast paths: floor(log2|x|) of each element of a float64 tensor,
// read from the IEEE exponent field (exact, unlike log2). Zero/subnormal inputs
// give -1023, Inf/NaN give 1024; callers clamp to their exponent range.
at::Tensor floor_log2_abs(const at::Tensor& x64);
// 2^e for an int64 tensor e in [-1022, 1023], built from the exponent field.
at::Tensor exp2_int(const at::Tensor& e);

}  // namespace qdse::quant::detail
