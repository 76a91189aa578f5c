#include "qdse/hw/cost.hpp"

#include <utility>

#include "layer_checks.hpp"
#include "qdse/core/error.hpp"

namespace qdse::hw {

int64_t LayerShape::dot_length() const {
  return kind == LayerKind::Dense ? in_features : in_channels * kernel_h * kernel_w;
}
int64_t LayerShape::dot_count() const { return kind == LayerKind::Dense ? out_features : out_channels; }
int64_t LayerShape::output_pixels() const { return kind == LayerKind::Dense ? 1 : out_h * out_w; }

LayerShape dense_shape(std::string name, int64_t in_features, int64_t out_features) {
  LayerShape s;
  s.name = std::move(name);
  s.kind = LayerKind::Dense;
  s.in_features = in_features;
  s.out_features = out_features;
  return s;
}

LayerShape conv2d_shape(std::string name, int64_t in_channels, int64_t out_channels, int64_t kernel_h,
                        int64_t kernel_w, int64_t out_h, int64_t out_w) {
  LayerShape s;
  s.name = std::move(name);
  s.kind = LayerKind::Conv2d;
  s.in_channels = in_channels;
  s.out_channels = out_channels;
  s.kernel_h = kernel_h;
  s.kernel_w = kernel_w;
  s.out_h = out_h;
  s.out_w = out_w;
  return s;
}

namespace detail {

Error layer_error(const LayerShape& layer, const std::string& message) {
  return Error(ErrorKind::InvalidArgument, "layer `" + layer.name + "`: " + message);
}

void check_layer(const LayerShape& layer, const LayerFormats& formats) {
  auto positive = [&](const char* what, int64_t v) {
    if (v < 1) throw layer_error(layer, std::string(what) + " must be >= 1, got " + std::to_string(v));
  };
  if (layer.kind == LayerKind::Dense) {
    positive("in_features", layer.in_features);
    positive("out_features", layer.out_features);
  } else {
    positive("in_channels", layer.in_channels);
    positive("out_channels", layer.out_channels);
    positive("kernel_h", layer.kernel_h);
    positive("kernel_w", layer.kernel_w);
    positive("out_h", layer.out_h);
    positive("out_w", layer.out_w);
  }
  positive("data width", formats.data.width);
  positive("weight width", formats.weight.width);
  positive("output width", formats.output.width);
  if (formats.has_bias) positive("bias width", formats.bias.width);
  if (formats.accumulator) positive("accumulator width", formats.accumulator->width);
}

}  // namespace detail
}  // namespace qdse::hw
