// The `[passes.quantize]` table (MASE layout) -> quant::QuantConfig for a graph.
//
//   [passes.quantize]
//   by = "type"                      # or "name"
//   [passes.quantize.default.config]
//   name = "NA"                      # layers not listed stay float
//   [passes.quantize.linear.config]  # by type: an op type; by name: a node name
//   name = "integer"
//   data_in_width = 8 ...
//   [passes.quantize.calibration]    # for frac_width = "auto" (qdse extension)
//   num_samples = 512
//   statistic = "max"                # or "percentile" with percentile = 99.99
//
// resolve_layer_tables() is shared with the search space (the same lookup with
// lists of choices instead of values). Errors name the file, line and key path.
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "qdse/io/run_config.hpp"
#include "qdse/ir/graph.hpp"
#include "qdse/lower/calibration.hpp"
#include "qdse/quant/quant_config.hpp"

namespace qdse::io {

enum class QuantizeBy { Type, Name };
QuantizeBy parse_by(const TableReader& table, std::string_view key);

// For every node that has something to quantize, the `<x>.config` table that
// applies to it (its type's or name's, else `default`), or nullopt when none does.
struct LayerTable {
  int node;
  std::optional<TableReader> config;
};
std::vector<LayerTable> resolve_layer_tables(const TableReader& table, QuantizeBy by,
                                             const ir::Graph& graph,
                                             const std::vector<std::string_view>& extra_keys);

// Scalar entries of a TOML table as a ConfigDict (arrays and tables are errors).
quant::ConfigDict to_config_dict(const TableReader& table);

quant::CalibrationOptions parse_calibration(const TableReader& table);

struct QuantizePass {
  quant::QuantConfig config;
  quant::CalibrationOptions calibration;
};

// nullopt when the config has no [passes.quantize] table.
std::optional<QuantizePass> parse_quantize_pass(const RunConfig& config, const ir::Graph& graph);

}  // namespace qdse::io
