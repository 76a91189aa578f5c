// Format bookkeeping: validation, descriptions, storage sizes, config names.
#include "qdse/quant/formats/format.hpp"

#include <cmath>
#include <sstream>

#include "qdse/core/error.hpp"
#include "qdse/quant/formats/format_traits.hpp"

namespace qdse::quant {
namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

// Every message: "`<prefix><field>` must be <rule>, got <value> (<where>)".
struct Checker {
  std::string_view where;
  std::string_view prefix;

  [[noreturn]] void fail(std::string_view field, const std::string& rule,
                         const std::string& got) const {
    std::ostringstream os;
    os << '`' << prefix << field << "` must be " << rule << ", got " << got;
    if (!where.empty()) os << " (" << where << ')';
    throw Error(ErrorKind::Config, os.str());
  }
  void in_range(std::string_view field, int64_t value, int64_t lo, int64_t hi,
                const std::string& context = "") const {
    if (value < lo || value > hi) {
      fail(field,
           "in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]" + context,
           std::to_string(value));
    }
  }
};

int default_bias(int exponent_width) { return (1 << (exponent_width - 1)) - 1; }

void validate_integer(const IntegerFormat& f, const Checker& c) {
  c.in_range("width", f.width, 1, kMaxIntegerWidth);
  if (f.frac_width) c.in_range("frac_width", *f.frac_width, kMinFracWidth, kMaxFracWidth);
}

void validate_minifloat(const MinifloatFormat& f, const Checker& c) {
  c.in_range("exponent_width", f.exponent_width, f.ieee_like ? 2 : 1, kMaxExponentWidth,
             f.ieee_like ? " (ieee_like reserves the top exponent)" : "");
  c.in_range("mantissa_width", f.mantissa_width, 1, kMaxMantissaWidth);
  const int top_field = (1 << f.exponent_width) - (f.ieee_like ? 2 : 1);
  if (top_field - 127 > 127) {
    c.fail("exponent_width", "<= 7 unless ieee_like = true (the top exponent would exceed float32)",
           std::to_string(f.exponent_width));
  }
  // All normals must be float32 normals: 1 - bias >= -126 and top_field - bias <= 127.
  const int bias = resolved_exponent_bias(f);
  c.in_range("exponent_bias", bias, top_field - 127, 127,
             " for exponent_width " + std::to_string(f.exponent_width) +
                 " (values must stay within float32's exponent range)");
}

void validate_block_fp(const BlockFpFormat& f, const Checker& c) {
  c.in_range("mantissa_width", f.mantissa_width, 1, kMaxMantissaWidth);
  c.in_range("exponent_width", f.exponent_width, 1, kMaxExponentWidth);
  c.in_range("block_size", f.block_size, 1, kMaxBlockSize);
  // Shared exponent E in [-bias, 2^e-1-bias]; values (M/2^m)*2^E must be float32:
  // E <= 128 and the smallest step 2^(-bias-m) >= 2^-149.
  const int bias = resolved_exponent_bias(f);
  c.in_range("exponent_bias", bias, (1 << f.exponent_width) - 1 - 128, 149 - f.mantissa_width,
             " for exponent_width " + std::to_string(f.exponent_width) + " and mantissa_width " +
                 std::to_string(f.mantissa_width) + " (values must stay within float32)");
}

void validate_log(const LogFormat& f, const Checker& c) {
  c.in_range("exponent_width", f.exponent_width, 1, kMaxExponentWidth);
  // Exponents [-bias (+1 with has_zero), 2^w-1-bias] must be float32 powers of two.
  const int bias = resolved_exponent_bias(f);
  c.in_range("exponent_bias", bias, (1 << f.exponent_width) - 1 - 127, f.has_zero ? 150 : 149,
             " for exponent_width " + std::to_string(f.exponent_width) +
                 " (2^e must stay within float32)");
}

void validate_ternary(const TernaryFormat& f, const Checker& c) {
  if (f.threshold && !(std::isfinite(*f.threshold) && *f.threshold >= 0.0)) {
    std::ostringstream got;
    got << *f.threshold;
    c.fail("threshold", "finite and >= 0", got.str());
  }
}

}  // namespace

// FormatKind follows FormatParams' alternatives (static_asserted in format_traits.cpp).
FormatKind Format::kind() const { return static_cast<FormatKind>(params.index()); }

void validate(const Format& format, std::string_view where, std::string_view field_prefix) {
  const Checker c{where, field_prefix};
  std::visit(Overloaded{
                 [](const FloatFormat&) {},
                 [&](const IntegerFormat& f) { validate_integer(f, c); },
                 [&](const MinifloatFormat& f) { validate_minifloat(f, c); },
                 [&](const BlockFpFormat& f) { validate_block_fp(f, c); },
                 [&](const LogFormat& f) { validate_log(f, c); },
                 [](const BinaryFormat&) {},
                 [&](const TernaryFormat& f) { validate_ternary(f, c); },
             },
             format.params);
}

std::string describe(const Format& format) { return format_traits(format.kind()).describe(format); }

double bits_per_element(const Format& format) {
  if (const auto* f = std::get_if<BlockFpFormat>(&format.params)) {
    return 1.0 + f->mantissa_width + static_cast<double>(f->exponent_width) / f->block_size;
  }
  return static_cast<double>(storage_bits(format));
}

