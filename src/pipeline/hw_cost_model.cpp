// HwCostModel: a trial's FPGA metrics through the hw layer; see
// include/qdse/pipeline/hw_cost_model.hpp.
#include "qdse/pipeline/hw_cost_model.hpp"

#include "qdse/core/error.hpp"
#include "qdse/hw/resources.hpp"
#include "qdse/ir/op_shape.hpp"
#include "qdse/quant/formats/format.hpp"

namespace qdse::pipeline {
namespace {

// A check of the hw layer failed for this target: the same message, located at the table.
[[noreturn]] void hw_target_error(const HwTarget& target, const std::string& message) {
  throw Error(ErrorKind::Config, message + " (" + target.where + ")");
}

// One slot as ap_fixed: the integer format's width and integer bits (width - frac); a
// float slot is hls4ml's default precision. Other formats have no fixed-point hardware.
hw::FixedType hw_fixed_of(const std::string& layer, quant::Slot slot, const std::optional<quant::SlotFormat>& sf) {
  if (!sf || sf->format.is<quant::FloatFormat>()) return hw_default_precision();
  if (!sf->format.is<quant::IntegerFormat>())
    throw Error(ErrorKind::Config, "hw metrics: layer '" + layer + "' " + std::string(quant::to_string(slot)) +
                                       " has format " + quant::describe(sf->format) +
                                       "; the FPGA cost models take fixed-point (integer) formats only");
  const auto& f = sf->format.as<quant::IntegerFormat>();
  const int frac = quant::resolved_frac_width(f);
  return hw::FixedType{f.width, f.width - frac, f.is_signed};
}

// The hw layer's view of a linear/conv2d node whose one-sample output shape is `out`.
hw::LayerShape hw_shape_of(const ir::Node& node, const ir::Shape& out, const HwTarget& target) {
  if (node.op == ir::OpKind::Linear) {
    if (out.size() != 1)
      hw_target_error(target, "hw metrics: layer '" + node.name +
                                  "' is a linear layer over a batch of rows (output shape of rank " +
                                  std::to_string(out.size()) + "); the cost models take a vector input");
    return hw::dense_shape(node.name, node.attrs.in_features, node.attrs.out_features);
  }
  if (node.attrs.groups != 1)
    hw_target_error(target, "hw metrics: layer '" + node.name + "' is a grouped conv2d (groups = " +
                                std::to_string(node.attrs.groups) + "), which the cost models do not cover");
  const auto& k = node.attrs.kernel;
  return hw::conv2d_shape(node.name, node.attrs.in_channels, node.attrs.out_channels, k.at(0), k.at(1), out.at(1),
                          out.at(2));
}

}  // namespace

std::string_view to_string(HwBackend backend) { return backend == HwBackend::Hls4ml ? "hls4ml" : "finn"; }

nlohmann::json hw_target_json(const HwTarget& t) {
  const hw::Device& d = t.device;
  nlohmann::json j = {{"backend", std::string(to_string(t.backend))},
                      {"device",
                       {{"name", d.name}, {"dsp_slice", d.dsp_slice.name}, {"lut", d.lut}, {"ff", d.ff},
                        {"dsp", d.dsp}, {"bram18", d.bram18}, {"uram", d.uram}}},
                      {"clock_ns", t.clock_ns}};
  if (t.backend == HwBackend::Hls4ml) {
    j["strategy"] = t.hls4ml.strategy == hw::Hls4mlStrategy::Latency ? "latency" : "resource";
    j["reuse_factor"] = t.hls4ml.reuse_factor;
  } else {
    j["pe"] = t.finn.pe;
    j["simd"] = t.finn.simd;
    j["res_type"] = t.finn.res_type == hw::FinnResType::Lut ? "lut" : "dsp";
  }
  return j;
}

hw::FixedType hw_default_precision() { return hw::FixedType{16, 6, true}; }

HwCostModel::HwCostModel(const ir::Graph& graph, HwTarget target) : graph_(graph), target_(std::move(target)) {
  const auto shapes = ir::infer_shapes(graph);
  for (std::size_t i = 0; i < graph.size(); ++i) {
    const auto& node = graph.node(static_cast<int>(i));
    if (node.op != ir::OpKind::Linear && node.op != ir::OpKind::Conv2d) continue;
    Layer l;
    l.node = static_cast<int>(i);
    l.shape = hw_shape_of(node, shapes[i], target_);
    for (std::size_t j = i + 1; j < graph.size() && l.consumer < 0; ++j)
      for (int in : graph.node(static_cast<int>(j)).inputs)
        if (in == static_cast<int>(i)) l.consumer = static_cast<int>(j);
    // Shape and implementation parameters are known now: refuse them before any trial.
    try {
      if (target_.backend == HwBackend::Hls4ml)
        hw::check_hls4ml_impl(l.shape, target_.hls4ml);
      else
        hw::check_finn_impl(l.shape, target_.finn, target_.device);
    } catch (const Error& e) {
      hw_target_error(target_, e.what());
    }
    layers_.push_back(std::move(l));
  }
  if (layers_.empty())
    hw_target_error(target_, "hw metrics: graph '" + graph.name() + "' has no linear or conv2d layer to cost");
}

void HwCostModel::check_impl(const std::string& node, const LayerImpl& impl, const std::string& where) const {
  const bool hls4ml = target_.backend == HwBackend::Hls4ml;
  const bool other_backend = hls4ml ? (impl.pe || impl.simd) : (impl.reuse_factor || impl.strategy);
  if (other_backend)
    throw Error(ErrorKind::Config, std::string(hls4ml ? "`pe`/`simd` are" : "`reuse_factor`/`strategy` are") +
                                       " not parameters of the " + std::string(to_string(target_.backend)) +
                                       " back end of [search.strategy.hw_runner.fpga] (" + where + ")");
  for (const auto& l : layers_) {
    if (graph_.node(l.node).name != node) continue;
    try {
      if (hls4ml)
        hw::check_hls4ml_impl(l.shape, apply_impl(target_.hls4ml, impl));
      else
        hw::check_finn_impl(l.shape, apply_impl(target_.finn, impl), target_.device);
    } catch (const Error& e) {
      throw Error(ErrorKind::Config, std::string(e.what()) + " (" + where + ")");
    }
    return;
  }
  throw Error(ErrorKind::Config, "layer '" + node +
                                     "' is not costed by the FPGA models (linear and conv2d layers only), so it has "
                                     "no implementation parameters (" + where + ")");
}

std::vector<hw::LayerCost> HwCostModel::layer_costs(const quant::QuantConfig& resolved,
                                                    const ImplConfig& impl) const {
  std::vector<hw::LayerCost> out;
  out.reserve(layers_.size());
  for (const auto& l : layers_) {
    const auto& node = graph_.node(l.node);
    const quant::NodeQuantConfig* c = resolved.find(node.name);
    const quant::NodeQuantConfig none;
    const quant::NodeQuantConfig& q = c ? *c : none;
    hw::LayerFormats f;
    f.data = hw_fixed_of(node.name, quant::Slot::DataIn, q.data_in);
    f.weight = hw_fixed_of(node.name, quant::Slot::Weight, q.weight);
    f.has_bias = node.param("bias") != nullptr;
    f.bias = f.has_bias ? hw_fixed_of(node.name, quant::Slot::Bias, q.bias) : hw_default_precision();
    f.output = hw_default_precision();
    if (l.consumer >= 0) {
      const auto& reader = graph_.node(l.consumer);
      if (const quant::NodeQuantConfig* rc = resolved.find(reader.name))
        f.output = hw_fixed_of(reader.name, quant::Slot::DataIn, rc->data_in);
    }
    const auto own = impl.find(node.name);
    const LayerImpl& li = own != impl.end() ? own->second : LayerImpl{};
    hw::Cost cost = target_.backend == HwBackend::Hls4ml
                        ? hw::hls4ml_layer_cost(l.shape, f, apply_impl(target_.hls4ml, li), target_.device)
                        : hw::finn_mvau_cost(l.shape, f, apply_impl(target_.finn, li), target_.device);
    out.push_back(hw::LayerCost{node.name, cost});
  }
  return out;
}

std::map<std::string, double> HwCostModel::metrics_of(const std::vector<hw::LayerCost>& layers) const {
  const hw::NetworkCost net = hw::network_cost(layers);
  const hw::Cost& t = net.total;
  const hw::Device& d = target_.device;
  std::map<std::string, double> m;
  auto put = [&](const std::string& name, int64_t used, int64_t available) {
    m[name] = static_cast<double>(used);
    // A device without the resource (URAM on a 7-series part): the config refuses the
    // utilization metric, so it is only left out here.
    if (available > 0) m[name + "_utilization"] = static_cast<double>(used) / static_cast<double>(available);
  };
  for (const hw::Resource& r : hw::kResources) {
    if (r.used == &hw::Cost::ff && !t.ff_estimated) continue;  // FINN has no FF rule: no figure rather than 0
    put(std::string(r.metric), t.*r.used, d.*r.available);
  }
  m["latency_cycles"] = static_cast<double>(t.latency_cycles);
  m["latency_ns"] = static_cast<double>(t.latency_cycles) * target_.clock_ns;
  m["ii"] = static_cast<double>(t.ii);
  return m;
}

std::map<std::string, double> HwCostModel::metrics(const quant::QuantConfig& resolved, const ImplConfig& impl) const {
  return metrics_of(layer_costs(resolved, impl));
}

}  // namespace qdse::pipeline
