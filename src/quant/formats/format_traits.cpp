// The FormatKind traits table (format_traits.hpp). One block per format: the slot
// keys it accepts, how it reads them, how describe() prints it, then its row.
// Kernels stay in the format's own file (integer.cpp, minifloat.cpp, ...).
#include "qdse/quant/formats/format_traits.hpp"

#include <torch/types.h>

#include <array>
#include <sstream>
#include <variant>

#include "qdse/quant/formats/kernels.hpp"

namespace qdse::quant {
namespace {

// Row adapters: a per-format function over its own struct, called with a Format.
template <class F, at::Tensor (*Kernel)(const at::Tensor&, const F&)>
at::Tensor run_format_kernel(const at::Tensor& x, const Format& format) {
  return Kernel(x, format.as<F>());
}
template <class F, std::string (*Describe)(const F&)>
std::string describe_format_row(const Format& format) {
  return Describe(format.as<F>());
}
template <class F, F (*Parse)(SlotKeys&, bool&)>
Format parse_format_row(SlotKeys& keys, bool& auto_frac) {
  return Format{Parse(keys, auto_frac)};
}

// `<s>_width` of formats that need one: 1..32 bits.
int required_slot_width(SlotKeys& k) {
  const auto w = k.integer("width");
  if (!w) k.fail("width", "is required for this format");
  if (*w < 1 || *w > 32) k.fail("width", "must be in [1, 32], got " + std::to_string(*w));
  return static_cast<int>(*w);
}

std::string bias_text(const std::optional<int>& bias, int resolved) {
  return std::to_string(bias ? *bias : resolved);
}

// --- float: the tensor stays as it is.
std::string describe_float(const FloatFormat&) { return "float"; }
at::Tensor quantize_float(const at::Tensor& x, const FloatFormat&) { return x.clone(); }

// --- integer (fixed point).
constexpr std::array<std::string_view, 2> kIntegerAliases = {"fixed", "int"};
constexpr std::array<std::string_view, 5> kIntegerKeys = {"width", "frac_width", "rounding", "overflow",
                                                          "signed"};
IntegerFormat parse_integer_keys(SlotKeys& k, bool& auto_frac) {
  IntegerFormat f;
  f.width = required_slot_width(k);
  f.frac_width = k.int_na_auto("frac_width", &auto_frac);
  const auto rounding = k.string("rounding");
  const auto overflow = k.string("overflow");
  if (rounding) f.rounding = parse_rounding(*rounding, k.where());
  else if (auto lr = k.layer_string("rounding")) f.rounding = parse_rounding(*lr, k.where());
  if (overflow) f.overflow = parse_overflow(*overflow, k.where());
  else if (auto lo = k.layer_string("overflow")) f.overflow = parse_overflow(*lo, k.where());
  f.is_signed = k.boolean("signed").value_or(true);
  return f;
}
std::string describe_integer(const IntegerFormat& f) {
  std::string s = "integer<" + std::to_string(f.width) + "," +
                  (f.frac_width ? std::to_string(*f.frac_width) : "NA");
  if (!f.is_signed) s += ",unsigned";
  if (f.rounding != Rounding::NearestEven) s += "," + std::string(to_string(f.rounding));
  if (f.overflow != Overflow::Saturate) s += "," + std::string(to_string(f.overflow));
  return s + ">";
}

// --- minifloat. `<s>_width` counts sign + exponent + mantissa.
constexpr std::array<std::string_view, 1> kMinifloatAliases = {"minifloat_ieee"};
constexpr std::array<std::string_view, 5> kMinifloatKeys = {"width", "exponent_width", "exponent_bias",
                                                            "denormals", "ieee_like"};
MinifloatFormat parse_minifloat_keys(SlotKeys& k, bool&) {
  MinifloatFormat f;
  const int width = required_slot_width(k);
  f.exponent_width = static_cast<int>(k.integer("exponent_width").value_or(4));
  f.mantissa_width = width - 1 - f.exponent_width;
  f.exponent_bias = k.int_na_auto("exponent_bias", nullptr);
  f.denormals = k.boolean("denormals").value_or(true);
  f.ieee_like = k.boolean("ieee_like").value_or(false);
  if (f.mantissa_width < 0)
    k.fail("exponent_width", "leaves no room for the sign in " + std::to_string(width) + " bits");
  return f;
}
std::string describe_minifloat(const MinifloatFormat& f) {
  std::string s = "minifloat<e" + std::to_string(f.exponent_width) + ",m" +
                  std::to_string(f.mantissa_width) + ",b" +
                  bias_text(f.exponent_bias, resolved_exponent_bias(f));
  if (f.ieee_like) s += ",ieee";
  if (!f.denormals) s += ",no_denormals";
  return s + ">";
}

// --- block floating point. `<s>_width` is the mantissa including the sign.
constexpr std::array<std::string_view, 5> kBlockFpKeys = {"width", "exponent_width", "exponent_bias",
                                                          "block_size", "block_dim"};
BlockFpFormat parse_block_fp_keys(SlotKeys& k, bool&) {
  BlockFpFormat f;
  f.mantissa_width = required_slot_width(k) - 1;
  f.exponent_width = static_cast<int>(k.integer("exponent_width").value_or(8));
  f.exponent_bias = k.int_na_auto("exponent_bias", nullptr);
  f.block_size = static_cast<int>(k.integer("block_size").value_or(16));
  f.block_dim = static_cast<int>(k.integer("block_dim").value_or(-1));
  return f;
}
std::string describe_block_fp(const BlockFpFormat& f) {
  return "block_fp<m" + std::to_string(f.mantissa_width) + ",e" + std::to_string(f.exponent_width) +
         ",b" + bias_text(f.exponent_bias, resolved_exponent_bias(f)) + "," +
         std::to_string(f.block_size) + "@" + std::to_string(f.block_dim) + ">";
}

// --- base-2 logarithmic. `<s>_width` is sign + exponent.
constexpr std::array<std::string_view, 3> kLogKeys = {"width", "exponent_bias", "has_zero"};
LogFormat parse_log_keys(SlotKeys& k, bool&) {
  LogFormat f;
  f.exponent_width = required_slot_width(k) - 1;
  f.exponent_bias = k.int_na_auto("exponent_bias", nullptr);
  f.has_zero = k.boolean("has_zero").value_or(false);
  return f;
}
std::string describe_log(const LogFormat& f) {
  std::string s = "log<e" + std::to_string(f.exponent_width) + ",b" +
                  bias_text(f.exponent_bias, resolved_exponent_bias(f));
  if (f.has_zero) s += ",zero";
  return s + ">";
}

// --- binary. The width is implied (1); a config may still state it.
constexpr std::array<std::string_view, 2> kBinaryKeys = {"width", "scaled"};
BinaryFormat parse_binary_keys(SlotKeys& k, bool&) {
  BinaryFormat f;
  if (auto w = k.integer("width"); w && *w != 1) k.fail("width", "must be 1 for binary");
  f.scaled = k.boolean("scaled").value_or(false);
  return f;
}
std::string describe_binary(const BinaryFormat& f) { return f.scaled ? "binary<scaled>" : "binary"; }

// --- ternary. The width is implied (2).
constexpr std::array<std::string_view, 3> kTernaryKeys = {"width", "threshold", "scaled"};
TernaryFormat parse_ternary_keys(SlotKeys& k, bool&) {
  TernaryFormat f;
  if (auto w = k.integer("width"); w && *w != 2) k.fail("width", "must be 2 for ternary");
  if (auto t = k.number("threshold")) f.threshold = *t;
  f.scaled = k.boolean("scaled").value_or(false);
  return f;
}
std::string describe_ternary(const TernaryFormat& f) {
  std::string inner;
  if (f.threshold) {
    std::ostringstream os;
    os << "t=" << *f.threshold;
    inner = os.str();
  }
  if (f.scaled) inner += inner.empty() ? "scaled" : ",scaled";
  return inner.empty() ? std::string("ternary") : "ternary<" + inner + ">";
}

// kind, name, aliases, keys, omitted slot, hls4ml, integer kernels; parse, describe, fast, reference.
constexpr std::array<FormatTraits, kFormatKindCount> kFormatTraits = {{
    {FormatKind::Float, "float", {}, {}, OmittedSlot::NeverOmitted, false, false,
     nullptr,
     describe_format_row<FloatFormat, describe_float>,
     run_format_kernel<FloatFormat, quantize_float>,
     run_format_kernel<FloatFormat, quantize_float>},
    {FormatKind::Integer, "integer", kIntegerAliases, kIntegerKeys, OmittedSlot::KeysIgnored, true, true,
     parse_format_row<IntegerFormat, parse_integer_keys>,
     describe_format_row<IntegerFormat, describe_integer>,
     run_format_kernel<IntegerFormat, detail::quantize_integer>,
     run_format_kernel<IntegerFormat, detail::quantize_integer_ref>},
    {FormatKind::Minifloat, "minifloat", kMinifloatAliases, kMinifloatKeys, OmittedSlot::KeysUnknown, false, false,
     parse_format_row<MinifloatFormat, parse_minifloat_keys>,
     describe_format_row<MinifloatFormat, describe_minifloat>,
     run_format_kernel<MinifloatFormat, detail::quantize_minifloat>,
     run_format_kernel<MinifloatFormat, detail::quantize_minifloat_ref>},
    {FormatKind::BlockFp, "block_fp", {}, kBlockFpKeys, OmittedSlot::KeysUnknown, false, false,
     parse_format_row<BlockFpFormat, parse_block_fp_keys>,
     describe_format_row<BlockFpFormat, describe_block_fp>,
     run_format_kernel<BlockFpFormat, detail::quantize_block_fp>,
     run_format_kernel<BlockFpFormat, detail::quantize_block_fp_ref>},
    {FormatKind::Log, "log", {}, kLogKeys, OmittedSlot::KeysUnknown, false, false,
     parse_format_row<LogFormat, parse_log_keys>,
     describe_format_row<LogFormat, describe_log>,
     run_format_kernel<LogFormat, detail::quantize_log>,
     run_format_kernel<LogFormat, detail::quantize_log_ref>},
    {FormatKind::Binary, "binary", {}, kBinaryKeys, OmittedSlot::NeverOmitted, false, false,
     parse_format_row<BinaryFormat, parse_binary_keys>,
     describe_format_row<BinaryFormat, describe_binary>,
     run_format_kernel<BinaryFormat, detail::quantize_binary>,
     run_format_kernel<BinaryFormat, detail::quantize_binary_ref>},
    {FormatKind::Ternary, "ternary", {}, kTernaryKeys, OmittedSlot::NeverOmitted, false, false,
     parse_format_row<TernaryFormat, parse_ternary_keys>,
     describe_format_row<TernaryFormat, describe_ternary>,
     run_format_kernel<TernaryFormat, detail::quantize_ternary>,
     run_format_kernel<TernaryFormat, detail::quantize_ternary_ref>},
}};

// Rows must sit at their kind's index, and FormatKind must follow FormatParams'
// alternatives (Format::kind() is the variant index): a row out of order would give
// one format another's name, keys and kernels.
constexpr bool format_rows_in_order() {
  for (std::size_t i = 0; i < kFormatTraits.size(); ++i)
    if (static_cast<std::size_t>(kFormatTraits[i].kind) != i) return false;
  return true;
}
static_assert(format_rows_in_order(), "kFormatTraits rows must follow FormatKind order");
static_assert(std::variant_size_v<FormatParams> == kFormatKindCount,
              "every FormatKind needs one FormatParams alternative");
template <FormatKind K, class F>
constexpr bool holds_at = std::is_same_v<std::variant_alternative_t<static_cast<std::size_t>(K), FormatParams>, F>;
static_assert(holds_at<FormatKind::Float, FloatFormat> && holds_at<FormatKind::Integer, IntegerFormat> &&
                  holds_at<FormatKind::Minifloat, MinifloatFormat> && holds_at<FormatKind::BlockFp, BlockFpFormat> &&
                  holds_at<FormatKind::Log, LogFormat> && holds_at<FormatKind::Binary, BinaryFormat> &&
                  holds_at<FormatKind::Ternary, TernaryFormat>,
              "FormatKind must follow the order of FormatParams' alternatives");

}  // namespace

const FormatTraits& format_traits(FormatKind kind) { return kFormatTraits.at(static_cast<std::size_t>(kind)); }

std::span<const FormatTraits> all_format_traits() { return kFormatTraits; }

}  // namespace qdse::quant