int64_t storage_bits(const Format& format) {
  return std::visit(Overloaded{
                        [](const FloatFormat&) -> int64_t { return 32; },
                        [](const IntegerFormat& f) -> int64_t { return f.width; },
                        [](const MinifloatFormat& f) -> int64_t {
                          return 1 + f.exponent_width + f.mantissa_width;
                        },
                        [](const BlockFpFormat& f) -> int64_t {
                          // ceil(1 + m + e / block_size)
                          const int64_t bs = f.block_size;
                          return (bs * (1 + f.mantissa_width) + f.exponent_width + bs - 1) / bs;
                        },
                        [](const LogFormat& f) -> int64_t { return f.exponent_width + 1; },
                        [](const BinaryFormat&) -> int64_t { return 1; },
                        [](const TernaryFormat&) -> int64_t { return 2; },
                    },
                    format.params);
}

int64_t tensor_storage_bits(const Format& format, std::span<const int64_t> sizes) {
  int64_t numel = 1;
  for (int64_t s : sizes) numel *= s;
  const auto* f = std::get_if<BlockFpFormat>(&format.params);
  if (!f) return numel * storage_bits(format);
  int64_t len = 1;
  if (!sizes.empty()) {
    const int64_t rank = static_cast<int64_t>(sizes.size());
    int64_t dim = f->block_dim < 0 ? f->block_dim + rank : f->block_dim;
    if (dim < 0 || dim >= rank) {
      throw Error(ErrorKind::InvalidArgument,
                  "block_dim " + std::to_string(f->block_dim) + " out of range for rank " +
                      std::to_string(rank));
    }
    len = sizes[dim];
  }
  if (len == 0) return 0;
  const int64_t blocks = (numel / len) * ((len + f->block_size - 1) / f->block_size);
  return numel * (1 + f->mantissa_width) + blocks * f->exponent_width;
}

int resolved_frac_width(const IntegerFormat& f) {
  return f.frac_width ? *f.frac_width : f.width / 2;
}
int resolved_exponent_bias(const MinifloatFormat& f) {
  return f.exponent_bias ? *f.exponent_bias : default_bias(f.exponent_width);
}
int resolved_exponent_bias(const BlockFpFormat& f) {
  return f.exponent_bias ? *f.exponent_bias : default_bias(f.exponent_width);
}
int resolved_exponent_bias(const LogFormat& f) {
  return f.exponent_bias ? *f.exponent_bias : default_bias(f.exponent_width);
}

IntegerCodeRange integer_code_range(const IntegerFormat& f) {
  // int64 so width 32 (2^31, 2^32 - 1) does not overflow.
  if (f.is_signed) {
    return {-(int64_t{1} << (f.width - 1)), (int64_t{1} << (f.width - 1)) - 1};
  }
  return {0, (int64_t{1} << f.width) - 1};
}

double minifloat_max_value(const MinifloatFormat& f) {
  const int top_field = (1 << f.exponent_width) - (f.ieee_like ? 2 : 1);
  const int emax = top_field - resolved_exponent_bias(f);
  return std::ldexp(2.0 - std::ldexp(1.0, -f.mantissa_width), emax);
}

double minifloat_min_normal(const MinifloatFormat& f) {
  return std::ldexp(1.0, 1 - resolved_exponent_bias(f));
}

std::string_view to_string(FormatKind kind) {
  return kind == FormatKind::kCount ? "?" : format_traits(kind).name;
}

std::string_view to_string(Rounding rounding) {
  switch (rounding) {
    case Rounding::NearestEven: return "nearest_even";
    case Rounding::NearestAway: return "nearest_away";
    case Rounding::Floor: return "floor";
    case Rounding::TowardZero: return "toward_zero";
  }
  return "?";
}

std::string_view to_string(Overflow overflow) {
  return overflow == Overflow::Saturate ? "saturate" : "wrap";
}

namespace {
[[noreturn]] void fail_name(std::string_view what, std::string_view name, std::string_view accepted,
                            std::string_view where) {
  std::string msg = std::string(what) + " must be one of " + std::string(accepted) + ", got \"" +
                    std::string(name) + "\"";
  if (!where.empty()) msg += " (" + std::string(where) + ")";
  throw Error(ErrorKind::Config, msg);
}
}  // namespace

FormatKind parse_format_kind(std::string_view name, std::string_view where) {
  std::string accepted;  // the canonical names; aliases (MASE spellings) are accepted unlisted
  for (const FormatTraits& t : all_format_traits()) {
    if (name == t.name) return t.kind;
    for (std::string_view alias : t.aliases)
      if (name == alias) return t.kind;
    accepted += (accepted.empty() ? "" : ", ") + std::string(t.name);
  }
  fail_name("format name", name, accepted, where);
}

Rounding parse_rounding(std::string_view name, std::string_view where) {
  if (name == "nearest_even" || name == "RND_CONV") return Rounding::NearestEven;
  if (name == "nearest_away" || name == "RND_INF") return Rounding::NearestAway;
  if (name == "floor" || name == "TRN") return Rounding::Floor;
  if (name == "toward_zero" || name == "TRN_ZERO") return Rounding::TowardZero;
  fail_name("`rounding`", name,
            "nearest_even (RND_CONV), nearest_away (RND_INF), floor (TRN), toward_zero (TRN_ZERO)",
            where);
}

Overflow parse_overflow(std::string_view name, std::string_view where) {
  if (name == "saturate" || name == "SAT") return Overflow::Saturate;
  if (name == "wrap" || name == "WRAP") return Overflow::Wrap;
  fail_name("`overflow`", name, "saturate (SAT), wrap (WRAP)", where);
}

}  // namespace qdse::quant
