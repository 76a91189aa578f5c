// Exact exponent helpers shared by the floating-style fast paths.
//
// log2/exp2 on tensors are approximations (and vectorized versions differ from
// libm), which would make the fast path disagree with the reference at binade
// edges. Reading and writing the IEEE-754 exponent field of float64 is exact.
#include <torch/types.h>

#include "qdse/quant/formats/kernels.hpp"

namespace qdse::quant::detail {

namespace {
constexpr int64_t kExponentMask = 0x7ff;
constexpr int64_t kDoubleBias = 1023;
constexpr int64_t kMantissaBits = 52;
}  // namespace

torch::Tensor floor_log2_abs(const torch::Tensor& x64) {
  TORCH_CHECK(x64.scalar_type() == torch::kDouble, "floor_log2_abs expects float64");
  torch::Tensor bits = x64.view(torch::kLong);
  return bits.bitwise_right_shift(kMantissaBits).bitwise_and_(kExponentMask).sub_(kDoubleBias);
}

torch::Tensor exp2_int(const torch::Tensor& e) {
  return e.add(kDoubleBias).bitwise_left_shift_(kMantissaBits).view(torch::kDouble);
}

}  // namespace qdse::quant::detail
