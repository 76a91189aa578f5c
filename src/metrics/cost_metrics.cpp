#include "qdse/metrics/cost_metrics.hpp"

#include "qdse/ir/op_shape.hpp"
#include "qdse/quant/formats/format.hpp"

namespace qdse::metrics {
namespace {

double slot_bits(const std::optional<quant::SlotFormat>& f) {
  return f ? quant::bits_per_element(f->format) : 32.0;
}

}  // namespace

CostModel::CostModel(const ir::Graph& graph) {
  const auto macs = ir::node_macs(graph);
  num_params_ = graph.num_params();
  for (std::size_t i = 0; i < graph.size(); ++i) {
    const auto& node = graph.node(static_cast<int>(i));
    Layer l;
    l.name = node.name;
    l.has_weight = ir::traits(node.op).has_weight;
    if (const auto* w = node.param("weight")) l.weight_numel = w->numel();
    if (const auto* b = node.param("bias")) l.bias_numel = b->numel();
    l.macs = macs[i];
    macs_total_ += macs[i];
    layers_.push_back(l);
  }
}

CostMetrics CostModel::evaluate(const quant::QuantConfig& config) const {
  CostMetrics m;
  double bits = 0;
  for (const auto& l : layers_) {
    const quant::NodeQuantConfig* c = l.has_weight ? config.find(l.name) : nullptr;
    if (!c) {
      bits += 32.0 * static_cast<double>(l.weight_numel + l.bias_numel);
      m.bitops += static_cast<double>(l.macs) * 32.0 * 32.0;
      continue;
    }
    bits += slot_bits(c->weight) * static_cast<double>(l.weight_numel) +
            slot_bits(c->bias) * static_cast<double>(l.bias_numel);
    m.bitops += static_cast<double>(l.macs) * slot_bits(c->data_in) * slot_bits(c->weight);
  }
  m.model_size_bits = bits;
  m.average_bitwidth = num_params_ > 0 ? bits / static_cast<double>(num_params_) : 0.0;
  m.macs = static_cast<double>(macs_total_);
  return m;
}

}  // namespace qdse::metrics
