#include "qdse/quant/quant_config.hpp"

#include <set>
#include <vector>

#include "qdse/core/error.hpp"

namespace qdse::quant {
namespace {

// Reads typed keys from a ConfigDict, remembering which keys were valid for the
// format at hand so leftovers (typos, keys of another format) become errors.
class DictReader {
 public:
  DictReader(const ConfigDict& d, const std::string& where) : d_(d), where_(where) {}

  const ConfigValue* get(const std::string& key) {
    valid_.push_back(key);
    auto it = d_.find(key);
    return it == d_.end() ? nullptr : &it->second;
  }
  std::optional<int64_t> integer(const std::string& key) {
    const ConfigValue* v = get(key);
    if (!v) return std::nullopt;
    if (auto* i = std::get_if<int64_t>(v)) return *i;
    throw fail(key, "must be an integer, got " + to_string(*v));
  }
  std::optional<bool> boolean(const std::string& key) {
    const ConfigValue* v = get(key);
    if (!v) return std::nullopt;
    if (auto* b = std::get_if<bool>(v)) return *b;
    throw fail(key, "must be true or false, got " + to_string(*v));
  }
  std::optional<double> number(const std::string& key) {
    const ConfigValue* v = get(key);
    if (!v) return std::nullopt;
    if (auto* d = std::get_if<double>(v)) return *d;
    if (auto* i = std::get_if<int64_t>(v)) return static_cast<double>(*i);
    throw fail(key, "must be a number, got " + to_string(*v));
  }
  std::optional<std::string> string(const std::string& key) {
    const ConfigValue* v = get(key);
    if (!v) return std::nullopt;
    if (auto* s = std::get_if<std::string>(v)) return *s;
    throw fail(key, "must be a string, got " + to_string(*v));
  }
  // An int, or "NA" (nullopt), or "auto" (sets *is_auto) when allowed.
  std::optional<int> int_na_auto(const std::string& key, bool* is_auto) {
    const ConfigValue* v = get(key);
    if (!v) return std::nullopt;
    if (auto* i = std::get_if<int64_t>(v)) {
      if (*i < -1000 || *i > 1000) throw fail(key, "is out of range: " + std::to_string(*i));
      return static_cast<int>(*i);
    }
    if (auto* s = std::get_if<std::string>(v)) {
      if (*s == "NA") return std::nullopt;
      if (*s == "auto" && is_auto) {
        *is_auto = true;
        return std::nullopt;
      }
    }
    throw fail(key, std::string("must be an integer or \"NA\"") + (is_auto ? " or \"auto\"" : "") +
                        ", got " + to_string(*v));
  }
  Error fail(const std::string& key, const std::string& rule) const {
    return Error(ErrorKind::Config, "`" + key + "` " + rule + " (" + where_ + ")");
  }
  // Accepts every present key starting with `prefix` (slots the op does not have).
  void accept_prefix(const std::string& prefix) {
    for (const auto& [k, v] : d_)
      if (k.rfind(prefix, 0) == 0) valid_.push_back(k);
  }
  void reject_unknown() const {
    for (const auto& [k, v] : d_) {
      bool ok = false;
      for (const auto& a : valid_) ok = ok || a == k;
      if (ok) continue;
      std::string list;
      std::set<std::string> seen;
      for (const auto& a : valid_)
        if (seen.insert(a).second) list += (list.empty() ? "" : ", ") + a;
      throw Error(ErrorKind::Config, "unknown key `" + k + "` for this layer and format; valid keys: " +
                                         list + " (" + where_ + ")");
    }
  }

