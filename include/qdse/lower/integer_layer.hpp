// IntegerLayer: the integer kernel of one weight node, whichever op it is (Linear ->
// IntegerLinear, Conv2d -> IntegerConv2d), for callers that treat both alike (the
// incremental executor: codes memo, fused ReLU).
// Thread-safety: immutable after construction; methods are reentrant.
#pragma once

#include <optional>
#include <variant>

#include "qdse/lower/integer_conv2d.hpp"
#include "qdse/lower/integer_linear.hpp"

namespace qdse::exec {

class IntegerLayer {
 public:
  // nullopt when the node's op has no integer kernel or the node is not eligible.
  static std::optional<IntegerLayer> make(const ir::Node& node, const quant::NodeQuantConfig& c) {
    if (node.op == ir::OpKind::Linear)
      if (auto l = IntegerLinear::make(node, c)) return IntegerLayer(std::move(*l));
    if (node.op == ir::OpKind::Conv2d)
      if (auto l = IntegerConv2d::make(node, c)) return IntegerLayer(std::move(*l));
    return std::nullopt;
  }

  const quant::IntegerFormat& data_format() const {
    return std::visit([](const auto& l) -> const quant::IntegerFormat& { return l.data_format(); }, impl_);
  }
  at::Tensor input_codes(const at::Tensor& x, BufferPool* pool) const {
    return std::visit([&](const auto& l) { return l.input_codes(x, pool); }, impl_);
  }
  bool is_conv() const { return std::holds_alternative<IntegerConv2d>(impl_); }
  // `max_pool`: only for a convolution (is_conv()).
  at::Tensor forward(const at::Tensor& codes, bool relu, BufferPool* pool, const FusedMaxPool& max_pool = {}) const {
    if (const auto* conv = std::get_if<IntegerConv2d>(&impl_)) return conv->forward(codes, relu, pool, max_pool);
    return std::get<IntegerLinear>(impl_).forward(codes, relu, pool);
  }

 private:
  template <typename L>
  explicit IntegerLayer(L&& l) : impl_(std::forward<L>(l)) {}
  std::variant<IntegerLinear, IntegerConv2d> impl_;
};

}  // namespace qdse::exec
