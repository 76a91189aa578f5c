// QuantConfig: which number format each tensor slot of each layer uses.
//
// Slots are MASE's: data_in (the layer's input activations), weight and bias.
// Linear and conv2d have all three; relu, pooling and add accept data_in only;
// other ops are never quantized. A slot without a format stays float.
// parse_node_config() turns one ConfigDict (MASE keys: name, data_in_width,
// data_in_frac_width, weight_width, ...) into formats, checking every key; see
// docs/config.md, section [passes.quantize], for the keys of each format.
// frac_width = "auto" marks a slot whose fractional width is chosen from the
// tensor's range by the transform (range-aware formats; lower/calibration.hpp).
// Thread-safety: plain value types; functions are pure.
#pragma once

#include <array>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "qdse/ir/op_kind.hpp"
#include "qdse/quant/config_value.hpp"
#include "qdse/quant/formats/format.hpp"

namespace qdse::quant {

enum class Slot { DataIn, Weight, Bias };
inline constexpr std::array<Slot, 3> kSlots = {Slot::DataIn, Slot::Weight, Slot::Bias};
std::string_view to_string(Slot slot);  // "data_in", "weight", "bias"

struct SlotFormat {
  Format format;
  bool auto_frac = false;  // integer only: frac chosen from the tensor's range
  bool operator==(const SlotFormat&) const = default;
};

struct NodeQuantConfig {
  std::optional<SlotFormat> data_in, weight, bias;
  const std::optional<SlotFormat>& slot(Slot s) const;
  std::optional<SlotFormat>& slot(Slot s);
  bool quantized() const { return data_in || weight || bias; }
  bool operator==(const NodeQuantConfig&) const = default;
};

// Resolved per node name; nodes absent from the map are not quantized.
struct QuantConfig {
  std::map<std::string, NodeQuantConfig> nodes;
  const NodeQuantConfig* find(const std::string& node) const;
};

// Parses one layer's config. `where` names its origin for errors
// ("config.toml:12 (passes.quantize.linear.config)"). name = "NA" -> nothing quantized.
NodeQuantConfig parse_node_config(const ConfigDict& dict, ir::OpKind op, const std::string& where);

// "integer<8,4>" per slot: "data_in=integer<8,4> weight=integer<4,auto> bias=float".
std::string describe(const NodeQuantConfig& c);

}  // namespace qdse::quant
