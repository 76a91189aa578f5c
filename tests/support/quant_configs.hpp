// QuantConfig values for tests that build configurations in code rather than from TOML.
#pragma once

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

}  // namespace qdse::testing
