// Checks shared by the hls4ml and FINN models (private to qdse_hw).
#pragma once

#include <string>

#include "qdse/core/error.hpp"
#include "qdse/hw/cost.hpp"

namespace qdse::hw::detail {

// "layer `fc1`: <message>" as an InvalidArgument error.
Error layer_error(const LayerShape& layer, const std::string& message);

// Throws unless every dimension and width of the layer is >= 1.
void check_layer(const LayerShape& layer, const LayerFormats& formats);

}  // namespace qdse::hw::detail
