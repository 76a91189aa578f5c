// Overflow-certified hls4ml precisions, data_in clipping and the emulation-check files
// (see hls4ml_certified_export.hpp).
#include "qdse/pipeline/hls4ml_certified_export.hpp"

#include <torch/types.h>
#include <torch/utils.h>

#include <cmath>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

#include "qdse/core/error.hpp"
#include "qdse/core/file_write.hpp"
#include "qdse/exec/executor.hpp"
#include "qdse/hw/overflow_bounds.hpp"
#include "qdse/lower/transform.hpp"
#include "qdse/quant/formats/quantize.hpp"

namespace qdse::pipeline {
namespace {

const quant::IntegerFormat* certify_integer_slot(const std::optional<quant::SlotFormat>& s) {
  if (!s || s->auto_frac) return nullptr;
  return std::get_if<quant::IntegerFormat>(&s->format.params);
}

// The integer codes of `t` quantized to `f` (exact: quantized values sit on the 2^-frac grid).
std::vector<int64_t> certify_codes(const at::Tensor& t, const quant::IntegerFormat& f) {
  torch::NoGradGuard no_grad;
  const at::Tensor q = quant::quantize(t.to(at::kFloat), quant::Format{f}).to(at::kDouble);
  const at::Tensor c =
      (q * std::ldexp(1.0, quant::resolved_frac_width(f))).round().to(at::kLong).contiguous().reshape({-1});
  return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
}

// The accumulator of a linear/conv2d node whose data_in, weight and bias are fixed point;
// nullopt when one is float (no certification: its arithmetic is not fixed point).
std::optional<hw::AccumulatorBound> certify_node(const ir::Node& node, const quant::NodeQuantConfig& c) {
  const auto* fd = certify_integer_slot(c.data_in);
  const auto* fw = certify_integer_slot(c.weight);
  const at::Tensor* w = node.param("weight");
  if (!fd || !fw || !w || w->dim() < 2) return std::nullopt;
  const at::Tensor* b = node.param("bias");
  const quant::IntegerFormat* fb = b ? certify_integer_slot(c.bias) : nullptr;
  if (b && !fb) return std::nullopt;
  const int64_t n_out = w->size(0), n_in = w->numel() / std::max<int64_t>(1, n_out);
  const hw::CodeRange in = hw::fixed_code_range(fd->width, quant::resolved_frac_width(*fd), fd->is_signed);
  return hw::dense_accumulator_bound(node.name, certify_codes(*w, *fw), n_out, n_in, quant::resolved_frac_width(*fw),
                                     fb ? certify_codes(*b, *fb) : std::vector<int64_t>{},
                                     fb ? quant::resolved_frac_width(*fb) : 0, in);
}

// Unbounded codes of x under f's rounding, compared with f's code range.
int64_t count_clipped_values(const at::Tensor& x, const quant::IntegerFormat& f) {
  torch::NoGradGuard no_grad;
  at::Tensor v = x.to(at::kDouble) * std::ldexp(1.0, quant::resolved_frac_width(f));
  switch (f.rounding) {
    case quant::Rounding::NearestEven: v = v.round(); break;  // half to even
    case quant::Rounding::NearestAway: v = v.sign() * (v.abs() + 0.5).floor(); break;
    case quant::Rounding::Floor: v = v.floor(); break;
    case quant::Rounding::TowardZero: v = v.trunc(); break;
  }
  const hw::CodeRange r = hw::fixed_code_range(f.width, 0, f.is_signed);
  return (v.lt(static_cast<double>(r.lo)) | v.gt(static_cast<double>(r.hi))).sum().item<int64_t>();
}

std::string certify_strategy_name(hw::Hls4mlStrategy s) {
  return s == hw::Hls4mlStrategy::Resource ? "Resource" : "Latency";
}

// qdse's logits of `resolved` on `x`, the evaluation's own graph interpreter and plan.
at::Tensor check_dir_logits(const ir::Graph& graph, const quant::QuantConfig& resolved, const at::Tensor& x,
                            int64_t batch_size) {
  torch::NoGradGuard no_grad;
  const exec::Plan plan = quant::quantize(graph, resolved);
  const exec::Executor exec(graph);
  std::vector<at::Tensor> outs;
  for (int64_t s = 0; s < x.size(0); s += batch_size)
    outs.push_back(exec.forward(x.slice(0, s, std::min(x.size(0), s + batch_size)), &plan));
  return torch::cat(outs).to(at::kDouble).contiguous();
}

void check_dir_write_bytes(const std::string& path, const at::Tensor& t) {
  const at::Tensor c = t.contiguous();
  write_file_atomic(path, std::string(static_cast<const char*>(c.data_ptr()), c.nbytes()));
}

nlohmann::json check_dir_values(const at::Tensor& t) {
  const at::Tensor d = t.to(at::kDouble).contiguous();
  if (d.dim() == 1) return std::vector<double>(d.data_ptr<double>(), d.data_ptr<double>() + d.numel());
  nlohmann::json rows = nlohmann::json::array();
  for (int64_t i = 0; i < d.size(0); ++i) rows.push_back(check_dir_values(d[i]));
  return rows;
}

}  // namespace

std::vector<io::LayerPrecision> certified_layer_precisions(const ir::Graph& graph, const quant::QuantConfig& resolved,
                                                           const ImplConfig& impl,
                                                           const std::optional<HwTarget>& target) {
  std::vector<io::LayerPrecision> out = io::layer_precisions(graph, resolved);
  for (auto& p : out) {
    const ir::Node& node = graph.node(*graph.find(p.layer));
    if (node.op != ir::OpKind::Linear && node.op != ir::OpKind::Conv2d) continue;
    const auto layer_impl = impl.find(p.layer);
    const bool hls4ml_target = target && target->backend == HwBackend::Hls4ml;
    if (hls4ml_target || (layer_impl != impl.end() && (layer_impl->second.reuse_factor || layer_impl->second.strategy))) {
      hw::Hls4mlImpl h = hls4ml_target ? target->hls4ml : hw::Hls4mlImpl{};
      if (layer_impl != impl.end()) h = apply_impl(h, layer_impl->second);
      p.reuse_factor = h.reuse_factor;
      p.strategy = certify_strategy_name(h.strategy);
    }
    if (const auto bound = certify_node(node, *resolved.find(p.layer))) {
      p.accum_width = bound->width;
      p.accum_frac = bound->frac;
    }
  }
  return out;
}

std::vector<ClipStat> data_in_clipping(const ir::Graph& graph, const quant::QuantConfig& resolved, const at::Tensor& x,
                                       int64_t batch_size) {
  torch::NoGradGuard no_grad;
  exec::Plan plan = quant::quantize(graph, resolved);
  std::vector<ClipStat> stats;
  std::vector<std::pair<int, quant::IntegerFormat>> slots;
  for (std::size_t i = 0; i < graph.size(); ++i) {
    const quant::NodeQuantConfig* c = resolved.find(graph.node(static_cast<int>(i)).name);
    const quant::IntegerFormat* f = c ? certify_integer_slot(c->data_in) : nullptr;
    if (!f) continue;
    ClipStat s;
    s.layer = graph.node(static_cast<int>(i)).name;
    s.format = io::ap_fixed(f->width, quant::resolved_frac_width(*f));
    stats.push_back(s);
    slots.emplace_back(static_cast<int>(i), *f);
  }
  // Counters live in a shared block the wrapped transforms update, one batch at a time.
  auto counts = std::make_shared<std::vector<std::pair<int64_t, int64_t>>>(slots.size());
  for (std::size_t k = 0; k < slots.size(); ++k) {
    auto& node = plan.nodes[static_cast<std::size_t>(slots[k].first)];
    node.input_transform = [inner = node.input_transform, f = slots[k].second, counts, k](const at::Tensor& t) {
      (*counts)[k].first += t.numel();
      (*counts)[k].second += count_clipped_values(t, f);
      return inner(t);
    };
  }
  const exec::Executor exec(graph);
  for (int64_t s = 0; s < x.size(0); s += std::max<int64_t>(1, batch_size))
    exec.forward(x.slice(0, s, std::min(x.size(0), s + std::max<int64_t>(1, batch_size))), &plan);
  for (std::size_t k = 0; k < slots.size(); ++k) {
    stats[k].values = (*counts)[k].first;
    stats[k].clipped = (*counts)[k].second;
  }
  return stats;
}

int64_t write_hls4ml_check_dir(const std::string& dir, const ir::Graph& graph, const quant::QuantConfig& resolved,
                               const data::Split& split, const CertifiedExport& exported,
                               const io::Hls4mlExportOptions& table, int64_t batch_size) {
  torch::NoGradGuard no_grad;
  nlohmann::json nodes = nlohmann::json::array();  // described before anything is written
  for (const auto& node : graph.nodes()) {
    if (node.op != ir::OpKind::Linear && node.op != ir::OpKind::Relu && node.op != ir::OpKind::Flatten)
      throw Error(ErrorKind::Config, "hls4ml check files: node '" + node.name + "' is a " +
                                         std::string(ir::traits(node.op).name) +
                                         "; the check describes linear, relu and flatten networks only");
    nlohmann::json j = {{"name", node.name}, {"op", std::string(ir::traits(node.op).name)}, {"inputs", node.inputs}};
    if (node.op == ir::OpKind::Linear) {
      const quant::NodeQuantConfig* c = resolved.find(node.name);
      const at::Tensor* w = node.param("weight");
      const at::Tensor* b = node.param("bias");
      // As the evaluation quantizes them (transform.cpp build_node_override).
      j["weight"] = check_dir_values(c && c->weight ? quant::quantize(*w, c->weight->format) : *w);
      if (b) j["bias"] = check_dir_values(c && c->bias ? quant::quantize(*b, c->bias->format) : *b);
    }
    nodes.push_back(j);
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw Error(ErrorKind::Io, "cannot create " + dir + ": " + ec.message());
  const at::Tensor x = split.x.to(at::kFloat).contiguous();
  const nlohmann::json model = {{"graph", graph.name()},
                                {"input_shape", graph.input_shape()},
                                {"input_layer", table.input_layer},
                                {"samples", x.size(0)},
                                {"nodes", nodes}};
  const std::filesystem::path d(dir);
  write_file_atomic((d / "model.json").string(), model.dump() + "\n");
  write_file_atomic((d / "hls4ml_config.json").string(), exported.config_json);
  write_file_atomic((d / "hls4ml.yml").string(), exported.run.yaml);
  check_dir_write_bytes((d / "inputs.f32").string(), x);
  check_dir_write_bytes((d / "labels.i64").string(), split.y.to(at::kLong));
  check_dir_write_bytes((d / "logits.f64").string(), check_dir_logits(graph, resolved, x, batch_size));
  return x.size(0);
}

}  // namespace qdse::pipeline
