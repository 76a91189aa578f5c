#include "qdse/ir/op_kind.hpp"

namespace qdse::ir {
namespace {

constexpr std::array<OpTraits, kOpKindCount> kTraits = {{
    {OpKind::Linear, "linear", true, true},
    {OpKind::Conv2d, "conv2d", true, true},
    {OpKind::BatchNorm1d, "batch_norm1d", false, false},
    {OpKind::BatchNorm2d, "batch_norm2d", false, false},
    {OpKind::Relu, "relu", false, true},
    {OpKind::MaxPool2d, "max_pool2d", false, true},
    {OpKind::AvgPool2d, "avg_pool2d", false, true},
    {OpKind::AdaptiveAvgPool2d, "adaptive_avg_pool2d", false, true},
    {OpKind::Flatten, "flatten", false, false},
    {OpKind::Add, "add", false, true},
    {OpKind::Dropout, "dropout", false, false},
    {OpKind::Softmax, "softmax", false, false},
    {OpKind::Sub, "sub", false, true},
    {OpKind::Mul, "mul", false, true},
    {OpKind::Div, "div", false, true},
    {OpKind::MatMul, "matmul", false, true},
    {OpKind::LeakyRelu, "leaky_relu", false, true},
    {OpKind::Clamp, "clamp", false, true},
    {OpKind::Sigmoid, "sigmoid", false, true},
    {OpKind::Tanh, "tanh", false, true},
    {OpKind::Reshape, "reshape", false, false},
    {OpKind::Permute, "permute", false, false},
    {OpKind::Squeeze, "squeeze", false, false},
    {OpKind::Unsqueeze, "unsqueeze", false, false},
    {OpKind::Cat, "cat", false, false},
    {OpKind::Slice, "slice", false, false},
}};

// Every row must sit at the index of its own kind: a table edited out of order
// would silently give an op another op's name.
constexpr bool table_in_order() {
  for (std::size_t i = 0; i < kTraits.size(); ++i)
    if (static_cast<std::size_t>(kTraits[i].kind) != i) return false;
  return true;
}
static_assert(table_in_order(), "kTraits rows must follow OpKind order");

}  // namespace

const OpTraits& traits(OpKind kind) { return kTraits.at(static_cast<std::size_t>(kind)); }

std::string_view to_string(OpKind kind) { return traits(kind).name; }

std::optional<OpKind> parse_op_kind(std::string_view name) {
  for (const auto& t : kTraits)
    if (t.name == name) return t.kind;
  return std::nullopt;
}

std::string list_op_kinds() {
  std::string out;
  for (const auto& t : kTraits) {
    if (!out.empty()) out += ", ";
    out += t.name;
  }
  return out;
}

}  // namespace qdse::ir