 private:
  const ConfigDict& d_;
  std::string where_;
  std::vector<std::string> valid_;
};

int require_width(DictReader& r, const std::string& key) {
  auto w = r.integer(key);
  if (!w) throw r.fail(key, "is required for this format");
  if (*w < 1 || *w > 32) throw r.fail(key, "must be in [1, 32], got " + std::to_string(*w));
  return static_cast<int>(*w);
}

std::optional<SlotFormat> parse_slot(DictReader& r, FormatKind kind, const std::string& p,
                                     bool required, const std::string& where,
                                     const std::optional<SlotFormat>& fallback) {
  SlotFormat out{Format{FloatFormat{}}, false};
  const bool width_optional = kind == FormatKind::Binary || kind == FormatKind::Ternary;
  if (!required && !width_optional && kind != FormatKind::Integer && !r.get(p + "_width"))
    return fallback;  // e.g. no bias keys: the bias follows the weight's format
  switch (kind) {
    case FormatKind::Integer: {
      IntegerFormat f;
      const bool has_width = r.get(p + "_width") != nullptr;
      if (!has_width && !required) {
        // MASE configs may omit the bias: it follows the weight's format.
        r.get(p + "_frac_width");
        r.get(p + "_rounding");
        r.get(p + "_overflow");
        r.get(p + "_signed");
        return fallback;
      }
      f.width = require_width(r, p + "_width");
      f.frac_width = r.int_na_auto(p + "_frac_width", &out.auto_frac);
      const auto rounding = r.string(p + "_rounding");
      const auto overflow = r.string(p + "_overflow");
      if (rounding) f.rounding = parse_rounding(*rounding, where);
      else if (auto lr = r.string("rounding")) f.rounding = parse_rounding(*lr, where);
      if (overflow) f.overflow = parse_overflow(*overflow, where);
      else if (auto lo = r.string("overflow")) f.overflow = parse_overflow(*lo, where);
      f.is_signed = r.boolean(p + "_signed").value_or(true);
      out.format = Format{f};
      break;
    }
    case FormatKind::Minifloat: {
      MinifloatFormat f;
      const int width = require_width(r, p + "_width");
      f.exponent_width = static_cast<int>(r.integer(p + "_exponent_width").value_or(4));
      f.mantissa_width = width - 1 - f.exponent_width;
      f.exponent_bias = r.int_na_auto(p + "_exponent_bias", nullptr);
      f.denormals = r.boolean(p + "_denormals").value_or(true);
      f.ieee_like = r.boolean(p + "_ieee_like").value_or(false);
      if (f.mantissa_width < 0)
        throw r.fail(p + "_exponent_width", "leaves no room for the sign in " + std::to_string(width) + " bits");
      out.format = Format{f};
      break;
    }
    case FormatKind::BlockFp: {
      BlockFpFormat f;
      f.mantissa_width = require_width(r, p + "_width") - 1;  // width includes the sign
      f.exponent_width = static_cast<int>(r.integer(p + "_exponent_width").value_or(8));
      f.exponent_bias = r.int_na_auto(p + "_exponent_bias", nullptr);
      f.block_size = static_cast<int>(r.integer(p + "_block_size").value_or(16));
      f.block_dim = static_cast<int>(r.integer(p + "_block_dim").value_or(-1));
      out.format = Format{f};
      break;
    }
    case FormatKind::Log: {
      LogFormat f;
      f.exponent_width = require_width(r, p + "_width") - 1;  // width includes the sign
      f.exponent_bias = r.int_na_auto(p + "_exponent_bias", nullptr);
      f.has_zero = r.boolean(p + "_has_zero").value_or(false);
      out.format = Format{f};
      break;
    }
    case FormatKind::Binary: {
      BinaryFormat f;
      if (auto w = r.integer(p + "_width"); w && *w != 1) throw r.fail(p + "_width", "must be 1 for binary");
      f.scaled = r.boolean(p + "_scaled").value_or(false);
      out.format = Format{f};
      break;
    }
    case FormatKind::Ternary: {
      TernaryFormat f;
      if (auto w = r.integer(p + "_width"); w && *w != 2) throw r.fail(p + "_width", "must be 2 for ternary");
      if (auto t = r.number(p + "_threshold")) f.threshold = *t;
      f.scaled = r.boolean(p + "_scaled").value_or(false);
      out.format = Format{f};
      break;
    }
    case FormatKind::Float:
      return std::nullopt;
  }
  validate(out.format, where, p + "_");
  return out;
}

}  // namespace

std::string_view to_string(Slot slot) {
  switch (slot) {
    case Slot::DataIn: return "data_in";
    case Slot::Weight: return "weight";
    case Slot::Bias: return "bias";
  }
  return "?";
}

const std::optional<SlotFormat>& NodeQuantConfig::slot(Slot s) const {
  return s == Slot::DataIn ? data_in : s == Slot::Weight ? weight : bias;
}
std::optional<SlotFormat>& NodeQuantConfig::slot(Slot s) {
  return s == Slot::DataIn ? data_in : s == Slot::Weight ? weight : bias;
}

const NodeQuantConfig* QuantConfig::find(const std::string& node) const {
  auto it = nodes.find(node);
  return it == nodes.end() ? nullptr : &it->second;
}

NodeQuantConfig parse_node_config(const ConfigDict& dict, ir::OpKind op, const std::string& where) {
  DictReader r(dict, where);
  const auto name = r.string("name");
  if (!name) throw r.fail("name", "is required (a format name, or \"NA\" for not quantized)");
  NodeQuantConfig out;
  // "NA" leaves the layer float; its other keys are ignored (a search space may
  // offer name = ["integer", "NA"] beside width choices, as MASE allows).
  if (*name == "NA") return out;
  const FormatKind kind = parse_format_kind(*name, where);
  const auto& t = ir::traits(op);
  if (!t.has_weight && !t.data_quantizable)
    throw Error(ErrorKind::Config, "op type `" + std::string(t.name) +
                                       "` has nothing to quantize; give it name = \"NA\" (" + where + ")");
  r.get("rounding");
  r.get("overflow");
  // One default table serves every op: weight/bias keys mean nothing to a relu.
  if (!t.has_weight) {
    r.accept_prefix("weight_");
    r.accept_prefix("bias_");
  }
  if (kind != FormatKind::Float) {
    if (t.data_quantizable) out.data_in = parse_slot(r, kind, "data_in", true, where, std::nullopt);
    if (t.has_weight) {
      out.weight = parse_slot(r, kind, "weight", true, where, std::nullopt);
      out.bias = parse_slot(r, kind, "bias", false, where, out.weight);
    }
  }
  r.reject_unknown();
  return out;
}

std::string describe(const NodeQuantConfig& c) {
  std::string out;
  for (Slot s : kSlots) {
    const auto& f = c.slot(s);
    if (!f) continue;
    std::string d = quant::describe(f->format);
    if (f->auto_frac) {
      // "integer<8,NA>" -> "integer<8,auto>"
      const auto comma = d.rfind(',');
      if (comma != std::string::npos) d = d.substr(0, comma) + ",auto>";
    }
    out += (out.empty() ? "" : " ") + std::string(to_string(s)) + "=" + d;
  }
  return out.empty() ? "float" : out;
}

}  // namespace qdse::quant
