// OpKind: the closed set of operations a qdse graph can hold, and a traits table
// (MASE type name, which tensor slots a quantization config may address).
//
// The type names are MASE's `mase_op` names ("linear", "conv2d", "relu", ...), so
// `[passes.quantize] by = "type"` configs written for MASE address the same nodes.
// The table is static and immutable; safe to read from any thread.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace qdse::ir {

enum class OpKind {
  Linear,
  Conv2d,
  BatchNorm1d,
  BatchNorm2d,
  Relu,
  MaxPool2d,
  AvgPool2d,
  AdaptiveAvgPool2d,
  Flatten,
  Add,
  Dropout,
  Softmax,
  // Added for ONNX import (docs/onnx.md).
  Sub,
  Mul,
  Div,
  MatMul,
  LeakyRelu,
  Clamp,
  Sigmoid,
  Tanh,
  Reshape,
  Permute,
  Squeeze,
  Unsqueeze,
  Cat,
  Slice,
  kCount,  // sentinel: number of op kinds
};

inline constexpr std::size_t kOpKindCount = static_cast<std::size_t>(OpKind::kCount);

struct OpTraits {
  OpKind kind;
  std::string_view name;  // MASE type name used in configs
  bool has_weight;        // linear/conv2d: weight and (optional) bias slots
  bool data_quantizable;  // a data_in format may apply
  // Why a node of this op has no format slot and runs in float (empty when it has one);
  // `qdse space` and the config warnings quote it.
  std::string_view float_reason;
};

// True when a quantization config may address a node of this op (it has a slot).
constexpr bool quantizable(const OpTraits& t) { return t.has_weight || t.data_quantizable; }

const OpTraits& traits(OpKind kind);
std::string_view to_string(OpKind kind);
std::optional<OpKind> parse_op_kind(std::string_view name);
// Comma-separated list of every type name, for error messages.
std::string list_op_kinds();

}  // namespace qdse::ir
