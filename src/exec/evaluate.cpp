#include "qdse/exec/evaluate.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>

#include "qdse/core/error.hpp"

namespace qdse::exec {

EvalResult score_logits(const at::Tensor& logits, const at::Tensor& y) {
  EvalResult r;
  r.samples = y.size(0);
  if (r.samples == 0) return r;
  const at::Tensor pred = logits.argmax(1);
  const at::Tensor hit = pred.eq(y);
  r.accuracy = hit.to(torch::kFloat64).mean().item<double>();
  r.loss = torch::nn::functional::cross_entropy(logits.to(torch::kFloat64), y,
                                                torch::nn::functional::CrossEntropyFuncOptions()
                                                    .reduction(torch::kSum))
               .item<double>() /
           static_cast<double>(r.samples);
  const int64_t classes = logits.size(1);
  const at::Tensor per_class_total = torch::bincount(y, {}, classes).to(torch::kFloat64);
  const at::Tensor per_class_hit =
      torch::bincount(y, hit.to(torch::kFloat64), classes).to(torch::kFloat64);
  const at::Tensor present = per_class_total.gt(0);
  r.macro_accuracy = (per_class_hit.masked_select(present) / per_class_total.masked_select(present))
                         .mean()
                         .item<double>();
  return r;
}

EvalResult evaluate(const ir::Graph& graph, const Plan* plan, const at::Tensor& x,
                    const at::Tensor& y, const EvalOptions& options) {
  if (x.size(0) != y.size(0))
    throw Error(ErrorKind::InvalidArgument, "evaluation set has " + std::to_string(x.size(0)) +
                                                " samples but " + std::to_string(y.size(0)) +
                                                " labels");
  torch::NoGradGuard no_grad;
  const int64_t n = options.num_samples > 0 ? std::min(options.num_samples, x.size(0)) : x.size(0);
  const int64_t bs = std::max<int64_t>(1, options.batch_size);
  Executor exec(graph);
  for (int i = 0; i < options.warmup_batches && n > 0; ++i)
    exec.forward(x.slice(0, 0, std::min(bs, n)), plan);

  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  std::vector<at::Tensor> outs;
  std::vector<double> batch_ms;
  for (int64_t start = 0; start < n; start += bs) {
    const auto b0 = Clock::now();
    outs.push_back(exec.forward(x.slice(0, start, std::min(n, start + bs)), plan));
    batch_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - b0).count());
  }
  EvalResult r = n > 0 ? score_logits(torch::cat(outs), y.slice(0, 0, n)) : EvalResult{};
  r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  r.batch_ms = batch_ms;
  if (!batch_ms.empty()) {
    std::vector<double> sorted = batch_ms;
    std::nth_element(sorted.begin(), sorted.begin() + sorted.size() / 2, sorted.end());
    r.latency_ms_per_batch_median = sorted[sorted.size() / 2];
  }
  return r;
}

}  // namespace qdse::exec
