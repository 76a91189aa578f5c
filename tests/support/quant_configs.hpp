// QuantConfig values for tests that build configurations in code rather than from TOML.
#pragma once

#include <optional>

#include "qdse/quant/quant_config.hpp"

namespace qdse::testing {

// A linear layer with integer data_in and weight (frac "NA" = width / 2); the bias
// takes the weight's format.
inline quant::NodeQuantConfig integer_node(int data_width, int weight_width) {
  quant::NodeQuantConfig c;
  c.data_in = quant::SlotFormat{quant::Format{quant::IntegerFormat{.width = data_width}}, false};
  c.weight = quant::SlotFormat{quant::Format{quant::IntegerFormat{.width = weight_width}}, false};
  c.bias = c.weight;
  return c;
}

// A weight layer with the given integer formats (frac widths as given); no bias
// format when b is empty (a float bias).
inline quant::NodeQuantConfig integer_formats_node(const quant::IntegerFormat& d, const quant::IntegerFormat& w,
                                                   const std::optional<quant::IntegerFormat>& b) {
  quant::NodeQuantConfig c;
  c.data_in = quant::SlotFormat{quant::Format{d}, false};
  c.weight = quant::SlotFormat{quant::Format{w}, false};
  if (b) c.bias = quant::SlotFormat{quant::Format{*b}, false};
  return c;
}

}  // namespace qdse::testing
