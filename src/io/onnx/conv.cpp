// Conv (2-D) -> conv2d, with groups, strides, dilations and symmetric pads (its own, plus
// those of a zero Pad before it).
#include <torch/types.h>

#include "qdse/io/onnx/import_context.hpp"

namespace qdse::io::onnx_detail {
namespace {

void conv(ImportContext& c, const onnx::NodeProto& n) {
  const Value& x = c.data_input(n, 0);
  const at::Tensor w = as_float(c.constant_input(n, 1));
  if (w.dim() != 4)
    c.fail(n, "weight must be 4-D [M, C/group, kH, kW], got rank " + std::to_string(w.dim()) +
                  " (only 2-D convolutions are supported)");
  const int64_t group = attr_int(c, n, "group", 1);
  if (group < 1 || x.sample.dim() != 4 || x.sample.size(1) != w.size(1) * group ||
      w.size(0) % group != 0)
    c.fail(n, "weight " + c10::str(w.sizes()) + " with group " + std::to_string(group) +
                  " does not fit input " + c10::str(x.sample.sizes()));
  const std::vector<int64_t> kernel = {w.size(2), w.size(3)};
  if (attr_ints(c, n, "kernel_shape", kernel) != kernel)
    c.fail(n, "kernel_shape disagrees with the weight's shape " + c10::str(w.sizes()));
  Window2d win = window_2d(c, n, x.sample, kernel, w.size(0), false, true);
  absorb_padding(c, n, win);
  ir::Node node;
  node.op = ir::OpKind::Conv2d;
  node.attrs.in_channels = w.size(1) * group;
  node.attrs.out_channels = w.size(0);
  node.attrs.kernel = win.kernel;
  node.attrs.stride = win.stride;
  node.attrs.padding = win.padding;
  node.attrs.dilation = win.dilation;
  node.attrs.groups = group;
  node.attrs.bias = c.has_input(n, 2);
  node.params["weight"] = w.contiguous();
  if (node.attrs.bias) {
    const at::Tensor b = as_float(c.constant_input(n, 2));
    if (b.dim() != 1 || b.size(0) != w.size(0))
      c.fail(n, "bias must have shape [" + std::to_string(w.size(0)) + "], got " + c10::str(b.sizes()));
    node.params["bias"] = b.contiguous();
  }
  c.emit(n, std::move(node), {n.input(0)});
}

}  // namespace

void register_conv_handlers(HandlerTable& t) { t["Conv"] = conv; }

}  // namespace qdse::io::onnx_detail
