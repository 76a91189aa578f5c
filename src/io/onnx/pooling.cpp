// Pooling: MaxPool, AveragePool (-> max_pool2d / avg_pool2d) and
// GlobalAveragePool (-> adaptive_avg_pool2d to 1x1).
#include <torch/torch.h>

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
  const Window2d w = window_2d(c, n, x.sample, kernel, channels, ceil_mode, max);
  ir::Node node;
  node.op = max ? ir::OpKind::MaxPool2d : ir::OpKind::AvgPool2d;
  node.attrs.kernel = w.kernel;
  node.attrs.stride = w.stride;
  node.attrs.padding = w.padding;
  node.attrs.dilation = w.dilation;
  node.attrs.ceil_mode = ceil_mode;
  if (!max) node.attrs.count_include_pad = attr_int(c, n, "count_include_pad", 0) != 0;
  c.emit(n, std::move(node), {n.input(0)});
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
}

}  // namespace qdse::io::onnx_detail
