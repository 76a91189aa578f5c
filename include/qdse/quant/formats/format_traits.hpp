// FormatKind traits: one row per number format, the one place that says what a
// format is called in configs, which keys configure it, where it may go (hls4ml,
// integer kernels) and which functions parse, describe and quantize it.
//
// format.cpp (names, describe()), quant_config.cpp (per-slot key grammar) and
// quantize.cpp (kernel dispatch) all read this table, so adding a format means its
// struct in format.hpp, its kernels in its own .cpp, and one row here (plus the
// validate()/storage_bits() visits, which the compiler demands). The rows are
// static_asserted to cover every FormatKind in order (format_traits.cpp).
// Thread-safety: the table is static and immutable.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "qdse/quant/formats/format.hpp"

namespace at {
class Tensor;
}

namespace qdse::quant {

// What a format's key parser sees of one slot's keys: typed reads of
// "<slot>_<suffix>" (e.g. suffix "frac_width" of slot "weight" is `weight_frac_width`).
// Implemented by the config layer over a parsed config table; the reads report type
// errors with the full key and where it came from.
class SlotKeys {
 public:
  virtual ~SlotKeys() = default;
  // Whether the key is present (and, like every read, marks it as a valid key).
  virtual bool has(std::string_view suffix) = 0;
  virtual std::optional<int64_t> integer(std::string_view suffix) = 0;
  virtual std::optional<bool> boolean(std::string_view suffix) = 0;
  virtual std::optional<double> number(std::string_view suffix) = 0;
  virtual std::optional<std::string> string(std::string_view suffix) = 0;
  // An int, "NA" (nullopt), or when is_auto is non-null "auto" (sets *is_auto).
  virtual std::optional<int> int_na_auto(std::string_view suffix, bool* is_auto) = 0;
  // A layer-wide key without the slot prefix ("rounding", "overflow").
  virtual std::optional<std::string> layer_string(std::string_view key) = 0;
  // Throws qdse::Error(Config): "`<slot>_<suffix>` <rule> (<where>)".
  [[noreturn]] virtual void fail(std::string_view suffix, const std::string& rule) = 0;
  virtual const std::string& where() const = 0;
};

// What an optional slot (the bias) without `<slot>_width` means.
enum class OmittedSlot {
  KeysIgnored,   // the slot follows the fallback; its other keys are accepted (MASE integer)
  KeysUnknown,   // the slot follows the fallback; its other keys are unknown-key errors
  NeverOmitted,  // the width is optional, so the slot is always parsed (binary, ternary)
};

struct FormatTraits {
  FormatKind kind;
  std::string_view name;                       // as written in configs ("block_fp")
  std::span<const std::string_view> aliases;   // MASE spellings of the same format
  // Slot key suffixes the format accepts, in the order the parser reads them (the
  // order "valid keys:" errors list them); docs/config.md documents the same set.
  std::span<const std::string_view> keys;
  OmittedSlot omitted_slot;
  bool hls4ml_exportable;  // maps onto hls4ml's ap_fixed
  bool integer_kernels;    // integer-code GEMM kernels may run it (lower/integer_linear)
  // Builds the format from one slot's keys; *auto_frac set for frac_width = "auto".
  // Null for float (nothing to read). The caller validates the result.
  Format (*parse_keys)(SlotKeys& keys, bool& auto_frac);
  std::string (*describe)(const Format& format);  // the row's describe() form
  at::Tensor (*quantize)(const at::Tensor& x, const Format& format);      // fast kernel
  at::Tensor (*quantize_ref)(const at::Tensor& x, const Format& format);  // reference loops
};

const FormatTraits& format_traits(FormatKind kind);
// Every row, in FormatKind order.
std::span<const FormatTraits> all_format_traits();

}  // namespace qdse::quant
