// The plain path every faster one (integer kernels, the incremental executor) must
// equal bit for bit: the graph quantized by the config, run by the float executor.
#pragma once

#include <torch/types.h>
#include <torch/utils.h>

#include "qdse/exec/executor.hpp"
#include "qdse/lower/transform.hpp"

namespace qdse::testing {

inline at::Tensor plain_quantized_forward(const ir::Graph& g, const at::Tensor& x, const quant::QuantConfig& qc) {
  torch::NoGradGuard no_grad;
  const exec::Plan plan = quant::quantize(g, qc);
  return exec::Executor(g).forward(x, &plan);
}

}  // namespace qdse::testing
