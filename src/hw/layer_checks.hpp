// Checks shared by the hls4ml and FINN models (private to qdse_hw).
#pragma once

#include <cstdint>
#include <string>

#include "qdse/core/error.hpp"
#include "qdse/hw/cost.hpp"

namespace qdse::hw::detail {

// "layer `fc1`: <message>" as an InvalidArgument error.
Error layer_error(const LayerShape& layer, const std::string& message);

// The range the models compute in 64-bit integers without overflow: every dimension, the
// dot-product length, the dot products per pixel and the output pixels at most 2^20, the
// multiply-accumulates of a layer at most 2^36, widths at most 128 bits. Real layers are
// far inside it; anything outside is refused rather than miscounted.
constexpr int64_t kMaxDimension = int64_t{1} << 20;
constexpr int64_t kMaxMacs = int64_t{1} << 36;
constexpr int kMaxWidth = 128;

// Throws unless every dimension of the layer is in [1, kMaxDimension] and its
// multiply-accumulates are at most kMaxMacs.
void check_shape(const LayerShape& layer);
// check_shape, and every width in [1, kMaxWidth].
void check_layer(const LayerShape& layer, const LayerFormats& formats);

}  // namespace qdse::hw::detail
