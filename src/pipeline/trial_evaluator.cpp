#include "qdse/pipeline/trial_evaluator.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>

#include "qdse/core/error.hpp"
#include "qdse/exec/evaluate.hpp"
#include "qdse/quant/formats/format.hpp"
#include "qdse/lower/transform.hpp"

namespace qdse::pipeline {

std::string config_key(const quant::NodeQuantConfig* c) {
  return c && c->quantized() ? quant::describe(*c) : std::string();
}

const std::vector<std::string>& TrialEvaluator::metric_names() {
  static const std::vector<std::string> kNames = {
      "accuracy", "macro_accuracy", "loss", "latency", "latency_per_sample_us",
      "model_size", "model_size_bits", "model_size_bytes", "average_bitwidth",
      "memory_density", "bitops", "macs", "flops"};
  return kNames;
}

TrialEvaluator::TrialEvaluator(const ir::Graph& graph, const at::Tensor& x, const at::Tensor& y,
                               const EvalSettings& settings, std::optional<quant::RangeStats> stats)
    : graph_(graph), settings_(settings), stats_(std::move(stats)), cost_(graph),
      node_macs_(exec::node_macs(graph)) {
  const int64_t n = settings.num_samples > 0 ? std::min(settings.num_samples, x.size(0)) : x.size(0);
  if (n == 0) throw Error(ErrorKind::Config, "the evaluation split has no samples");
  x_ = x.slice(0, 0, n).contiguous();
  y_ = y.slice(0, 0, n).contiguous();
  const int n_nodes = static_cast<int>(graph.size());
  consumers_.assign(n_nodes, 0);
  std::vector<int> last_reader(n_nodes, -1);
  for (int k = 0; k < n_nodes; ++k)
    for (int src : graph.node(k).inputs)
      if (src != ir::kGraphInput) {
        ++consumers_[src];
        last_reader[src] = std::max(last_reader[src], k);
      }
  live_.resize(n_nodes);
  for (int i = 0; i < n_nodes; ++i)
    for (int j = 0; j <= i; ++j)
      if (j == i || last_reader[j] > i) live_[i].push_back(j);
  // Idle buffers kept for reuse: a quarter of the memo budget (at most 256 MiB), taken
  // out of it, so that memo entries plus idle buffers stay within the budget; 64 MiB
  // when the memo is off.
  const int64_t budget = std::max<int64_t>(settings.memo_budget_bytes, 0);
  const int64_t pool_bytes = budget > 0 ? std::min<int64_t>(budget / 4, int64_t{256} << 20) : int64_t{64} << 20;
  memo_limit_ = budget - (budget > 0 ? pool_bytes : 0);
  pool_ = exec::BufferPool::create(pool_bytes);
}

void TrialEvaluator::remember(const std::string& key, std::vector<std::pair<int, at::Tensor>> values,
                              int64_t bytes) {
  if (settings_.memo_budget_bytes <= 0 || bytes > memo_limit_) return;
  lru_.push_front(key);
  memo_[key] = MemoEntry{std::move(values), bytes, lru_.begin()};
  memo_bytes_ += bytes;
  while (memo_bytes_ > memo_limit_ && !lru_.empty()) {
    auto it = memo_.find(lru_.back());
    memo_bytes_ -= it->second.bytes;
    memo_.erase(it);
    lru_.pop_back();
  }
}

const TrialEvaluator::MemoEntry* TrialEvaluator::recall(const std::string& key) {
  auto it = memo_.find(key);
  if (it == memo_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second.lru);
  return &it->second;
}

bool TrialEvaluator::relu_follows(int i, const quant::QuantConfig& resolved) const {
  if (i + 1 >= static_cast<int>(graph_.size()) || i == graph_.output() || consumers_[i] != 1) return false;
  const ir::Node& next = graph_.node(i + 1);
  if (next.op != ir::OpKind::Relu || next.inputs != std::vector<int>{i}) return false;
  const quant::NodeQuantConfig* c = resolved.find(next.name);
  return !c || !c->quantized();
}

at::Tensor TrialEvaluator::integer_forward(int i, const quant::NodeQuantConfig& c,
                                           const std::string& node_key,
                                           const std::vector<std::string>& keys,
                                           const std::vector<at::Tensor>& values, bool fuse_relu) {
  const ir::Node& node = graph_.node(i);
  if (node.op != ir::OpKind::Linear || node.inputs.size() != 1) return {};
  const std::string layer_key = std::to_string(i) + '/' + node_key;
  auto it = integer_layers_.find(layer_key);
  if (it == integer_layers_.end()) it = integer_layers_.emplace(layer_key, exec::IntegerLinear::make(node, c)).first;
  if (!it->second) return {};
  const exec::IntegerLinear& layer = *it->second;
  const int src = node.inputs[0];
  // The input's value is named by its prefix key; its codes by that key and the format.
  const std::string codes_key = "codes:" + (src == ir::kGraphInput ? std::string("<input>") : keys[src]) + '#' +
                                quant::describe(quant::Format{layer.data_format()});
  at::Tensor codes;
  if (const MemoEntry* e = recall(codes_key)) {
    codes = e->values[0].second;
  } else {
    codes = layer.input_codes(src == ir::kGraphInput ? x_ : values[src], pool_.get());
    if (!codes.defined()) return {};  // NaN or an unexpected shape: the float path decides
    remember(codes_key, {{-1, codes}}, static_cast<int64_t>(codes.nbytes()));
  }
  ++integer_nodes_;
  return layer.forward(codes, fuse_relu, pool_.get());
}

std::map<std::string, double> TrialEvaluator::run(const quant::QuantConfig& resolved, int* first_node) {
  torch::NoGradGuard no_grad;
  const int n_nodes = static_cast<int>(graph_.size());
  const int out = graph_.output();
  exec::Plan plan;
  plan.nodes.resize(graph_.size());
  exec::EvalResult r;
  if (settings_.memo_budget_bytes > 0) {
    // Prefix keys: key[i] names the configuration of nodes 0..i.
    std::vector<std::string> node_keys(n_nodes), keys(n_nodes);
    std::string prefix;
    for (int i = 0; i < n_nodes; ++i) {
      node_keys[i] = config_key(resolved.find(graph_.node(i).name));
      prefix += node_keys[i];
      prefix += '|';
      keys[i] = prefix;
    }
    std::vector<at::Tensor> values(n_nodes);
    int start = 0;
    for (int i = out; i >= 0; --i) {
      const MemoEntry* e = recall(keys[i]);
      if (!e) continue;
      for (const auto& [j, t] : e->values) values[j] = t;
      start = i + 1;
      break;
    }
    *first_node = start;
    exec::Executor ex(graph_);
    const auto keep = [&](int i) {
      std::vector<std::pair<int, at::Tensor>> kept;
      for (int j : live_[i]) kept.emplace_back(j, values[j]);
      return kept;
    };
    for (int i = start; i <= out; ++i) {
      const quant::NodeQuantConfig* c = resolved.find(graph_.node(i).name);
      at::Tensor v;
      const bool fuse = c && settings_.integer_kernels && relu_follows(i, resolved);
      if (c && settings_.integer_kernels) v = integer_forward(i, *c, node_keys[i], keys, values, fuse);
      if (v.defined() && fuse) {
        // values[i] (before the ReLU) is never stored: no later node reads it.
        macs_computed_ += node_macs_[i] * x_.size(0);
        ++i;
        values[i] = v;
      } else if (v.defined()) {
        values[i] = v;
      } else {
        if (c) plan.nodes[i] = quant::build_node_override(graph_.node(i), *c);
        ex.forward_range(values, x_, i, i + 1, &plan, false);
      }
      macs_computed_ += node_macs_[i] * x_.size(0);
      if (i < out) remember(keys[i], keep(i), static_cast<int64_t>(values[i].nbytes()));
    }
    r = exec::score_logits(values[out], y_);
  } else {
    *first_node = 0;
    plan = quant::quantize(graph_, resolved);
    exec::EvalOptions eo;
    eo.batch_size = settings_.batch_size;
    r = exec::evaluate(graph_, &plan, x_, y_, eo);
    for (int i = 0; i <= out; ++i) macs_computed_ += node_macs_[i] * x_.size(0);
  }
  std::map<std::string, double> m;
  m["accuracy"] = r.accuracy;
  m["macro_accuracy"] = r.macro_accuracy;
  m["loss"] = r.loss;
  if (settings_.measure_latency) {
    // Whole forward passes of one batch, after one warm-up pass: what deployment sees.
    if (settings_.memo_budget_bytes > 0) plan = quant::quantize(graph_, resolved);
    const at::Tensor xb = x_.slice(0, 0, std::min<int64_t>(settings_.batch_size, x_.size(0)));
    exec::Executor ex(graph_);
    ex.forward(xb, &plan);
    std::vector<double> ms;
    for (int k = 0; k < std::max(1, settings_.latency_repeats); ++k) {
      const auto t0 = std::chrono::steady_clock::now();
      ex.forward(xb, &plan);
      ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    std::nth_element(ms.begin(), ms.begin() + ms.size() / 2, ms.end());
    m["latency"] = ms[ms.size() / 2];
    m["latency_per_sample_us"] = ms[ms.size() / 2] * 1e3 / static_cast<double>(xb.size(0));
  }
  const auto cost = cost_.evaluate(resolved);
  m["model_size_bits"] = cost.model_size_bits;
  m["model_size_bytes"] = cost.model_size_bits / 8.0;
  m["model_size"] = cost.model_size_bits / 8.0;
  m["average_bitwidth"] = cost.average_bitwidth;
  m["memory_density"] = cost.average_bitwidth > 0 ? settings_.compare_to / cost.average_bitwidth : 0;
  m["bitops"] = cost.bitops;
  m["macs"] = cost.macs;
  m["flops"] = 2 * cost.macs;
  return m;
}

TrialOutcome TrialEvaluator::evaluate(const quant::QuantConfig& config) {
  TrialOutcome o;
  o.resolved = quant::resolve_auto_frac(graph_, config, stats_ ? &*stats_ : nullptr);
  std::string key;
  for (const auto& [name, c] : o.resolved.nodes) key += name + ":" + config_key(&c) + ";";
  if (auto it = results_.find(key); it != results_.end()) {
    ++cache_hits_;
    o.metrics = it->second;
    o.cached = true;
    return o;
  }
  o.metrics = run(o.resolved, &o.first_recomputed_node);
  results_[key] = o.metrics;
  return o;
}

const std::map<std::string, double>& TrialEvaluator::float_metrics() {
  if (!float_metrics_) {
    int first = 0;
    float_metrics_ = run(quant::QuantConfig{}, &first);
  }
  return *float_metrics_;
}

}  // namespace qdse::pipeline
