#include "qdse/pipeline/trial_evaluator.hpp"

#include <torch/types.h>
#include <torch/utils.h>

#include <algorithm>
#include <chrono>

#include "qdse/core/error.hpp"
#include "qdse/exec/executor.hpp"
#include "qdse/metrics/metric_kind.hpp"
#include "qdse/lower/transform.hpp"

namespace qdse::pipeline {

namespace {

// Samples of the evaluation split that trials use: the first `num_samples` (0 = all).
int64_t evaluated_samples(const at::Tensor& x, const EvalSettings& settings) {
  const int64_t n = settings.num_samples > 0 ? std::min(settings.num_samples, x.size(0)) : x.size(0);
  if (n == 0) throw Error(ErrorKind::Config, "the evaluation split has no samples");
  return n;
}

lower::IncrementalOptions incremental_options(const EvalSettings& settings) {
  lower::IncrementalOptions o;
  // With multi-fidelity the blocks' executors hold the memo; this one only scores the
  // float model once (plain batched passes).
  o.memo_budget_bytes = settings.fidelity.enabled ? 0 : settings.memo_budget_bytes;
  o.batch_size = settings.batch_size;
  o.integer_kernels = settings.integer_kernels;
  return o;
}

}  // namespace

// The metric table's names (metrics/metric_kind.hpp), in its order.
const std::vector<std::string>& TrialEvaluator::metric_names() { return metrics::metric_names(); }

TrialEvaluator::TrialEvaluator(const ir::Graph& graph, const at::Tensor& x, const at::Tensor& y,
                               const EvalSettings& settings, std::optional<quant::RangeStats> stats)
    : graph_(graph),
      y_(y.slice(0, 0, evaluated_samples(x, settings)).contiguous()),
      settings_(settings),
      stats_(std::move(stats)),
      cost_(graph),
      executor_(graph, x.slice(0, 0, y_.size(0)).contiguous(), incremental_options(settings)) {
  if (settings_.hw) hw_cost_.emplace(graph_, *settings_.hw);
  if (settings_.fidelity.enabled) init_rungs(x);
}

std::map<std::string, double> TrialEvaluator::run(const quant::QuantConfig& resolved, int* first_node) {
  const exec::EvalResult r = executor_.evaluate(resolved, y_, first_node);
  std::map<std::string, double> m;
  m["accuracy"] = r.accuracy;
  m["macro_accuracy"] = r.macro_accuracy;
  m["loss"] = r.loss;
  add_other_metrics(resolved, m);
  return m;
}

void TrialEvaluator::add_other_metrics(const quant::QuantConfig& resolved, std::map<std::string, double>& m) {
  if (settings_.measure_latency) {
    // Whole forward passes of one batch, after one warm-up pass: what deployment sees.
    torch::NoGradGuard no_grad;
    const exec::Plan plan = quant::quantize(graph_, resolved);
    const at::Tensor& x = executor_.inputs();
    const at::Tensor xb = x.slice(0, 0, std::min<int64_t>(settings_.batch_size, x.size(0)));
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
  if (hw_cost_)
    for (const auto& [name, value] : hw_cost_->metrics(resolved)) m[name] = value;
}

TrialOutcome TrialEvaluator::evaluate(const quant::QuantConfig& config) {
  if (!rung_ends_.empty()) return evaluate_rung(config, rungs() - 1).outcome;
  TrialOutcome o;
  o.resolved = quant::resolve_auto_frac(graph_, config, stats_ ? &*stats_ : nullptr);
  if (auto it = results_.find(o.resolved); it != results_.end()) {
    ++cache_hits_;
    o.metrics = it->second;
    o.cached = true;
    return o;
  }
  o.metrics = run(o.resolved, &o.first_recomputed_node);
  samples_computed_ += y_.size(0);
  results_.emplace(o.resolved, o.metrics);
  return o;
}

TrialOutcome TrialEvaluator::evaluate_with(const quant::QuantConfig& config, const ImplConfig& impl) {
  TrialOutcome o = evaluate(config);
  if (hw_cost_ && !impl.empty())
    for (const auto& [name, value] : hw_cost_->metrics(o.resolved, impl)) o.metrics[name] = value;
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
