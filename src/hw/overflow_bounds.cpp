// Interval bounds of a fixed-point dot-product layer (see overflow_bounds.hpp).
#include "qdse/hw/overflow_bounds.hpp"

#include <algorithm>

#include "qdse/core/error.hpp"

namespace qdse::hw {
namespace {

// 128-bit sums: n_in (< 2^31) products of two codes below 2^31 cannot overflow them, so a
// bound too wide for int64 is reported instead of wrapping silently.
using OverflowWideInt = __int128;

[[noreturn]] void overflow_bound_error(const std::string& layer, const std::string& what) {
  throw Error(ErrorKind::InvalidArgument, "overflow bound of layer '" + layer + "': " + what);
}

}  // namespace

CodeRange fixed_code_range(int width, int frac, bool is_signed) {
  CodeRange r;
  r.frac = frac;
  if (is_signed) {
    r.lo = -(int64_t{1} << (width - 1));
    r.hi = (int64_t{1} << (width - 1)) - 1;
  } else {
    r.lo = 0;
    r.hi = (int64_t{1} << width) - 1;
  }
  return r;
}

int signed_width_for(int64_t lo, int64_t hi) {
  int w = 1;  // a 1-bit signed type holds [-1, 0]
  while (lo < -(int64_t{1} << (w - 1)) || hi > (int64_t{1} << (w - 1)) - 1) ++w;
  return w;
}

AccumulatorBound dense_accumulator_bound(const std::string& layer, const std::vector<int64_t>& weight_codes,
                                         int64_t n_out, int64_t n_in, int weight_frac,
                                         const std::vector<int64_t>& bias_codes, int bias_frac,
                                         const CodeRange& input) {
  if (n_out < 1 || n_in < 1 || static_cast<int64_t>(weight_codes.size()) != n_out * n_in)
    overflow_bound_error(layer, std::to_string(weight_codes.size()) + " weight codes for " + std::to_string(n_out) +
                                    " x " + std::to_string(n_in) + " weights");
  if (!bias_codes.empty() && static_cast<int64_t>(bias_codes.size()) != n_out)
    overflow_bound_error(layer, std::to_string(bias_codes.size()) + " bias codes for " + std::to_string(n_out) +
                                    " outputs");
  if (input.lo > 0 || input.hi < 0)
    overflow_bound_error(layer, "input code range [" + std::to_string(input.lo) + ", " + std::to_string(input.hi) +
                                    "] does not contain 0");
  const int product_frac = input.frac + weight_frac;
  AccumulatorBound out;
  out.frac = bias_codes.empty() ? product_frac : std::max(product_frac, bias_frac);
  if (out.frac - product_frac > 62 || out.frac - bias_frac > 62)
    overflow_bound_error(layer, "bias and product fractions " + std::to_string(bias_frac) + " and " +
                                    std::to_string(product_frac) + " are more than 62 bits apart");
  const OverflowWideInt product_scale = OverflowWideInt{1} << (out.frac - product_frac);
  const OverflowWideInt bias_scale = OverflowWideInt{1} << (bias_codes.empty() ? 0 : out.frac - bias_frac);
  const OverflowWideInt limit = OverflowWideInt{1} << 62;
  OverflowWideInt lo_all = 0, hi_all = 0;
  for (int64_t j = 0; j < n_out; ++j) {
    OverflowWideInt lo = 0, hi = 0;
    const int64_t* row = weight_codes.data() + j * n_in;
    for (int64_t i = 0; i < n_in; ++i) {
      const OverflowWideInt a = OverflowWideInt{row[i]} * input.lo, b = OverflowWideInt{row[i]} * input.hi;
      lo += std::min(a, b);
      hi += std::max(a, b);
    }
    lo *= product_scale;
    hi *= product_scale;
    if (!bias_codes.empty()) {
      // Bias first (hls4ml starts the accumulator at it) or last: the partial sums of
      // products alone and those with the bias are both covered.
      const OverflowWideInt b = OverflowWideInt{bias_codes[j]} * bias_scale;
      lo = std::min(lo, lo + b);
      hi = std::max(hi, hi + b);
    }
    if (lo < -limit || hi > limit) overflow_bound_error(layer, "output " + std::to_string(j) + " needs more than 62 bits");
    lo_all = j == 0 ? lo : std::min(lo_all, lo);
    hi_all = j == 0 ? hi : std::max(hi_all, hi);
  }
  out.lo = static_cast<int64_t>(lo_all);
  out.hi = static_cast<int64_t>(hi_all);
  out.width = signed_width_for(out.lo, out.hi);
  return out;
}

}  // namespace qdse::hw
