// Overflow certification of a fixed-point dot-product layer (dense, conv as its im2col
// rows) by interval arithmetic over integer codes (issue 16 item 4; docs/hardware.md,
// "Overflow certification").
//
// A layer computes out[j] = bias[j] + sum_i w[j][i] * x[i], with w and bias given as
// integer codes (value = code * 2^-frac) and each input x[i] any code of its format,
// [in_lo, in_hi] (for a signed W-bit format [-2^(W-1), 2^(W-1)-1]). The exact result is a
// multiple of 2^-F with F = max(in_frac + weight_frac, bias_frac); in those units output j
// lies in [lo_j, hi_j], lo_j = bias_j + sum_i min(w*in_lo, w*in_hi) and hi_j likewise with
// max. Every term's interval contains 0 (in_lo <= 0 <= in_hi), so every partial sum of any
// accumulation order, bias first or last, lies in [lo_j, hi_j] too: a signed type with F
// fractional bits that holds [min_j lo_j, max_j hi_j] never overflows, whatever order the
// hardware adds in. The bounds use the actual weight and bias codes, so they are never
// looser than hls4ml's `auto` rule (arithmetic.hpp), which assumes every weight at its
// format's extreme.
// Thread-safety: pure functions. No torch: codes come in as plain vectors.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace qdse::hw {

// The codes one input element can take, and their scale 2^-frac.
struct CodeRange {
  int64_t lo = 0, hi = 0;  // lo <= 0 <= hi
  int frac = 0;
};

// The code range of a fixed-point format: signed [-2^(w-1), 2^(w-1)-1], unsigned [0, 2^w-1].
CodeRange fixed_code_range(int width, int frac, bool is_signed);

// The certified accumulator of one layer: every output and partial sum lies in [lo, hi]
// (units of 2^-frac); `width` is the narrowest signed type holding that range, with
// width - frac integer bits (ap_fixed<width, width - frac>).
struct AccumulatorBound {
  int64_t lo = 0, hi = 0;
  int frac = 0;
  int width = 0;
  int integer() const { return width - frac; }
};

// Narrowest signed two's-complement width holding every integer of [lo, hi] (>= 1).
int signed_width_for(int64_t lo, int64_t hi);

// weight_codes: n_out rows of n_in codes (row-major, as a dense layer's weight [out, in]);
// bias_codes: n_out codes, or empty for a layer without bias. Throws qdse::Error
// (InvalidArgument) naming `layer` for inconsistent sizes, an input range that does not
// contain 0, or a bound beyond 62 bits (no exact int64 accumulator exists).
AccumulatorBound dense_accumulator_bound(const std::string& layer, const std::vector<int64_t>& weight_codes,
                                         int64_t n_out, int64_t n_in, int weight_frac,
                                         const std::vector<int64_t>& bias_codes, int bias_frac,
                                         const CodeRange& input);

}  // namespace qdse::hw
