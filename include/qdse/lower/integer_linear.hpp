// IntegerLinear: one integer-quantized Linear node computed exactly on integer codes.
//
// The float emulation of a quantized linear layer (quant::build_node_override +
// run_node) multiplies fake-quantized tensors; where its float32 (or float64)
// accumulation is exact, the int16 kernel (int_gemm.hpp) gives the same numbers bit
// for bit, faster. make() accepts a node only when that equality is guaranteed
// (integer_eligibility.hpp, the rule shared with IntegerConv2d). Anything else
// returns nullopt and the caller runs the float path. Weights are quantized and packed once, at construction.
// Thread-safety: immutable after construction; methods are reentrant.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <optional>

#include "qdse/exec/buffer_pool.hpp"
#include "qdse/exec/int_gemm.hpp"
#include "qdse/ir/graph.hpp"
#include "qdse/quant/quant_config.hpp"

namespace qdse::exec {

class IntegerLinear {
 public:
  static std::optional<IntegerLinear> make(const ir::Node& node, const quant::NodeQuantConfig& c);

  const quant::IntegerFormat& data_format() const { return data_; }
  int64_t depth() const { return weight_.depth(); }
  // Codes of the node's input x (float32 [N, K]); undefined when x cannot be
  // represented (NaN) or has another shape/dtype: run the float path then.
  // Large results come from `pool` when one is given.
  at::Tensor input_codes(const at::Tensor& x, BufferPool* pool = nullptr) const;
  // The node's output (float32 [N, M]) from input_codes(); relu = true returns
  // relu(output) instead (a following ReLU fused in).
  at::Tensor forward(const at::Tensor& codes, bool relu = false, BufferPool* pool = nullptr) const;
  int64_t bytes() const;

 private:
  quant::IntegerFormat data_;
  PackedInt16 weight_;
  at::Tensor bias_;  // quantized float32 [M], or undefined
  IntEpilogue epilogue_;
};

}  // namespace qdse::exec
