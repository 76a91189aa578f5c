#include "qdse/ir/op_kind.hpp"

namespace qdse::ir {
namespace {

constexpr std::string_view kMovesDataOnly = "moves data only, no arithmetic to quantize";

constexpr std::array<OpTraits, kOpKindCount> kTraits = {{
    {OpKind::Linear, "linear", true, true, ""},
    {OpKind::Conv2d, "conv2d", true, true, ""},
    // MASE's BatchNorm{1,2}dInteger quantize their input only (gamma, beta and the running
    // statistics stay float in its forward), so a batch norm has a data_in slot, no weight.
    {OpKind::BatchNorm1d, "batch_norm1d", false, true, ""},
    {OpKind::BatchNorm2d, "batch_norm2d", false, true, ""},
    {OpKind::Relu, "relu", false, true, ""},
    {OpKind::MaxPool2d, "max_pool2d", false, true, ""},
    {OpKind::AvgPool2d, "avg_pool2d", false, true, ""},
    {OpKind::AdaptiveAvgPool2d, "adaptive_avg_pool2d", false, true, ""},
    {OpKind::Flatten, "flatten", false, false, kMovesDataOnly},
    {OpKind::Add, "add", false, true, ""},
    {OpKind::Dropout, "dropout", false, false, "identity at evaluation"},
    {OpKind::Softmax, "softmax", false, false, "no quantized softmax in qdse"},
    {OpKind::Sub, "sub", false, true, ""},
    {OpKind::Mul, "mul", false, true, ""},
    {OpKind::Div, "div", false, true, ""},
    {OpKind::MatMul, "matmul", false, true, ""},
    {OpKind::LeakyRelu, "leaky_relu", false, true, ""},
    {OpKind::Clamp, "clamp", false, true, ""},
    {OpKind::Sigmoid, "sigmoid", false, true, ""},
    {OpKind::Tanh, "tanh", false, true, ""},
    {OpKind::Reshape, "reshape", false, false, kMovesDataOnly},
    {OpKind::Permute, "permute", false, false, kMovesDataOnly},
    {OpKind::Squeeze, "squeeze", false, false, kMovesDataOnly},
    {OpKind::Unsqueeze, "unsqueeze", false, false, kMovesDataOnly},
    {OpKind::Cat, "cat", false, false, kMovesDataOnly},
    {OpKind::Slice, "slice", false, false, kMovesDataOnly},
}};

// Every row must sit at the index of its own kind: a table edited out of order
// would silently give an op another op's name.
constexpr bool table_in_order() {
  for (std::size_t i = 0; i < kTraits.size(); ++i)
    if (static_cast<std::size_t>(kTraits[i].kind) != i) return false;
  return true;
}
static_assert(table_in_order(), "kTraits rows must follow OpKind order");

// An op without a format slot says why; an op with one has no reason to run in float.
constexpr bool reasons_match_slots() {
  for (const auto& t : kTraits)
    if (quantizable(t) == !t.float_reason.empty()) return false;
  return true;
}
static_assert(reasons_match_slots(), "every op without a slot needs a float_reason, and only those");

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
