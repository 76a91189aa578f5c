// Quantization-aware fine-tuning; see include/qdse/train/finetune.hpp.
#include "qdse/train/finetune.hpp"

#include <torch/types.h>
#include <torch/utils.h>
#include <torch/nn.h>
#include <torch/optim.h>

#include <chrono>
#include <cmath>
#include <algorithm>
#include <memory>
#include <numbers>

#include "qdse/core/error.hpp"
#include "qdse/exec/evaluate.hpp"
#include "qdse/lower/transform.hpp"
#include "qdse/quant/formats/quantize.hpp"
#include "qdse/train/ste.hpp"

namespace qdse::train {
namespace {

// Cosine decay from lr0 at step 0 to 0 after `total` steps.
double finetune_cosine_lr(double lr0, int64_t step, int64_t total) {
  if (total <= 0) return lr0;
  return 0.5 * lr0 * (1.0 + std::cos(std::numbers::pi * static_cast<double>(step) / static_cast<double>(total)));
}

void finetune_set_lr(torch::optim::Optimizer& opt, double lr) {
  for (auto& group : opt.param_groups()) group.options().set_lr(lr);
}

// The graph leaves fine-tuning as it came: plain tensors, no gradient kept.
void finetune_release_params(std::vector<at::Tensor>& params) {
  for (auto& p : params) {
    p.mutable_grad() = at::Tensor();
    p.set_requires_grad(false);
  }
}

}  // namespace

double LearnedStep::learned() const { return step.defined() ? step.item<double>() : initial; }

int frac_width_of_step(double step) {
  if (!(step > 0) || !std::isfinite(step)) return quant::kMaxFracWidth;
  const double f = std::round(-std::log2(step));
  return static_cast<int>(std::clamp(f, static_cast<double>(quant::kMinFracWidth),
                                     static_cast<double>(quant::kMaxFracWidth)));
}

exec::Plan ste_plan(const ir::Graph& graph, const quant::QuantConfig& config, const std::vector<LearnedStep>* steps) {
  QDSE_ASSERT(!quant::uses_auto_frac(config), "resolve_auto_frac() must run before ste_plan()");
  const auto learned_step = [steps](const std::string& node, quant::Slot slot) -> const LearnedStep* {
    if (steps)
      for (const auto& s : *steps)
        if (s.node == node && s.slot == slot) return &s;
    return nullptr;
  };
  exec::Plan plan;
  plan.nodes.resize(graph.size());
  for (const auto& [name, c] : config.nodes) {
    const auto index = graph.find(name);
    if (!index) throw Error(ErrorKind::Config, "quant config names node '" + name + "', which the graph lacks");
    const ir::Node& node = graph.node(*index);
    exec::NodeOverride& o = plan.nodes[*index];
    if (c.weight)
      if (const at::Tensor* w = node.param("weight")) {
        const LearnedStep* ls = learned_step(name, quant::Slot::Weight);
        if (ls) {
          const auto& f = c.weight->format.as<quant::IntegerFormat>();
          o.weight = lsq_quantize(*w, ls->step, f, lsq_grad_scale(w->numel(), f));
        } else {
          o.weight = ste_quantize(*w, c.weight->format);
        }
      }
    if (c.bias)
      if (const at::Tensor* b = node.param("bias")) o.bias = ste_quantize(*b, c.bias->format);
    if (c.data_in) {
      const quant::Format f = c.data_in->format;
      if (const LearnedStep* ls = learned_step(name, quant::Slot::DataIn)) {
        const at::Tensor step = ls->step;
        const auto fi = f.as<quant::IntegerFormat>();
        // LSQ's N for activations: the features of one sample.
        o.input_transform = [step, fi](const at::Tensor& x) {
          return lsq_quantize(x, step, fi, lsq_grad_scale(x.dim() > 0 ? x[0].numel() : 1, fi));
        };
      } else {
        o.input_transform = [f](const at::Tensor& x) { return ste_quantize(x, f); };
      }
    }
    // float64 stays off: exact fixed-point accumulation matters for the metrics, which
    // are evaluated with quant::quantize()'s plan, not for the gradient.
  }
  return plan;
}

namespace {

// learn_scale: one learnable step per integer (saturating) weight / data_in slot, from the
// resolved format's step.
std::vector<LearnedStep> finetune_initial_steps(const ir::Graph& graph, const quant::QuantConfig& config) {
  std::vector<LearnedStep> out;
  for (const auto& [name, c] : config.nodes) {
    const auto index = graph.find(name);
    for (const quant::Slot slot : {quant::Slot::Weight, quant::Slot::DataIn}) {
      const auto& s = c.slot(slot);
      if (!s || !lsq_eligible(s->format)) continue;
      if (slot == quant::Slot::Weight && (!index || graph.node(*index).param("weight") == nullptr)) continue;
      const double step = std::ldexp(1.0, -quant::resolved_frac_width(s->format.as<quant::IntegerFormat>()));
      out.push_back({name, slot, step, torch::full({}, step, torch::kFloat).set_requires_grad(true)});
    }
  }
  return out;
}

// The deployable configuration of learned steps: each step's nearest power of two.
quant::QuantConfig finetune_rounded_config(quant::QuantConfig config, const std::vector<LearnedStep>& steps) {
  for (const auto& s : steps) {
    auto& slot = config.nodes.at(s.node).slot(s.slot);
    auto f = slot->format.as<quant::IntegerFormat>();
    f.frac_width = frac_width_of_step(s.learned());
    slot->format = quant::Format{f};
  }
  return config;
}

}  // namespace

FinetuneResult finetune(ir::Graph& graph, const quant::QuantConfig& config, const quant::RangeStats* stats,
                        const at::Tensor& x, const at::Tensor& y, const at::Tensor& x_val,
                        const at::Tensor& y_val, const FinetuneOptions& options,
                        const TrainCallbacks& callbacks) {
  if (options.epochs < 0 || options.batch_size <= 0 || !(options.learning_rate > 0) ||
      !(options.weight_decay >= 0) || !(options.momentum >= 0 && options.momentum < 1))
    throw Error(ErrorKind::Config,
                "fine-tuning needs epochs >= 0, batch_size > 0, learning_rate > 0, weight_decay >= 0 and "
                "momentum in [0, 1)");
  if (!x.defined() || x.size(0) != y.size(0) || x.size(0) == 0)
    throw Error(ErrorKind::InvalidArgument, "fine-tuning set is empty or has mismatched labels");
  if (options.learn_scale && options.rederive_auto)
    throw Error(ErrorKind::Config,
                "learned step sizes and re-derived \"auto\" widths both choose the step; keep one");
  check_ste(config, "fine-tuning");
  const bool has_auto = quant::uses_auto_frac(config);
  if (has_auto && !options.rederive_auto && stats == nullptr)
    throw Error(ErrorKind::InvalidArgument, "fine-tuning a config with \"auto\" frac widths needs range statistics");

  // "auto" widths: from the given statistics once, or from the current weights (and the
  // activations they produce) when re-derived.
  auto resolve = [&](bool from_current) {
    if (!has_auto) return config;
    if (!from_current) return quant::resolve_auto_frac(graph, config, stats);
    torch::NoGradGuard no_grad;
    const auto fresh = quant::calibrate(graph, x, options.calibration);
    return quant::resolve_auto_frac(graph, config, &fresh);
  };
  FinetuneResult result;
  result.resolved = resolve(options.rederive_auto);

  auto gen = at::make_generator<at::CPUGeneratorImpl>(options.seed);
  std::vector<at::Tensor> params = graph.trainable_params();
  for (auto& p : params) p.set_requires_grad(true);
  if (options.learn_scale) {
    result.steps = finetune_initial_steps(graph, result.resolved);
    for (const auto& s : result.steps) params.push_back(s.step);
  }
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  if (options.optimizer == FinetuneOptimizer::Adam)
    optimizer = std::make_unique<torch::optim::Adam>(
        params, torch::optim::AdamOptions(options.learning_rate).weight_decay(options.weight_decay));
  else
    optimizer = std::make_unique<torch::optim::SGD>(
        params, torch::optim::SGDOptions(options.learning_rate)
                    .momentum(options.momentum)
                    .weight_decay(options.weight_decay));
  exec::Executor exec(graph);
  const int64_t n = x.size(0);
  const int64_t batches = (n + options.batch_size - 1) / options.batch_size;
  const int64_t total_steps = batches * options.epochs;
  int64_t step = 0;
  using Clock = std::chrono::steady_clock;
  try {
    for (int epoch = 1; epoch <= options.epochs; ++epoch) {
      const auto t0 = Clock::now();
      if (options.rederive_auto && epoch > 1) result.resolved = resolve(true);
      const at::Tensor perm = torch::randperm(n, gen, torch::kLong);
      double loss_sum = 0, correct = 0;
      for (int64_t b = 0; b < batches; ++b) {
        const auto idx = perm.slice(0, b * options.batch_size, std::min(n, (b + 1) * options.batch_size));
        const at::Tensor xb = x.index_select(0, idx), yb = y.index_select(0, idx);
        if (options.cosine) finetune_set_lr(*optimizer, finetune_cosine_lr(options.learning_rate, step, total_steps));
        optimizer->zero_grad();
        // Built per step: the quantized weights come from this step's shadow weights.
        const exec::Plan plan = ste_plan(graph, result.resolved, &result.steps);
        const at::Tensor logits = exec.forward(xb, &plan, /*training=*/false);
        const at::Tensor loss = torch::nn::functional::cross_entropy(logits, yb);
        loss.backward();
        optimizer->step();
        ++step;
        loss_sum += loss.item<double>() * static_cast<double>(idx.size(0));
        correct += logits.argmax(1).eq(yb).sum().item<double>();
        if (callbacks.on_batch)
          callbacks.on_batch(epoch, b + 1, batches,
                             loss_sum / static_cast<double>(std::min(n, (b + 1) * options.batch_size)));
      }
      EpochStats s = training_stats(epoch, loss_sum, correct, n, t0);
      if (x_val.defined() && x_val.size(0) > 0) {
        torch::NoGradGuard no_grad;
        const exec::Plan eval_plan = options.learn_scale ? ste_plan(graph, result.resolved, &result.steps)
                                                         : quant::quantize(graph, resolve(options.rederive_auto));
        const auto r = exec::evaluate(graph, &eval_plan, x_val, y_val);
        s.val_accuracy = r.accuracy;
        s.val_loss = r.loss;
      }
      result.history.push_back(s);
      if (callbacks.on_epoch) callbacks.on_epoch(s);
    }
  } catch (...) {
    finetune_release_params(params);
    throw;
  }
  finetune_release_params(params);
  if (options.rederive_auto) result.resolved = resolve(true);
  result.trained = result.resolved;
  if (options.learn_scale) result.resolved = finetune_rounded_config(result.trained, result.steps);
  return result;
}

}  // namespace qdse::train
