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

bool IntegerConv2d::depthwise(const ir::Node& node) {
  const at::Tensor* w = node.param("weight");
  return node.op == ir::OpKind::Conv2d && node.attrs.groups > 1 && w && w->dim() == 4 && w->size(1) == 1;
}

std::optional<IntegerConv2d> IntegerConv2d::make(const ir::Node& node, const quant::NodeQuantConfig& c) {
  if (node.op != ir::OpKind::Conv2d || node.inputs.size() != 1 || node.attrs.groups < 1) return std::nullopt;
  const at::Tensor* w = node.param("weight");
  const at::Tensor* b = node.param("bias");
  const int64_t groups = node.attrs.groups;
  if (!w || w->dim() != 4 || w->size(0) % groups != 0) return std::nullopt;
  // Weights [M, C / groups, kh, kw]: one output sums (C / groups) * kh * kw products.
  const int64_t group_channels = w->size(1), fan_in = w->size(1) * w->size(2) * w->size(3);
  ConvGeometry g;
  g.channels = group_channels * groups;
  g.kernel_h = w->size(2);
  g.kernel_w = w->size(3);
  const auto& a = node.attrs;
  if (!conv_pair(a.stride, 1, g.stride_h, g.stride_w) || !conv_pair(a.padding, 0, g.pad_h, g.pad_w) ||
      !conv_pair(a.dilation, 1, g.dilation_h, g.dilation_w))
    return std::nullopt;
  if (g.stride_h < 1 || g.stride_w < 1 || g.pad_h < 0 || g.pad_w < 0 || g.dilation_h < 1 || g.dilation_w < 1)
    return std::nullopt;
  const std::optional<IntegerLayerPlan> plan = integer_layer_plan(node, c, fan_in);
  if (!plan) return std::nullopt;

  torch::NoGradGuard no_grad;
  IntegerConv2d l;
  l.data_ = plan->data;
  l.geometry_ = g;
  l.groups_ = groups;
  const at::Tensor wq = quant::quantize(*w, c.weight->format);
  // Already on the grid: the codes are exact.
  const at::Tensor wc = quant::integer_codes(wq.reshape({w->size(0), -1}), plan->weight, fan_in);
  if (!wc.defined()) return std::nullopt;  // NaN weights
  const at::Tensor codes = wc.view(w->sizes());
  if (depthwise(node)) {
    l.depthwise_ = PackedDepthwise(codes, g.channels);
  } else {
    const int64_t group_outputs = w->size(0) / groups;
    for (int64_t k = 0; k < groups; ++k)
      l.weight_.emplace_back(conv_weight_rows(codes.narrow(0, k * group_outputs, group_outputs)));
  }
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
  if (weight_.empty()) return nchw.view({n, g.channels, g.height, g.width});  // depthwise: NCHW
  const std::vector<int64_t> padded = {n, g.height + 2 * g.pad_h, g.width + 2 * g.pad_w, g.channels};
  return pad_channels_last(nchw.view({n, g.channels, g.height, g.width}), g,
                           pool ? pool->empty(padded, at::kShort) : at::Tensor());
}

at::Tensor IntegerConv2d::forward(const at::Tensor& codes, bool relu, BufferPool* pool,
                                  const FusedMaxPool& max_pool) const {
  ConvGeometry g = geometry_;
  const bool nchw = weight_.empty();  // depthwise: [N, C, H, W]; else [N, Hp, Wp, C]
  g.height = nchw ? codes.size(2) : codes.size(1) - 2 * g.pad_h;
  g.width = nchw ? codes.size(3) : codes.size(2) - 2 * g.pad_w;
  IntEpilogue e = epilogue_;
  e.bias = bias_.defined() ? bias_.data_ptr<float>() : nullptr;
  e.relu = relu;
  const int64_t n = codes.size(0), m = weight_.empty() ? depthwise_.outputs() : weight_[0].outputs() * groups_;
  const std::vector<int64_t> sizes = {n, m, max_pool.out_h(g.out_h()), max_pool.out_w(g.out_w())};
  const auto output = [&](const std::vector<int64_t>& s) { return pool ? pool->empty(s, at::kFloat) : at::Tensor(); };
  if (weight_.empty()) {
    // Depthwise: the kernel has no fused pooling; max pooling is exact, so pooling its
    // output afterwards gives the float path's numbers.
    if (!max_pool.enabled()) return int16_depthwise_conv2d(codes, g, depthwise_, e, output(sizes));
    const at::Tensor maps = int16_depthwise_conv2d(codes, g, depthwise_, e);
    return at::max_pool2d(maps, {max_pool.kernel_h, max_pool.kernel_w}, {max_pool.stride_h, max_pool.stride_w},
                          {max_pool.pad_h, max_pool.pad_w});
  }
  if (groups_ == 1) return int16_conv2d(codes, g, weight_[0], e, output(sizes), true, max_pool);
  // Grouped: each group's channels copied out of the codes (contiguous again), its
  // outputs into their channels of the result.
  at::Tensor out = output(sizes);
  if (!out.defined()) out = torch::empty(sizes, torch::kFloat);
  const int64_t group_channels = g.channels / groups_, group_outputs = m / groups_;
  ConvGeometry gg = g;
  gg.channels = group_channels;
  for (int64_t k = 0; k < groups_; ++k) {
    IntEpilogue eg = e;
    if (e.bias) eg.bias = e.bias + k * group_outputs;
    const at::Tensor part = codes.narrow(3, k * group_channels, group_channels).contiguous();
    out.narrow(1, k * group_outputs, group_outputs).copy_(int16_conv2d(part, gg, weight_[k], eg, {}, true, max_pool));
  }
  return out;
}

int64_t IntegerConv2d::bytes() const {
  int64_t total = depthwise_.bytes() + (bias_.defined() ? static_cast<int64_t>(bias_.nbytes()) : 0);
  for (const PackedInt16& w : weight_) total += w.bytes();
  return total;
}

}  // namespace qdse::exec
