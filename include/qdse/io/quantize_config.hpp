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
// A key naming neither a node of the graph nor an op type is an error (a typo); a
// key the chosen `by` does not use (an op type under "name", a node under "type",
// a type the graph lacks) is skipped with one warning line listing all of them.
struct LayerTable {
  int node;
  std::optional<TableReader> config;
  bool from_default = false;  // config is the shared `default` table
};
std::vector<LayerTable> resolve_layer_tables(const TableReader& table, QuantizeBy by,
                                             const ir::Graph& graph,
                                             const std::vector<std::string_view>& extra_keys);

// Scalar entries of a TOML table as a ConfigDict (arrays and tables are errors).
quant::ConfigDict to_config_dict(const TableReader& table);

// quant::parse_node_config for the values of `table` (or choices taken from it), with
// errors located at the line of the key at fault rather than at the table.
quant::NodeQuantConfig parse_layer_config(const quant::ConfigDict& dict, ir::OpKind op, const TableReader& table);

quant::CalibrationOptions parse_calibration(const TableReader& table);

struct QuantizePass {
  quant::QuantConfig config;
  quant::CalibrationOptions calibration;
};

// nullopt when the config has no [passes.quantize] table.
std::optional<QuantizePass> parse_quantize_pass(const RunConfig& config, const ir::Graph& graph);

}  // namespace qdse::io
