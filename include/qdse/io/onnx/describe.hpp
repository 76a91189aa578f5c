// describe_layers(): one row per graph node (name, op type, output shape,
// parameter count, quantizable), the data behind `qdse layers --model X`. It is
// how a user finds the names a MASE "by name" config must use for an imported model.
// Ownership: returns values. Thread-safety: reentrant (runs one zero batch through
// the graph to learn shapes).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "qdse/ir/graph.hpp"

namespace qdse::io {

struct LayerRow {
  std::string name;                   // node name, as configs address it
  std::string op;                     // MASE type name ("linear", "relu", ...)
  std::vector<int64_t> output_shape;  // one sample, batch excluded
  int64_t params = 0;                 // weight + bias elements (not running stats)
  bool quantizable = false;           // a weight or data_in format may apply
};

std::vector<LayerRow> describe_layers(const ir::Graph& graph);

// Fixed-width text table of the rows (header + one line per row).
std::string format_layer_table(const std::vector<LayerRow>& rows);

}  // namespace qdse::io
