#include "qdse/pipeline/trial_evaluator.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>

#include "qdse/core/error.hpp"
#include "qdse/exec/evaluate.hpp"
#include "qdse/quant/transform.hpp"

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
}

void TrialEvaluator::remember(const std::string& key, std::vector<at::Tensor> values, int64_t bytes) {
  if (settings_.memo_budget_bytes <= 0 || bytes > settings_.memo_budget_bytes) return;
  lru_.push_front(key);
  memo_[key] = MemoEntry{std::move(values), bytes, lru_.begin()};
  memo_bytes_ += bytes;
  while (memo_bytes_ > settings_.memo_budget_bytes && !lru_.empty()) {
    auto it = memo_.find(lru_.back());
    memo_bytes_ -= it->second.bytes;
    memo_.erase(it);
    lru_.pop_back();
  }
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
    std::vector<std::string> keys(n_nodes);
    std::string prefix;
    for (int i = 0; i < n_nodes; ++i) {
      prefix += config_key(resolved.find(graph_.node(i).name));
      prefix += '|';
      keys[i] = prefix;
    }
    std::vector<at::Tensor> values(n_nodes);
    int start = 0;
    for (int i = out; i >= 0; --i) {
      auto it = memo_.find(keys[i]);
      if (it == memo_.end()) continue;
      lru_.splice(lru_.begin(), lru_, it->second.lru);
      std::copy(it->second.values.begin(), it->second.values.end(), values.begin());
      start = i + 1;
      break;
    }
    *first_node = start;
    for (int i = start; i <= out; ++i)
      if (const auto* c = resolved.find(graph_.node(i).name))
        plan.nodes[i] = quant::build_node_override(graph_.node(i), *c);
    exec::Executor ex(graph_);
    for (int i = start; i <= out; ++i) {
      ex.forward_range(values, x_, i, i + 1, &plan, false);
      macs_computed_ += node_macs_[i] * x_.size(0);
      if (i < out)
        remember(keys[i], std::vector<at::Tensor>(values.begin(), values.begin() + i + 1),
                 static_cast<int64_t>(values[i].nbytes()));
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
