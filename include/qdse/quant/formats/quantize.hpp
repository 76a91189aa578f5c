// Applying a Format to a tensor: fast path, straight-through path, reference path.
//
// quantize()     libtorch tensor ops; float32 in -> float32 out, float64 -> float64;
//                never records autograd history. This is what evaluation runs.
// quantize_ste() the same forward values, with a straight-through-estimator
//                gradient for fine-tuning (identity, or clipped to the range).
// quantize_ref() plain loops over values in double precision, written to be
//                obviously correct; tests check quantize() equals it exactly.
// The format is not validated here (callers validate once at config time); an
// invalid format trips QDSE_ASSERT or throws InvalidArgument.
// Thread-safety: pure functions; safe to call concurrently on distinct tensors.
#pragma once

#include <ATen/core/Tensor.h>

#include "qdse/quant/formats/format.hpp"

namespace qdse::quant {

at::Tensor quantize(const at::Tensor& x, const Format& format);
at::Tensor quantize_ref(const at::Tensor& x, const Format& format);

enum class SteGradient {
  Identity,  // d q(x)/dx := 1 everywhere (MASE's STE)
  Clipped,   // 1 inside the representable range, 0 outside (integer, minifloat only)
};
at::Tensor quantize_ste(const at::Tensor& x, const Format& format,
                           SteGradient gradient = SteGradient::Identity);

// Representable closed range [lo, hi] of values, used by the clipped STE; defined
// for integer and minifloat (throws InvalidArgument otherwise).
struct ValueRange {
  double lo;
  double hi;
};
ValueRange representable_range(const Format& format);

// True when a and b have the same shape, dtype and values, where NaN equals NaN
// and +0 equals -0 (the sign of a zero result is not part of the contract).
bool same_values(const at::Tensor& a, const at::Tensor& b);

}  // namespace qdse::quant
