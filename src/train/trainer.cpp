#include "qdse/train/trainer.hpp"

#include <torch/types.h>
#include <torch/utils.h>
#include <torch/nn.h>
#include <torch/optim.h>

#include <chrono>

#include "qdse/core/error.hpp"
#include "qdse/exec/evaluate.hpp"
#include "qdse/exec/executor.hpp"
#include "qdse/ir/op_shape.hpp"

namespace qdse::train {

EpochStats training_stats(int epoch, double loss_sum, double correct, int64_t n,
                          std::chrono::steady_clock::time_point start) {
  EpochStats s;
  s.epoch = epoch;
  s.train_loss = loss_sum / static_cast<double>(n);
  s.train_accuracy = correct / static_cast<double>(n);
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  s.samples_per_second = static_cast<double>(n) / std::max(s.seconds, 1e-9);
  return s;
}

std::vector<EpochStats> train(ir::Graph& graph, const at::Tensor& x, const at::Tensor& y,
                              const at::Tensor& x_val, const at::Tensor& y_val,
                              const TrainOptions& options, const TrainCallbacks& callbacks) {
  if (options.max_epochs < 0 || options.batch_size <= 0 || !(options.learning_rate > 0))
    throw Error(ErrorKind::Config,
                "training needs max_epochs >= 0, batch_size > 0 and learning_rate > 0");
  if (x.size(0) != y.size(0) || x.size(0) == 0)
    throw Error(ErrorKind::InvalidArgument, "training set is empty or has mismatched labels");
  // Labels the logits cannot index would fail inside the loss ("Target 6 is out of
  // bounds") after the first batches; say so before training.
  const auto shapes = ir::infer_shapes(graph);
  const auto& out = shapes.at(static_cast<std::size_t>(graph.output()));
  for (const at::Tensor* labels : {&y, &y_val}) {
    if (!labels->defined() || labels->numel() == 0 || out.size() != 1) continue;
    const int64_t lo = labels->min().item<int64_t>(), hi = labels->max().item<int64_t>();
    if (lo < 0 || hi >= out[0])
      throw Error(ErrorKind::InvalidArgument,
                  std::string(labels == &y ? "training" : "validation") + " label " + std::to_string(lo < 0 ? lo : hi) +
                      " is outside the " + std::to_string(out[0]) + " classes model '" + graph.name() +
                      "' outputs (labels must be 0.." + std::to_string(out[0] - 1) + ")");
  }
  torch::manual_seed(options.seed);  // dropout masks
  auto gen = at::make_generator<at::CPUGeneratorImpl>(options.seed);
  std::vector<at::Tensor> params = graph.trainable_params();
  for (auto& p : params) p.set_requires_grad(true);
  torch::optim::Adam optimizer(
      params, torch::optim::AdamOptions(options.learning_rate).weight_decay(options.weight_decay));
  exec::Executor exec(graph);
  const int64_t n = x.size(0);
  const int64_t batches = (n + options.batch_size - 1) / options.batch_size;
  std::vector<EpochStats> history;
  using Clock = std::chrono::steady_clock;
  for (int epoch = 1; epoch <= options.max_epochs; ++epoch) {
    const auto t0 = Clock::now();
    const at::Tensor perm = torch::randperm(n, gen, torch::kLong);
    double loss_sum = 0, correct = 0, seen = 0;
    for (int64_t b = 0; b < batches; ++b) {
      const auto idx = perm.slice(0, b * options.batch_size, std::min(n, (b + 1) * options.batch_size));
      const at::Tensor xb = x.index_select(0, idx), yb = y.index_select(0, idx);
      optimizer.zero_grad();
      const at::Tensor logits = exec.forward(xb, nullptr, /*training=*/true);
      const at::Tensor loss = torch::nn::functional::cross_entropy(logits, yb);
      loss.backward();
      optimizer.step();
      const double l = loss.item<double>();
      loss_sum += l * static_cast<double>(idx.size(0));
      seen += static_cast<double>(idx.size(0));
      correct += logits.argmax(1).eq(yb).sum().item<double>();
      if (callbacks.on_batch) callbacks.on_batch(epoch, b + 1, batches, loss_sum / seen);
    }
    EpochStats s = training_stats(epoch, loss_sum, correct, n, t0);
    if (x_val.defined() && x_val.size(0) > 0) {
      const auto r = exec::evaluate(graph, nullptr, x_val, y_val);
      s.val_accuracy = r.accuracy;
      s.val_loss = r.loss;
    }
    history.push_back(s);
    if (callbacks.on_epoch) callbacks.on_epoch(s);
  }
  for (auto& p : params) p.set_requires_grad(false);
  return history;
}

}  // namespace qdse::train
