#include "qdse/quant/quant_config.hpp"

#include <set>
#include <vector>

#include "qdse/core/error.hpp"
#include "qdse/quant/formats/format_traits.hpp"

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

// One slot's keys ("<slot>_<suffix>") as a format's row reads them. A row may read
// only the suffixes it lists, so its `keys` are exactly what the config accepts.
class DictSlotKeys final : public SlotKeys {
 public:
  DictSlotKeys(DictReader& r, const FormatTraits& t, const std::string& slot, const std::string& where)
      : r_(r), traits_(t), slot_(slot), where_(where) {}

  bool has(std::string_view s) override { return r_.get(key(s)) != nullptr; }
  std::optional<int64_t> integer(std::string_view s) override { return r_.integer(key(s)); }
  std::optional<bool> boolean(std::string_view s) override { return r_.boolean(key(s)); }
  std::optional<double> number(std::string_view s) override { return r_.number(key(s)); }
  std::optional<std::string> string(std::string_view s) override { return r_.string(key(s)); }
  std::optional<int> int_na_auto(std::string_view s, bool* is_auto) override {
    return r_.int_na_auto(key(s), is_auto);
  }
  std::optional<std::string> layer_string(std::string_view k) override { return r_.string(std::string(k)); }
  [[noreturn]] void fail(std::string_view s, const std::string& rule) override { throw r_.fail(key(s), rule); }
  const std::string& where() const override { return where_; }

 private:
  std::string key(std::string_view suffix) const {
    bool listed = false;
    for (std::string_view k : traits_.keys) listed = listed || k == suffix;
    QDSE_ASSERT(listed, "format " + std::string(traits_.name) + " reads unlisted key suffix " +
                            std::string(suffix));
    return slot_ + "_" + std::string(suffix);
  }

  DictReader& r_;
  const FormatTraits& traits_;
  const std::string& slot_;
  const std::string& where_;
};

std::optional<SlotFormat> parse_slot(DictReader& r, FormatKind kind, const std::string& p,
                                     bool required, const std::string& where,
                                     const std::optional<SlotFormat>& fallback) {
  const FormatTraits& t = format_traits(kind);
  if (!t.parse_keys) return std::nullopt;  // float: nothing to read
  DictSlotKeys keys(r, t, p, where);
  if (!required && t.omitted_slot != OmittedSlot::NeverOmitted && !keys.has("width")) {
    // MASE configs may omit the bias: it follows the weight's format.
    if (t.omitted_slot == OmittedSlot::KeysIgnored)
      for (std::string_view k : t.keys) keys.has(k);
    return fallback;
  }
  SlotFormat out{Format{FloatFormat{}}, false};
  out.format = t.parse_keys(keys, out.auto_frac);
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
  if (!ir::quantizable(t))
    throw Error(ErrorKind::Config, "op type `" + std::string(t.name) + "` has nothing to quantize (" +
                                       std::string(t.float_reason) + "); give it name = \"NA\" (" + where + ")");
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
