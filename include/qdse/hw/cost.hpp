// The vocabulary of the hardware cost models (docs/hardware.md): what a layer is
// (kind and shape), which number formats it computes in, and what it costs on an FPGA.
//
// Everything here is a plain value; the models (hls4ml_cost.hpp, finn_cost.hpp) are pure
// functions of these values and a Device, so a search can call them once per trial and
// layer at no measurable cost. Shapes and widths that cannot describe a layer (a zero
// dimension, a 0-bit format) are rejected by the models with a qdse::Error naming the
// layer. Thread-safety: value types.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace qdse::hw {

enum class LayerKind { Dense, Conv2d };

// A layer as the cost models see it. A dense layer is an n_in x n_out matrix-vector
// product; a conv2d layer is, per output pixel, the same product with
// n_in = in_channels * kernel_h * kernel_w and n_out = out_channels (the im2col view
// that hls4ml's and FINN's convolutions are built on).
struct LayerShape {
  std::string name;
  LayerKind kind = LayerKind::Dense;
  int64_t in_features = 0;   // dense only
  int64_t out_features = 0;  // dense only
  int64_t in_channels = 0;   // conv2d only
  int64_t out_channels = 0;
  int64_t kernel_h = 1;
  int64_t kernel_w = 1;
  int64_t out_h = 1;
  int64_t out_w = 1;

  // Inputs of one dot product (hls4ml's `n_in` of the layer's multiplication, FINN's MW).
  int64_t dot_length() const;
  // Dot products per output pixel (hls4ml's `n_out`, FINN's MH).
  int64_t dot_count() const;
  // Output pixels: 1 for dense, out_h * out_w for conv2d.
  int64_t output_pixels() const;
};

LayerShape dense_shape(std::string name, int64_t in_features, int64_t out_features);
LayerShape conv2d_shape(std::string name, int64_t in_channels, int64_t out_channels, int64_t kernel_h,
                        int64_t kernel_w, int64_t out_h, int64_t out_w);

// A fixed-point type as hls4ml writes it, ap_fixed<width, integer> (ap_ufixed when
// !is_signed); an integer is a fixed-point type with integer == width.
struct FixedType {
  int width = 0;
  int integer = 0;
  bool is_signed = true;
};

// The formats a layer computes in. `accumulator` unset means hls4ml's `auto` rule
// (arithmetic.hpp hls4ml_auto_accumulator); `output` is the layer's result type.
struct LayerFormats {
  FixedType data;
  FixedType weight;
  FixedType bias;
  bool has_bias = true;
  std::optional<FixedType> accumulator;
  FixedType output;
};

// What one layer (or a whole network) costs. BRAM is counted in 18 Kb halves (RAMB18,
// the unit of FINN's estimator and of device tables that list RAMB36 x 2). `ii` is the
// initiation interval in cycles: how often the hardware accepts a new input.
// `ff_estimated` is false where the model has no flip-flop rule (FINN has none): `ff`
// is then 0 and must not be shown or used as a figure.
struct Cost {
  int64_t lut = 0;
  int64_t ff = 0;
  int64_t dsp = 0;
  int64_t bram18 = 0;
  int64_t uram = 0;
  int64_t latency_cycles = 0;
  int64_t ii = 0;
  bool ff_estimated = true;
};

}  // namespace qdse::hw
