// hls4ml precision table from per-layer fixed-point formats.
#include "qdse/io/hls4ml_export.hpp"

#include <functional>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "qdse/core/error.hpp"
#include "qdse/quant/formats/format_traits.hpp"

namespace qdse::io {

std::string ap_fixed(int width, int frac, const std::string& mode) {
  return "ap_fixed<" + std::to_string(width) + "," + std::to_string(width - frac) +
         (mode.empty() ? "" : "," + mode) + ">";
}

namespace {

std::string mode_of(const quant::IntegerFormat& f) {
  std::string q;
  switch (f.rounding) {
    case quant::Rounding::NearestEven: q = "RND_CONV"; break;
    case quant::Rounding::NearestAway: q = "RND_INF"; break;
    case quant::Rounding::Floor: q = "TRN"; break;
    case quant::Rounding::TowardZero: q = "TRN_ZERO"; break;
  }
  const std::string o = f.overflow == quant::Overflow::Saturate ? "SAT" : "WRAP";
  return q == "TRN" && o == "WRAP" ? "" : q + "," + o;
}

// Why one slot's format has no ap_fixed equivalent; "" when it has one (or is float).
std::string hls4ml_slot_problem(const std::string& layer, quant::Slot slot, const std::optional<quant::SlotFormat>& sf) {
  if (!sf || sf->format.is<quant::FloatFormat>()) return "";
  const std::string what = "hls4ml export: layer '" + layer + "' " + std::string(quant::to_string(slot));
  // The format's row says whether ap_fixed can hold it (format_traits.cpp: integer only).
  if (!quant::format_traits(sf->format.kind()).hls4ml_exportable)
    return what + " has format " + quant::describe(sf->format) + "; only fixed-point (integer) formats map to ap_fixed";
  if (sf->auto_frac) return what + " has an unresolved \"auto\" frac width";
  if (!sf->format.as<quant::IntegerFormat>().is_signed)
    return what + " is an unsigned integer format; only signed formats (ap_fixed) are exported";
  return "";
}

// One slot's fixed-point precision; false for a float (unquantized) slot.
bool slot_precision(const std::string& layer, quant::Slot slot, const std::optional<quant::SlotFormat>& sf,
                    int& width, int& frac, std::string& mode) {
  if (!sf || sf->format.is<quant::FloatFormat>()) return false;
  if (auto problem = hls4ml_slot_problem(layer, slot, sf); !problem.empty())
    throw Error(ErrorKind::InvalidArgument, problem);
  const auto& f = sf->format.as<quant::IntegerFormat>();
  width = f.width;
  frac = quant::resolved_frac_width(f);
  mode = mode_of(f);
  return true;
}

void check_width(const LayerPrecision& p, const char* what, int width) {
  // ap_fixed itself allows wider types, but no format qdse searches exceeds 64 bits.
  if (width > 64)
    throw Error(ErrorKind::InvalidArgument, "hls4ml export: layer '" + p.layer + "' " + what +
                                                " width " + std::to_string(width) + " exceeds 64");
}

}  // namespace

std::vector<LayerPrecision> layer_precisions(const ir::Graph& graph, const quant::QuantConfig& config) {
  std::vector<LayerPrecision> out;
  for (const auto& node : graph.nodes()) {
    const quant::NodeQuantConfig* c = config.find(node.name);
    if (!c || !c->quantized()) continue;
    LayerPrecision p;
    p.layer = node.name;
    bool any = slot_precision(node.name, quant::Slot::DataIn, c->data_in, p.data_in_width, p.data_in_frac,
                              p.data_in_mode);
    any |= slot_precision(node.name, quant::Slot::Weight, c->weight, p.weight_width, p.weight_frac,
                          p.weight_mode);
    any |= slot_precision(node.name, quant::Slot::Bias, c->bias, p.bias_width, p.bias_frac, p.bias_mode);
    if (any) out.push_back(std::move(p));
  }
  return out;
}

std::string hls4ml_unsupported(const ir::Graph& graph, const quant::QuantConfig& config) {
  for (const auto& node : graph.nodes()) {
    const quant::NodeQuantConfig* c = config.find(node.name);
    if (!c || !c->quantized()) continue;
    for (const auto slot : {quant::Slot::DataIn, quant::Slot::Weight, quant::Slot::Bias})
      if (auto problem = hls4ml_slot_problem(node.name, slot, c->slot(slot)); !problem.empty()) return problem;
  }
  return "";
}

namespace {

// The table both writers print: per layer (in first-mention order) its precision keys,
// its implementation keys and the conflicts found.
struct Hls4mlTable {
  std::vector<std::string> order;
  std::map<std::string, std::map<std::string, std::string>> precision;
  std::map<std::string, int64_t> reuse_factor;
  std::map<std::string, std::string> strategy;
  std::map<std::string, std::vector<std::string>> notes;
};

// hls4ml's io_parallel Flatten and Reshape alias their input array (no cast): a result
// precision set on one must be set on the layer that produced its input too.
bool hls4ml_alias_op(ir::OpKind op) { return op == ir::OpKind::Flatten || op == ir::OpKind::Reshape; }

Hls4mlTable build_hls4ml_table(const ir::Graph& graph, const std::vector<LayerPrecision>& layers,
                               const Hls4mlExportOptions& options) {
  Hls4mlTable t;
  auto touch = [&](const std::string& layer) {
    if (!t.precision.count(layer)) {
      t.order.push_back(layer);
      t.precision[layer];
    }
  };
  auto set = [&](const std::string& layer, const std::string& key, const std::string& value,
                 const std::string& why) {
    touch(layer);
    auto& slot = t.precision[layer];
    auto it = slot.find(key);
    if (it != slot.end() && it->second != value) {
      // Two consumers of one tensor asked for different formats: keep the first, say so.
      t.notes[layer].push_back(key + ": " + value + " wanted by " + why + ", kept " + it->second);
      return;
    }
    slot[key] = value;
  };
  // The result of the tensor node `src` (or the graph input) feeds; through aliases too.
  std::function<void(int, const std::string&, const std::string&)> set_result = [&](int src, const std::string& value,
                                                                                     const std::string& why) {
    if (src == ir::kGraphInput) return set(options.input_layer, "result", value, why);
    const ir::Node& producer = graph.node(src);
    set(producer.name, "result", value, why);
    if (hls4ml_alias_op(producer.op))
      for (int up : producer.inputs) set_result(up, value, why);
  };
  for (const auto& p : layers) {
    const auto index = graph.find(p.layer);
    if (!index)
      throw Error(ErrorKind::InvalidArgument,
                  "hls4ml export: layer '" + p.layer + "' is not in graph '" + graph.name() + "'");
    check_width(p, "data_in", p.data_in_width);
    check_width(p, "weight", p.weight_width);
    check_width(p, "bias", p.bias_width);
    check_width(p, "accum", p.accum_width);
    touch(p.layer);
    if (p.weight_width > 0)
      set(p.layer, "weight", ap_fixed(p.weight_width, p.weight_frac, p.weight_mode), p.layer);
    if (p.bias_width > 0) set(p.layer, "bias", ap_fixed(p.bias_width, p.bias_frac, p.bias_mode), p.layer);
    if (p.accum_width > 0) set(p.layer, "accum", ap_fixed(p.accum_width, p.accum_frac), p.layer);
    if (p.reuse_factor > 0) t.reuse_factor[p.layer] = p.reuse_factor;
    if (!p.strategy.empty()) t.strategy[p.layer] = p.strategy;
    if (p.data_in_width > 0)
      for (int src : graph.node(*index).inputs)
        set_result(src, ap_fixed(p.data_in_width, p.data_in_frac, p.data_in_mode), p.layer + " (data_in)");
  }
  // A layer whose result no consumer quantizes keeps its exact sum: result = accum.
  for (const auto& p : layers)
    if (p.accum_width > 0 && !t.precision[p.layer].count("result"))
      t.precision[p.layer]["result"] = ap_fixed(p.accum_width, p.accum_frac);
  return t;
}

}  // namespace

std::string hls4ml_precision_table(const ir::Graph& graph, const std::vector<LayerPrecision>& layers,
                                   const Hls4mlExportOptions& options) {
  const Hls4mlTable t = build_hls4ml_table(graph, layers, options);
  std::ostringstream out;
  out << "LayerName:\n";
  for (const auto& layer : t.order) {
    const auto& slot = t.precision.at(layer);
    const bool impl = t.reuse_factor.count(layer) || t.strategy.count(layer);
    if (slot.empty() && !impl) continue;
    out << "  " << layer << ":\n";
    if (!slot.empty()) out << "    Precision:\n";
    for (const char* key : {"weight", "bias", "accum", "result"})
      if (slot.count(key)) out << "      " << key << ": " << slot.at(key) << "\n";
    if (t.notes.count(layer))
      for (const auto& note : t.notes.at(layer)) out << "      # conflict: " << note << "\n";
    if (t.reuse_factor.count(layer)) out << "    ReuseFactor: " << t.reuse_factor.at(layer) << "\n";
    if (t.strategy.count(layer)) out << "    Strategy: " << t.strategy.at(layer) << "\n";
  }
  return out.str();
}

std::string hls4ml_config_json(const ir::Graph& graph, const std::vector<LayerPrecision>& layers,
                               const Hls4mlExportOptions& options) {
  const Hls4mlTable t = build_hls4ml_table(graph, layers, options);
  nlohmann::ordered_json names = nlohmann::ordered_json::object();
  for (const auto& layer : t.order) {
    nlohmann::ordered_json entry = nlohmann::ordered_json::object();
    const auto& slot = t.precision.at(layer);
    if (!slot.empty()) {
      nlohmann::ordered_json precision = nlohmann::ordered_json::object();
      for (const char* key : {"weight", "bias", "accum", "result"})
        if (slot.count(key)) precision[key] = slot.at(key);
      entry["Precision"] = precision;
    }
    if (t.reuse_factor.count(layer)) entry["ReuseFactor"] = t.reuse_factor.at(layer);
    if (t.strategy.count(layer)) entry["Strategy"] = t.strategy.at(layer);
    if (!entry.empty()) names[layer] = entry;
  }
  return nlohmann::ordered_json{{"LayerName", names}}.dump(2) + "\n";
}

}  // namespace qdse::io
