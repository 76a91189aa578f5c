// Pooling: MaxPool, AveragePool (-> max_pool2d / avg_pool2d), GlobalAveragePool and the
// spatial ReduceMean (-> adaptive_avg_pool2d to 1x1).
#include <torch/types.h>

#include <algorithm>

#include "qdse/io/onnx/import_context.hpp"

namespace qdse::io::onnx_detail {
namespace {

void pool(ImportContext& c, const onnx::NodeProto& n, bool max) {
  const Value& x = c.data_input(n, 0);
  if (n.output_size() > 1 && !n.output(1).empty() && c.consumers(n.output(1)) > 0)
    c.fail(n, "the Indices output is used; it is not supported");
  const auto kernel = attr_ints(c, n, "kernel_shape", {});
  if (kernel.empty()) c.fail(n, "attribute 'kernel_shape' is required");
  const bool ceil_mode = attr_int(c, n, "ceil_mode", 0) != 0;
  // Dilations arrived for MaxPool in opset 10 (AveragePool only in 19).
  const int64_t channels = x.sample.dim() == 4 ? x.sample.size(1) : 0;
  Window2d w = window_2d(c, n, x.sample, kernel, channels, ceil_mode, max);
  bool padded_before = false;
  if (!max) {
    const auto before = w.padding;
    absorb_padding(c, n, w);
    padded_before = w.padding != before;
  }
  ir::Node node;
  node.op = max ? ir::OpKind::MaxPool2d : ir::OpKind::AvgPool2d;
  node.attrs.kernel = w.kernel;
  node.attrs.stride = w.stride;
  node.attrs.padding = w.padding;
  node.attrs.dilation = w.dilation;
  node.attrs.ceil_mode = ceil_mode;
  // Zeros of an explicit Pad are values the average counts.
  if (!max) node.attrs.count_include_pad = padded_before || attr_int(c, n, "count_include_pad", 0) != 0;
  if (padded_before && attr_int(c, n, "count_include_pad", 0) == 0 &&
      attr_ints(c, n, "pads", {0, 0, 0, 0}) != std::vector<int64_t>{0, 0, 0, 0})
    c.fail(n, "its own pads (not counted) and the Pad before it (counted) cannot be combined");
  c.emit(n, std::move(node), {n.input(0)});
}

// ReduceMean over the two spatial axes of [N, C, H, W] (torch's x.mean([2, 3])) is a
// global average pool; keepdims = 0 flattens the 1x1 away. Other axes are refused.
void reduce_mean(ImportContext& c, const onnx::NodeProto& n) {
  const bool constant = c.is_constant_input(n, 0);
  const at::Tensor in = constant ? c.constant_input(n, 0) : c.data_input(n, 0).sample;
  std::vector<int64_t> axes;
  if (c.opset() < 18) axes = attr_ints(c, n, "axes", {});
  else if (c.has_input(n, 1)) axes = to_int_vector(c, n, c.constant_input(n, 1));
  if (axes.empty())
    for (int64_t i = 0; i < in.dim(); ++i) axes.push_back(i);
  for (auto& a : axes) a = normalize_axis(c, n, a, in.dim());
  std::sort(axes.begin(), axes.end());
  const bool keepdims = attr_int(c, n, "keepdims", 1) != 0;
  if (constant) {
    c.define_constant(n.output(0), in.to(at::kFloat).mean(axes, keepdims));
    return;
  }
  if (in.dim() != 4 || axes != std::vector<int64_t>{2, 3})
    c.fail(n, "only the mean over the spatial axes [2, 3] of a 4-D input is supported");
  ir::Node node;
  node.op = ir::OpKind::AdaptiveAvgPool2d;
  node.attrs.output_size = {1, 1};
  c.emit(n, std::move(node), {n.input(0)});
  if (keepdims) return;
  ir::Node flat;
  flat.op = ir::OpKind::Flatten;
  flat.attrs.start_dim = 1;
  flat.attrs.end_dim = -1;
  c.emit(n, std::move(flat), {n.output(0)});
}

void global_average_pool(ImportContext& c, const onnx::NodeProto& n) {
  const Value& x = c.data_input(n, 0);
  if (x.sample.dim() != 4) c.fail(n, "expects a 4-D input [N, C, H, W]");
  ir::Node node;
  node.op = ir::OpKind::AdaptiveAvgPool2d;
  node.attrs.output_size = {1, 1};
  c.emit(n, std::move(node), {n.input(0)});
}

}  // namespace

void register_pooling_handlers(HandlerTable& t) {
  t["MaxPool"] = [](ImportContext& c, const onnx::NodeProto& n) { pool(c, n, true); };
  t["AveragePool"] = [](ImportContext& c, const onnx::NodeProto& n) { pool(c, n, false); };
  t["GlobalAveragePool"] = global_average_pool;
  t["ReduceMean"] = reduce_mean;
}

}  // namespace qdse::io::onnx_detail
