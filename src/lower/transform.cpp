#include "qdse/lower/transform.hpp"

#include <torch/types.h>
#include <torch/utils.h>

#include "qdse/core/error.hpp"
#include "qdse/quant/formats/integer_reference.hpp"
#include "qdse/quant/formats/quantize.hpp"

namespace qdse::quant {

bool uses_auto_frac(const QuantConfig& config) {
  for (const auto& [name, c] : config.nodes)
    for (Slot s : kSlots)
      if (c.slot(s) && c.slot(s)->auto_frac) return true;
  return false;
}

QuantConfig resolve_auto_frac(const ir::Graph& graph, const QuantConfig& config,
                              const RangeStats* stats) {
  QuantConfig out = config;
  for (auto& [name, c] : out.nodes) {
    const auto index = graph.find(name);
    QDSE_ASSERT(index.has_value(), "quant config names a node missing from the graph: " + name);
    for (Slot s : kSlots) {
      auto& f = c.slot(s);
      if (!f || !f->auto_frac) continue;
      if (!stats)
        throw Error(ErrorKind::Config, "frac_width = \"auto\" on node '" + name +
                                           "' needs range statistics (calibration data)");
      auto& fmt = std::get<IntegerFormat>(f->format.params);
      const double absmax = s == Slot::DataIn   ? stats->input_absmax.at(*index)
                            : s == Slot::Weight ? stats->weight_absmax.at(*index)
                                                : stats->bias_absmax.at(*index);
      fmt.frac_width = auto_frac_width(fmt.width, absmax, fmt.is_signed);
      f->auto_frac = false;
    }
  }
  return out;
}

bool needs_float64(const ir::Node& node, const NodeQuantConfig& c) {
  if (!ir::traits(node.op).has_weight || !c.data_in || !c.weight) return false;
  const auto* di = std::get_if<IntegerFormat>(&c.data_in->format.params);
  const auto* wi = std::get_if<IntegerFormat>(&c.weight->format.params);
  if (!di || !wi) return false;
  const at::Tensor* w = node.param("weight");
  if (!w || w->size(0) == 0) return false;
  const int64_t fan_in = w->numel() / w->size(0);
  // The exactness rule bounds signed codes by 2^(w-1); an unsigned w-bit code reaches
  // 2^w - 1, which the signed bound of width w + 1 covers.
  const auto magnitude_width = [](const IntegerFormat& f) { return f.is_signed ? f.width : f.width + 1; };
  int bw = 0, bf = 0;
  if (c.bias)
    if (const auto* bi = std::get_if<IntegerFormat>(&c.bias->format.params)) {
      bw = magnitude_width(*bi);
      bf = resolved_frac_width(*bi);
    }
  return !float32_accumulation_exact(magnitude_width(*di), resolved_frac_width(*di), magnitude_width(*wi),
                                     resolved_frac_width(*wi), fan_in, bw, bf);
}

exec::NodeOverride build_node_override(const ir::Node& node, const NodeQuantConfig& c) {
  exec::NodeOverride o;
  torch::NoGradGuard no_grad;
  if (c.weight)
    if (const at::Tensor* w = node.param("weight")) o.weight = quant::quantize(*w, c.weight->format);
  if (c.bias)
    if (const at::Tensor* b = node.param("bias")) o.bias = quant::quantize(*b, c.bias->format);
  if (c.data_in) {
    const Format f = c.data_in->format;
    o.input_transform = [f](const at::Tensor& x) { return quant::quantize(x, f); };
  }
  o.float64 = needs_float64(node, c);
  return o;
}

exec::Plan quantize(const ir::Graph& graph, const QuantConfig& config) {
  QDSE_ASSERT(!uses_auto_frac(config), "resolve_auto_frac() must run before quantize()");
  exec::Plan plan;
  plan.nodes.resize(graph.size());
  for (const auto& [name, c] : config.nodes) {
    const auto index = graph.find(name);
    if (!index) throw Error(ErrorKind::Config, "quant config names node '" + name + "', which the graph lacks");
    plan.nodes[*index] = build_node_override(graph.node(*index), c);
  }
  return plan;
}

}  // namespace qdse::quant
