// The output of an imported graph for one input, without autograd: how the io tests
// check what an ONNX import computes.
#pragma once

#include <torch/types.h>
#include <torch/utils.h>

#include "qdse/exec/executor.hpp"

namespace qdse::test {

inline at::Tensor run_graph(const ir::Graph& g, const at::Tensor& x) {
  torch::NoGradGuard no_grad;
  return exec::Executor(g).forward(x);
}

}  // namespace qdse::test
