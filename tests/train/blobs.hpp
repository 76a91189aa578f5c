// Five Gaussian blobs in 16-d (jsc-tiny's input), label = blob: a task jsc-tiny learns
// in a few epochs. Shared by the trainer and fine-tuning tests.
#pragma once

#include <torch/types.h>

#include <utility>

namespace qdse::testing {

inline std::pair<at::Tensor, at::Tensor> blobs(int64_t n, uint64_t seed) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  const auto y = torch::randint(0, 5, {n}, gen, torch::kLong);
  auto x = torch::randn({n, 16}, gen) * 0.3;
  x.index_put_({torch::arange(n), y}, x.index({torch::arange(n), y}) + 3.0);
  return {x, y};
}

}  // namespace qdse::testing
