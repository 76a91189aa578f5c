// IntegerConv2d: one integer-quantized Conv2d node computed exactly on integer codes,
// the convolution twin of IntegerLinear (integer_linear.hpp).
//
// make() accepts a node under the same exactness rule (integer_eligibility.hpp, with
// the fan-in of one output, (C / groups) * kh * kw). Three kernels: groups = 1 through
// the int16 GEMM (exec/int_conv2d.hpp); depthwise (groups = C, any channel multiplier)
// through its own per-channel kernel (exec/int_depthwise_conv2d.hpp); other grouped
// convolutions group by group through the GEMM, each group's codes and outputs copied
// out of and into the full tensors.
// Input codes are channels-last with the zero padding in place (exec/int_conv2d.hpp)
// for the GEMM kernels, so one set of codes serves every configuration of the node, and
// every such convolution with that padding, with that data format; a depthwise conv
// reads plain NCHW codes (its kernel pads and transposes per sample, in cache), a
// layout of its own (codes_layout()).
// Thread-safety: immutable after construction; methods are reentrant.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "qdse/exec/buffer_pool.hpp"
#include "qdse/exec/int_conv2d.hpp"
#include "qdse/exec/int_depthwise_conv2d.hpp"
#include "qdse/ir/graph.hpp"
#include "qdse/quant/quant_config.hpp"

namespace qdse::exec {

class IntegerConv2d {
 public:
  // nullopt when not eligible.
  static std::optional<IntegerConv2d> make(const ir::Node& node, const quant::NodeQuantConfig& c);

  // True for the nodes make() runs on the depthwise kernel (groups > 1, one input
  // channel per group): their input codes are NCHW, not padded channels-last.
  static bool depthwise(const ir::Node& node);

  const quant::IntegerFormat& data_format() const { return data_; }
  // Padded channels-last codes of the input x (float32 [N, C, H, W]); undefined when
  // x cannot be represented (NaN) or its channels differ: run the float path then.
  at::Tensor input_codes(const at::Tensor& x, BufferPool* pool = nullptr) const;
  // The node's output (float32 [N, M, OH, OW]) from input_codes(); relu = true returns
  // relu(output) (a following ReLU fused in), `max_pool` max-pools that (a following
  // MaxPool2d fused in, exec/int_conv2d.hpp).
  at::Tensor forward(const at::Tensor& codes, bool relu = false, BufferPool* pool = nullptr,
                     const FusedMaxPool& max_pool = {}) const;
  int64_t bytes() const;

 private:
  quant::IntegerFormat data_;
  ConvGeometry geometry_;  // height/width unset: taken from each input; channels: all C
  int64_t groups_ = 1;
  std::vector<PackedInt16> weight_;  // per group (one when groups = 1); empty when depthwise
  PackedDepthwise depthwise_;        // when depthwise
  at::Tensor bias_;  // quantized float32 [M], or undefined
  IntEpilogue epilogue_;
};

}  // namespace qdse::exec
