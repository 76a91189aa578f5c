// Shared driver of the scalar reference kernels (quantize_*_ref): every format's
// reference walks a contiguous copy element by element in the input's own dtype
// (float or double), so the dtype dispatch lives here once.
#pragma once

#include <torch/types.h>

#include <cstdint>

namespace qdse::quant::detail {

// Calls loop(const T* in, T* out, int64_t n) on a contiguous copy of x, with T the
// dtype of x (float when kFloat, double otherwise), and returns the output tensor.
template <class Loop>
torch::Tensor run_reference_loop(const torch::Tensor& x, Loop loop) {
  torch::Tensor in = x.contiguous();
  torch::Tensor out = torch::empty_like(in);
  if (in.scalar_type() == torch::kFloat) {
    loop(in.data_ptr<float>(), out.data_ptr<float>(), in.numel());
  } else {
    loop(in.data_ptr<double>(), out.data_ptr<double>(), in.numel());
  }
  return out;
}

}  // namespace qdse::quant::detail
