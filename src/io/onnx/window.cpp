// Shared attribute logic of the 2-D window ops (Conv, MaxPool, AveragePool).
#include <torch/types.h>

#include "qdse/io/onnx/import_context.hpp"

namespace qdse::io::onnx_detail {

at::Tensor as_float(const at::Tensor& t) { return t.to(at::kFloat); }

Window2d window_2d(const ImportContext& c, const onnx::NodeProto& n, const at::Tensor& sample,
                   const std::vector<int64_t>& kernel, int64_t out_channels, bool ceil_mode,
                   bool has_dilations) {
  if (sample.dim() != 4)
    c.fail(n, "expects a 4-D input [N, C, H, W], got rank " + std::to_string(sample.dim()) +
                  " (only 2-D windows are supported)");
  constexpr int64_t kLimit = int64_t{1} << 16;  // far beyond any real kernel/stride/pad
  auto check = [&](const std::vector<int64_t>& v, const char* what, int64_t lo) {
    if (v.size() != 2) c.fail(n, std::string(what) + " must have 2 values, got " + std::to_string(v.size()));
    for (int64_t x : v)
      if (x < lo || x > kLimit)
        c.fail(n, std::string(what) + " value " + std::to_string(x) + " is out of range");
  };
  Window2d w;
  w.kernel = kernel;
  check(w.kernel, "kernel_shape", 1);
  w.stride = attr_ints(c, n, "strides", {1, 1});
  check(w.stride, "strides", 1);
  w.dilation = has_dilations ? attr_ints(c, n, "dilations", {1, 1}) : std::vector<int64_t>{1, 1};
  check(w.dilation, "dilations", 1);
  const std::string auto_pad = attr_string(c, n, "auto_pad", "NOTSET");
  const int64_t in_hw[2] = {sample.size(2), sample.size(3)};
  if (auto_pad == "NOTSET") {
    const auto pads = attr_ints(c, n, "pads", {0, 0, 0, 0});
    if (pads.size() != 4) c.fail(n, "pads must have 4 values, got " + std::to_string(pads.size()));
    for (int64_t x : pads)
      if (x < 0 || x > kLimit) c.fail(n, "pads value " + std::to_string(x) + " is out of range");
    if (pads[0] != pads[2] || pads[1] != pads[3])
      c.fail(n, "asymmetric pads [" + std::to_string(pads[0]) + ", " + std::to_string(pads[1]) +
                    ", " + std::to_string(pads[2]) + ", " + std::to_string(pads[3]) +
                    "] are not supported (begin and end padding must match)");
    w.padding = {pads[0], pads[1]};
  } else if (auto_pad == "VALID") {
    w.padding = {0, 0};
  } else if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
    for (int i = 0; i < 2; ++i) {
      const int64_t out = (in_hw[i] + w.stride[i] - 1) / w.stride[i];
      const int64_t total =
          std::max<int64_t>((out - 1) * w.stride[i] + (w.kernel[i] - 1) * w.dilation[i] + 1 - in_hw[i], 0);
      if (total % 2 != 0)
        c.fail(n, "auto_pad " + auto_pad + " needs asymmetric padding here (" + std::to_string(total) +
                      " in total on axis " + std::to_string(i) + "), which is not supported");
      w.padding.push_back(total / 2);
    }
  } else {
    c.fail(n, "auto_pad '" + auto_pad + "' is not one of NOTSET, VALID, SAME_UPPER, SAME_LOWER");
  }
  int64_t out_elems = out_channels;
  for (int i = 0; i < 2; ++i) {
    const int64_t span = in_hw[i] + 2 * w.padding[i] - w.dilation[i] * (w.kernel[i] - 1) - 1;
    if (span < 0) c.fail(n, "the window is larger than the padded input");
    const int64_t out = (ceil_mode ? span + w.stride[i] - 1 : span) / w.stride[i] + 1;
    out_elems *= out;
    if (out_elems > kMaxSampleElements) c.fail(n, "output would be too large");
  }
  return w;
}

}  // namespace qdse::io::onnx_detail
