// evaluate(): runs a (possibly quantized) graph over an evaluation set and returns
// accuracy, loss and timing. The evaluator never samples configurations; it is
// given a Plan and data.
// Thread-safety: reentrant; uses libtorch's intra-op threads.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "qdse/exec/executor.hpp"

namespace qdse::exec {

struct EvalOptions {
  int64_t batch_size = 1024;
  int64_t num_samples = 0;  // first N samples; 0 = all
  int warmup_batches = 0;   // forward passes before timing starts (latency metric)
};

struct EvalResult {
  double accuracy = 0;        // top-1, argmax ties go to the lowest index
  double macro_accuracy = 0;  // mean per-class recall (torchmetrics' default, as MASE)
  double loss = 0;            // mean cross-entropy per sample
  int64_t samples = 0;
  double seconds = 0;                   // wall time of the whole evaluation
  double latency_ms_per_batch_median = 0;
  std::vector<double> batch_ms;
};

// Accuracy, macro accuracy and mean loss of logits [N, C] against labels y [N].
EvalResult score_logits(const at::Tensor& logits, const at::Tensor& y);

EvalResult evaluate(const ir::Graph& graph, const Plan* plan, const at::Tensor& x,
                    const at::Tensor& y, const EvalOptions& options = {});

}  // namespace qdse::exec
