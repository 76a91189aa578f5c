// Number formats: the value type that says how one tensor is quantized.
//
// A Format is a kind (integer, minifloat, block_fp, log, binary, ternary, or float
// for "leave unquantized") plus that kind's parameters, held in a std::variant so a
// format carries only the fields it uses. The per-layer config and the TOML parser
// build Formats; validate() checks them once with an error that names the rule, the
// value received and where it came from; quantize() (quantize.hpp) applies them.
// Vocabulary follows hls4ml: precision (widths), rounding, overflow (saturation).
// Semantics, ranges and worked examples: docs/formats.md.
// Ownership/thread-safety: plain value types; all functions here are pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

namespace qdse::quant {

// In the order of FormatParams' alternatives (Format::kind() is the variant index);
// each kind has one row in the traits table (format_traits.hpp: name, key grammar,
// kernels), checked by static_asserts there.
enum class FormatKind { Float, Integer, Minifloat, BlockFp, Log, Binary, Ternary, kCount };
inline constexpr std::size_t kFormatKindCount = static_cast<std::size_t>(FormatKind::kCount);

// How a value between two representable neighbours is resolved (hls4ml names in
// brackets). NearestEven is MASE's (torch.round).
enum class Rounding {
  NearestEven,  // ties to even            [RND_CONV]
  NearestAway,  // ties away from zero     [RND_INF]
  Floor,        // toward -inf, truncation [TRN]
  TowardZero,   // toward 0                [TRN_ZERO]
};

// What happens to a value outside the representable range.
enum class Overflow {
  Saturate,  // clamp to the nearest extreme [SAT]
  Wrap,      // keep the low `width` bits (two's complement) [WRAP]
};

// Pass-through: the tensor stays float (32 bits per element for size metrics).
struct FloatFormat {
  bool operator==(const FloatFormat&) const = default;
};

// Fixed point: value = code * 2^-frac_width, code a `width`-bit integer.
// Signed code range [-2^(w-1), 2^(w-1)-1]; unsigned [0, 2^w-1].
// width in [1, 32]; frac_width in [-32, 64] or nullopt ("NA" in MASE configs),
// which means width / 2 (integer division). Width 1 signed = {-1, 0} * 2^-f.
struct IntegerFormat {
  int width = 8;
  std::optional<int> frac_width = std::nullopt;
  bool is_signed = true;
  Rounding rounding = Rounding::NearestEven;
  Overflow overflow = Overflow::Saturate;
  bool operator==(const IntegerFormat&) const = default;
};

// Sign + exponent + mantissa with an implicit leading 1 (IEEE-754 style), round to
// nearest even, saturating at the largest finite value.
// exponent_width in [1, 8], mantissa_width in [1, 23], bias default 2^(e-1)-1.
// denormals: exponent field 0 encodes subnormals (else results below the smallest
// normal flush to zero). ieee_like: the top exponent field is reserved for Inf/NaN
// (as IEEE), so Inf inputs stay Inf; otherwise it holds finite values (as MASE).
struct MinifloatFormat {
  int exponent_width = 4;
  int mantissa_width = 3;
  std::optional<int> exponent_bias = std::nullopt;
  bool denormals = true;
  bool ieee_like = false;
  bool operator==(const MinifloatFormat&) const = default;
};

// Block floating point (MSFP): blocks of `block_size` consecutive elements along
// `block_dim` share one exponent; each element keeps a sign and `mantissa_width`
// magnitude bits. mantissa_width in [1, 23], exponent_width in [1, 8], bias default
// 2^(e-1)-1, block_size in [1, 2^20], block_dim any (negative counts from the end).
struct BlockFpFormat {
  int mantissa_width = 7;
  int exponent_width = 8;
  std::optional<int> exponent_bias = std::nullopt;
  int block_size = 16;
  int block_dim = -1;
  bool operator==(const BlockFpFormat&) const = default;
};

// Base-2 logarithmic: value = +-2^e, e an `exponent_width`-bit code minus bias.
// exponent_width in [1, 8], bias default 2^(w-1)-1. has_zero=false (MASE): zero is
// not representable, 0 maps to +2^e_min; has_zero=true: the all-zeros code is zero.
struct LogFormat {
  int exponent_width = 4;
  std::optional<int> exponent_bias = std::nullopt;
  bool has_zero = false;
  bool operator==(const LogFormat&) const = default;
};

// {-1, +1} by sign (x >= 0 -> +1, as MASE's bipolar binary); scaled: times mean|x|.
struct BinaryFormat {
  bool scaled = false;
  bool operator==(const BinaryFormat&) const = default;
};

// {-1, 0, +1}: x > t -> +1, x < -t -> -1, else 0. threshold nullopt = 0.75 * mean|x|
// per tensor (MASE); scaled: times the mean |x| of the elements above the threshold.
struct TernaryFormat {
  std::optional<double> threshold = std::nullopt;
  bool scaled = false;
  bool operator==(const TernaryFormat&) const = default;
};

using FormatParams = std::variant<FloatFormat, IntegerFormat, MinifloatFormat, BlockFpFormat,
                                  LogFormat, BinaryFormat, TernaryFormat>;

// A Format is built as Format{IntegerFormat{.width = 8, .frac_width = 4}}.
struct Format {
  FormatParams params;

