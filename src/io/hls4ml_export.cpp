// hls4ml precision table from per-layer fixed-point formats.
#include "qdse/io/hls4ml_export.hpp"

#include <map>
#include <sstream>

#include "qdse/core/error.hpp"

namespace qdse::io {

std::string ap_fixed(int width, int frac) {
  return "ap_fixed<" + std::to_string(width) + "," + std::to_string(width - frac) + ">";
}

namespace {

void check_width(const LayerPrecision& p, const char* what, int width) {
  // ap_fixed itself allows wider types, but no format qdse searches exceeds 64 bits.
  if (width > 64)
    throw Error(ErrorKind::InvalidArgument, "hls4ml export: layer '" + p.layer + "' " + what +
                                                " width " + std::to_string(width) + " exceeds 64");
}

}  // namespace

std::string hls4ml_precision_table(const ir::Graph& graph, const std::vector<LayerPrecision>& layers,
                                   const Hls4mlExportOptions& options) {
  // layer -> (key -> precision), insertion order kept by a separate list.
  std::vector<std::string> order;
  std::map<std::string, std::map<std::string, std::string>> table;
  std::map<std::string, std::vector<std::string>> notes;
  auto set = [&](const std::string& layer, const std::string& key, const std::string& value,
                 const std::string& why) {
    if (!table.count(layer)) order.push_back(layer);
    auto& slot = table[layer];
    auto it = slot.find(key);
    if (it != slot.end() && it->second != value) {
      // Two consumers of one tensor asked for different formats: keep the first, say so.
      notes[layer].push_back(key + ": " + value + " wanted by " + why + ", kept " + it->second);
      return;
    }
    slot[key] = value;
  };
  for (const auto& p : layers) {
    const auto index = graph.find(p.layer);
    if (!index)
      throw Error(ErrorKind::InvalidArgument,
                  "hls4ml export: layer '" + p.layer + "' is not in graph '" + graph.name() + "'");
    check_width(p, "data_in", p.data_in_width);
    check_width(p, "weight", p.weight_width);
    check_width(p, "bias", p.bias_width);
    if (!table.count(p.layer)) {
      order.push_back(p.layer);
      table[p.layer];
    }
    if (p.weight_width > 0) set(p.layer, "weight", ap_fixed(p.weight_width, p.weight_frac), p.layer);
    if (p.bias_width > 0) set(p.layer, "bias", ap_fixed(p.bias_width, p.bias_frac), p.layer);
    if (p.data_in_width > 0)
      for (int src : graph.node(*index).inputs) {
        const std::string producer = src == ir::kGraphInput ? options.input_layer : graph.node(src).name;
        set(producer, "result", ap_fixed(p.data_in_width, p.data_in_frac), p.layer + " (data_in)");
      }
  }
  std::ostringstream out;
  out << "LayerName:\n";
  for (const auto& layer : order) {
    const auto& slot = table[layer];
    if (slot.empty()) continue;
    out << "  " << layer << ":\n    Precision:\n";
    for (const char* key : {"weight", "bias", "result"})
      if (slot.count(key)) out << "      " << key << ": " << slot.at(key) << "\n";
    for (const auto& note : notes[layer]) out << "      # conflict: " << note << "\n";
  }
  return out.str();
}

}  // namespace qdse::io
