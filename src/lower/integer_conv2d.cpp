// IntegerConv2d (see integer_conv2d.hpp): eligibility, weight packing, forward.
#include "qdse/lower/integer_conv2d.hpp"

#include <torch/types.h>
#include <torch/utils.h>

#include "qdse/lower/integer_eligibility.hpp"
#include "qdse/quant/formats/integer_codes.hpp"
#include "qdse/quant/formats/quantize.hpp"

namespace qdse::exec {
namespace {

// (h, w) of a conv attribute as torch::conv2d reads it: empty = the default, one
// value = both; false for anything else.
bool conv_pair(const std::vector<int64_t>& v, int64_t fallback, int64_t& h, int64_t& w) {
  if (v.empty()) {
    h = w = fallback;
  } else if (v.size() == 1) {
    h = w = v[0];
  } else if (v.size() == 2) {
    h = v[0];
    w = v[1];
  } else {
    return false;
  }
  return true;
}

}  // namespace

std::optional<IntegerConv2d> IntegerConv2d::make(const ir::Node& node, const quant::NodeQuantConfig& c) {
  if (node.op != ir::OpKind::Conv2d || node.inputs.size() != 1 || node.attrs.groups != 1) return std::nullopt;
  const at::Tensor* w = node.param("weight");
  const at::Tensor* b = node.param("bias");
  if (!w || w->dim() != 4) return std::nullopt;
  ConvGeometry g;
  g.channels = w->size(1);
  g.kernel_h = w->size(2);
  g.kernel_w = w->size(3);
  const auto& a = node.attrs;
  if (!conv_pair(a.stride, 1, g.stride_h, g.stride_w) || !conv_pair(a.padding, 0, g.pad_h, g.pad_w) ||
      !conv_pair(a.dilation, 1, g.dilation_h, g.dilation_w))
    return std::nullopt;
  if (g.stride_h < 1 || g.stride_w < 1 || g.pad_h < 0 || g.pad_w < 0 || g.dilation_h < 1 || g.dilation_w < 1)
    return std::nullopt;
  const std::optional<IntegerLayerPlan> plan = integer_layer_plan(node, c, g.depth());
  if (!plan) return std::nullopt;

  torch::NoGradGuard no_grad;
  IntegerConv2d l;
  l.data_ = plan->data;
  l.geometry_ = g;
  const at::Tensor wq = quant::quantize(*w, c.weight->format);
  // Already on the grid: the codes are exact.
  const at::Tensor wc = quant::integer_codes(wq.reshape({w->size(0), -1}), plan->weight, g.depth());
  if (!wc.defined()) return std::nullopt;  // NaN weights
  l.weight_ = PackedInt16(conv_weight_rows(wc.view(w->sizes())));
  if (b) l.bias_ = quant::quantize(*b, c.bias->format).contiguous();
  l.epilogue_.scale = plan->scale;
  l.epilogue_.wide = plan->wide;
  return l;
}

at::Tensor IntegerConv2d::input_codes(const at::Tensor& x, BufferPool* pool) const {
  if (x.dim() != 4 || x.scalar_type() != at::kFloat || x.size(1) != geometry_.channels) return {};
  ConvGeometry g = geometry_;
  g.height = x.size(2);
  g.width = x.size(3);
  if (g.out_h() < 1 || g.out_w() < 1) return {};  // the float path reports the error
  const int64_t n = x.size(0), per_sample = g.channels * g.height * g.width;
  at::Tensor nchw = quant::integer_codes(x.reshape({n, per_sample}), data_, per_sample,
                                         pool ? pool->empty({n, per_sample}, at::kShort) : at::Tensor());
  if (!nchw.defined()) return {};
  const std::vector<int64_t> padded = {n, g.height + 2 * g.pad_h, g.width + 2 * g.pad_w, g.channels};
  return pad_channels_last(nchw.view({n, g.channels, g.height, g.width}), g,
                           pool ? pool->empty(padded, at::kShort) : at::Tensor());
}

at::Tensor IntegerConv2d::forward(const at::Tensor& codes, bool relu, BufferPool* pool,
                                  const FusedMaxPool& max_pool) const {
  ConvGeometry g = geometry_;
  g.height = codes.size(1) - 2 * g.pad_h;
  g.width = codes.size(2) - 2 * g.pad_w;
  IntEpilogue e = epilogue_;
  e.bias = bias_.defined() ? bias_.data_ptr<float>() : nullptr;
  e.relu = relu;
  const std::vector<int64_t> sizes = {codes.size(0), weight_.outputs(), max_pool.out_h(g.out_h()),
                                      max_pool.out_w(g.out_w())};
  return int16_conv2d(codes, g, weight_, e, pool ? pool->empty(sizes, at::kFloat) : at::Tensor(), true, max_pool);
}

int64_t IntegerConv2d::bytes() const {
  return weight_.bytes() + (bias_.defined() ? static_cast<int64_t>(bias_.nbytes()) : 0);
}

}  // namespace qdse::exec
