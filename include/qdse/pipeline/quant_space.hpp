// QuantSpace: MASE's `graph/quantize/mixed_precision_ptq` search space, built from
// `[search.search_space]` (as parse_search_config read it, search_config.hpp) and a
// graph, and the decoding of sampled params back into a QuantConfig.
//
//   [search.search_space]
//   name = "graph/quantize/mixed_precision_ptq"
//   setup.by = "name"                      # or "type"
//   [search.search_space.seed.default.config]
//   name = ["NA"]
//   [search.search_space.seed.seq_blocks_1.config]   # a node (by name) or op type
//   name = ["integer"]
//   data_in_width = [4, 8]
//   weight_width = [2, 4, 8]
//   weight_frac_width = ["NA", "auto"]
//
// Every key holds a list of choices; the space is the product. Params are named as
// MASE flattens them, "<node or type>/config/<key>", in graph order (earliest layer
// first), so brute force enumerates with the first layers outermost. By type, all
// nodes of a type share one choice (as MASE). Every choice is checked when the
// space is built, so a bad width fails before the first trial.
//
// Implementation keys (reuse_factor, strategy, pe, simd: layer_impl.hpp) are dimensions
// too, but decode() leaves them out of the QuantConfig; decode_impl() returns them.
//
// Choices keep their TOML type (int, double, string, bool: quant::ConfigValue), so
// decoding, the study description and matching a recorded value never go through
// text; the search layer's categorical distribution only gets display labels
// (choice_label) and, for numbers, their values (ordering).
// Thread-safety: immutable after construction.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "qdse/io/run_config.hpp"
#include "qdse/ir/graph.hpp"
#include "qdse/lower/calibration.hpp"
#include "qdse/pipeline/layer_impl.hpp"
#include "qdse/pipeline/search_config.hpp"
#include "qdse/quant/quant_config.hpp"
#include "qdse/search/space.hpp"

namespace qdse::pipeline {

// The one text of a choice, for labels and messages: 8, 0.5, "NA", true.
std::string choice_label(const quant::ConfigValue& choice);
// A choice as JSON of its own type (8, 0.5, "NA", true): study descriptions, trial records.
nlohmann::json choice_json(const quant::ConfigValue& choice);
// One choice by value: numbers compare as numbers (4 and 4.0 are one choice), strings
// and booleans as themselves.
bool same_choice(const quant::ConfigValue& a, const quant::ConfigValue& b);

class QuantSpace {
 public:
  QuantSpace(const SpaceConfig& config, const ir::Graph& graph);
  // parse_search_config(config, SearchParts::Space).space over `graph`.
  QuantSpace(const io::RunConfig& config, const ir::Graph& graph);

  const search::SearchSpace& space() const { return space_; }
  // Sampled params (aligned with space()) -> per-node configs (auto frac unresolved).
  quant::QuantConfig decode(const search::ParamVector& params) const;
  // Sampled params -> the implementation parameters they choose, per node (empty when the
  // space lists none).
  ImplConfig decode_impl(const search::ParamVector& params) const;
  // An implementation key of the space: its param, the nodes it applies to, its choices.
  struct ImplDim {
    std::string param;
    std::string key;
    std::vector<int> nodes;
    std::vector<quant::ConfigValue> choices;
    std::string where;
  };
  std::vector<ImplDim> impl_dims() const;
  // Indices (into space()) of the params that configure graph node `node` (its group's);
  // empty when no seed table applies to it.
  std::vector<std::size_t> params_of_node(int node) const;
  // The chosen value of every param, for trial records ("seq_blocks_1/config/weight_width" -> 8).
  quant::ConfigDict describe(const search::ParamVector& params) const;
  const quant::CalibrationOptions& calibration() const { return calibration_; }
  // True when some choice is frac_width = "auto": only then do trials need the range
  // statistics of calibration (and thus training samples).
  bool uses_auto_frac() const;
  const std::string& where() const { return where_; }
  // The choices of param `i` of space(), as typed values.
  const std::vector<quant::ConfigValue>& choices(std::size_t i) const { return dims_.at(i).choices; }
  // Index of `value` among the choices of param `i` (same_choice), or nullopt.
  std::optional<std::size_t> choice_index(std::size_t i, const quant::ConfigValue& value) const;

 private:
  struct Dim {
    std::string param;  // "<group>/config/<key>"
    int group;
    std::string key;
    std::vector<quant::ConfigValue> choices;
    bool impl = false;  // an implementation key (layer_impl.hpp), not a format key
  };
  struct Group {
    std::string key;         // node name or op type
    std::vector<int> nodes;  // graph nodes it applies to
    std::string where;       // for errors
  };
  const ir::Graph& graph_;
  std::vector<Group> groups_;
  std::vector<Dim> dims_;
  search::SearchSpace space_;
  quant::CalibrationOptions calibration_;
  std::string where_;
};

}  // namespace qdse::pipeline