  FormatKind kind() const;
  template <class T>
  const T& as() const {
    return std::get<T>(params);
  }
  template <class T>
  bool is() const {
    return std::holds_alternative<T>(params);
  }
  bool operator==(const Format&) const = default;
};

// Limits enforced by validate(); exposed so the config layer can quote them.
inline constexpr int kMaxIntegerWidth = 32;
inline constexpr int kMinFracWidth = -32;
inline constexpr int kMaxFracWidth = 64;
inline constexpr int kMaxExponentWidth = 8;
inline constexpr int kMaxMantissaWidth = 23;
inline constexpr int kMaxBlockSize = 1 << 20;

// Throws qdse::Error(ErrorKind::Config) naming the rule, the value and `where`
// ("`frac_width` must be in [-32, 64], got 70 (passes.quantize.linear.config)").
// `field_prefix` is prepended to field names ("weight_" -> `weight_width`).
void validate(const Format& format, std::string_view where, std::string_view field_prefix = "");

// Short human form: "integer<8,4>", "integer<8,NA>", "minifloat<e4,m3,b7>",
// "block_fp<m7,e8,b127,16@-1>", "log<e4,b7>", "binary", "ternary<t=0.05,scaled>".
std::string describe(const Format& format);

// Bits per stored element for model-size metrics. block_fp amortizes the shared
// exponent: 1 + mantissa + exponent/block_size, rounded UP here; use
// bits_per_element() for the exact fraction. float: 32; binary: 1; ternary: 2.
int64_t storage_bits(const Format& format);
double bits_per_element(const Format& format);
// Exact bits for a tensor of this shape (block_fp counts one exponent per block,
// ragged final blocks included; the scale of scaled binary/ternary is not counted).
int64_t tensor_storage_bits(const Format& format, std::span<const int64_t> sizes);

// Resolved parameters (defaults applied).
int resolved_frac_width(const IntegerFormat& f);     // "NA" -> width / 2
int resolved_exponent_bias(const MinifloatFormat& f);
int resolved_exponent_bias(const BlockFpFormat& f);
int resolved_exponent_bias(const LogFormat& f);

struct IntegerCodeRange {
  int64_t min_code;
  int64_t max_code;
};
IntegerCodeRange integer_code_range(const IntegerFormat& f);
// Largest finite magnitude of a minifloat; smallest positive normal.
double minifloat_max_value(const MinifloatFormat& f);
double minifloat_min_normal(const MinifloatFormat& f);

// Names used in configs. parse_* throw qdse::Error(Config) listing the accepted
// names; rounding/overflow also accept the hls4ml spellings (RND_CONV, TRN, SAT...).
std::string_view to_string(FormatKind kind);  // "integer", "block_fp", ...
std::string_view to_string(Rounding rounding);  // "nearest_even", ...
std::string_view to_string(Overflow overflow);  // "saturate", "wrap"
FormatKind parse_format_kind(std::string_view name, std::string_view where);
Rounding parse_rounding(std::string_view name, std::string_view where);
Overflow parse_overflow(std::string_view name, std::string_view where);

}  // namespace qdse::quant
