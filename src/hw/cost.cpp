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

void check_shape(const LayerShape& layer) {
  auto in_range = [&](const char* what, int64_t v) {
    if (v < 1 || v > kMaxDimension)
      throw layer_error(layer, std::string(what) + " must be in [1, " + std::to_string(kMaxDimension) + "], got " +
                                   std::to_string(v));
  };
  if (layer.kind == LayerKind::Dense) {
    in_range("in_features", layer.in_features);
    in_range("out_features", layer.out_features);
  } else {
    in_range("in_channels", layer.in_channels);
    in_range("out_channels", layer.out_channels);
    in_range("kernel_h", layer.kernel_h);
    in_range("kernel_w", layer.kernel_w);
    in_range("out_h", layer.out_h);
    in_range("out_w", layer.out_w);
    in_range("in_channels * kernel_h * kernel_w", layer.dot_length());
    in_range("out_h * out_w", layer.output_pixels());
  }
  const int64_t macs = layer.dot_length() * layer.dot_count() * layer.output_pixels();
  if (macs > kMaxMacs)
    throw layer_error(layer, std::to_string(macs) + " multiply-accumulates exceed the cost models' range of " +
                                 std::to_string(kMaxMacs));
}

void check_layer(const LayerShape& layer, const LayerFormats& formats) {
  check_shape(layer);
  auto width_ok = [&](const char* what, int v) {
    if (v < 1 || v > kMaxWidth)
      throw layer_error(layer, std::string(what) + " must be in [1, " + std::to_string(kMaxWidth) + "], got " +
                                   std::to_string(v));
  };
  width_ok("data width", formats.data.width);
  width_ok("weight width", formats.weight.width);
  width_ok("output width", formats.output.width);
  if (formats.has_bias) width_ok("bias width", formats.bias.width);
  if (formats.accumulator) width_ok("accumulator width", formats.accumulator->width);
}

}  // namespace detail
}  // namespace qdse::hw
