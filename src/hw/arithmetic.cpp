#include "qdse/hw/arithmetic.hpp"

#include <algorithm>
#include <string>

#include "qdse/core/error.hpp"

namespace qdse::hw {

int ceil_log2(int64_t n) {
  if (n < 1) throw Error(ErrorKind::InvalidArgument, "ceil_log2 needs n >= 1, got " + std::to_string(n));
  int levels = 0;
  for (int64_t reach = 1; reach < n; reach *= 2) ++levels;
  return levels;
}

namespace {

// Slices along one operand: 1 when it fits the port, else one per (port - 1) bits beyond
// the signed top part (see the header).
int64_t slices_along(int width, int port) {
  if (width <= port) return 1;
  return (width - 1 + port - 2) / (port - 1);
}

}  // namespace

int64_t dsp_slices_per_product(int a_width, int b_width, const DspSlice& slice) {
  if (a_width < 1 || b_width < 1)
    throw Error(ErrorKind::InvalidArgument, "a product needs widths >= 1, got " + std::to_string(a_width) +
                                                " x " + std::to_string(b_width));
  if (slice.a_width < 2 || slice.b_width < 2)
    throw Error(ErrorKind::InvalidArgument, "DSP slice `" + slice.name + "` has no multiplier width");
  const int64_t one_way = slices_along(a_width, slice.a_width) * slices_along(b_width, slice.b_width);
  const int64_t other_way = slices_along(b_width, slice.a_width) * slices_along(a_width, slice.b_width);
  return std::min(one_way, other_way);
}

int64_t lut_multiplier_luts(int weight_width, int data_width) {
  const int64_t bits = int64_t{weight_width} + data_width;
  return (2 * ((bits + 5) / 6) - 1) * bits;
}

FixedType hls4ml_auto_accumulator(const FixedType& data, const FixedType& weight,
                                  const std::optional<FixedType>& bias, int64_t n_ops) {
  const int growth = ceil_log2(std::max<int64_t>(n_ops, 1));
  int width = weight.width + data.width + growth;
  int integer = weight.integer + data.integer + growth;
  bool is_signed = weight.is_signed || data.is_signed;
  if (bias) {
    const int frac = width - integer;
    // One more integer bit for the addition; a sign bit where only one side is signed.
    integer = std::max(integer + (bias->is_signed && !is_signed ? 1 : 0),
                       bias->integer + (is_signed && !bias->is_signed ? 1 : 0)) +
              1;
    width = integer + std::max(frac, bias->width - bias->integer);
    is_signed = is_signed || bias->is_signed;
  }
  return FixedType{width, integer, is_signed};
}

}  // namespace qdse::hw
