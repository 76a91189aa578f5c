// Sensitivity pass (issue 17, item 1): for every group of a QuantSpace and every choice of
// that group, the measured change in accuracy and loss when only that group takes the
// choice and every other group stays at the reference.
//
// Group: what QuantSpace calls a group, i.e. the params "<group>/config/<key>" that share
// a prefix: one node (setup.by = "name") or all nodes of one op type (setup.by = "type").
// A group's choices are the cartesian product of its dimensions (name x data_in_width x
// weight_width ...), the options of one item of a multiple-choice knapsack; choosing a
// dimension alone would not be additive (weight and data_in widths multiply in BitOPs).
// Products are usually small (2 x 3 = 6 on fmnist-mlp); one larger than
// `max_choices_per_group` is refused with a one-line error naming the group and its size
// rather than silently sampled.
//
// Reference: the float model (nothing quantized, the empty QuantConfig), evaluated by the
// same TrialEvaluator as every row, so d_accuracy = accuracy(row) - accuracy(reference)
// is exactly what a direct evaluation of the single-group configuration gives.
// Groups are measured in graph order (earliest layer first) and every configuration keeps
// the earlier layers float, so the evaluator's prefix memo serves every prefix and each
// measurement recomputes only the suffix from its group onward.
//
// Costs: for every metric that is a sum over layers (metric_kind.hpp), the change of the
// network's value when only the group takes the choice (cost(row) - cost(reference)); the
// network's value of any configuration is then the reference's plus the sum of its
// groups' changes, exactly. Negative when the choice is cheaper than float.
// Thread-safety: functions are pure apart from the evaluator they are given.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "qdse/io/run_config.hpp"
#include "qdse/ir/graph.hpp"
#include "qdse/pipeline/quant_space.hpp"
#include "qdse/pipeline/trial_evaluator.hpp"
#include "qdse/quant/quant_config.hpp"
#include "qdse/search/space.hpp"

namespace qdse::pipeline {

// One group of a space: its name and the indices of its params in space().
struct SpaceGroup {
  std::string name;
  std::vector<std::size_t> params;
};

// The groups of `space` in space order (graph order).
std::vector<SpaceGroup> space_groups(const QuantSpace& space);

// Number of choices of `group` (the product of its params' choice counts).
std::uint64_t group_choice_count(const QuantSpace& space, const SpaceGroup& group);

// The choice indices (one per param of the group) of its `index`-th choice, first param
// slowest.
std::vector<std::size_t> group_choice(const QuantSpace& space, const SpaceGroup& group, std::uint64_t index);

// What a group of `config`'s space is named after: node names (setup.by = "name", or
// "type" with setup.per_node) or op types. The `by` argument of the functions below.
io::QuantizeBy group_naming(const SpaceConfig& config);

// The configuration in which only `group` takes `choice` (indices per param of the
// group) and every other node is float. `by` (group_naming) says whether groups are node
// names or op types.
quant::QuantConfig single_group_config(const QuantSpace& space, const ir::Graph& graph, io::QuantizeBy by,
                                       const SpaceGroup& group, const std::vector<std::size_t>& choice);

struct SensitivityRow {
  std::string label;                 // "data_in_width=4 weight_width=2" (params with more than one choice)
  std::vector<std::size_t> choice;   // index per param of the group
  double accuracy = 0, loss = 0;
  double d_accuracy = 0, d_loss = 0;  // minus the reference's
  std::map<std::string, double> cost;  // per sum-over-layers metric: change from the reference
  bool cached = false;  // the evaluator had this configuration already (e.g. equal to another row's)
};

struct SensitivityGroup {
  std::string name;
  std::vector<std::string> params;  // full param names, aligned with SensitivityRow::choice
  std::vector<SensitivityRow> rows;
};

struct SensitivityTable {
  std::map<std::string, double> reference;  // every metric of the float reference
  std::vector<std::string> cost_metrics;    // the sum-over-layers metrics in `cost`
  std::vector<SensitivityGroup> groups;
  int evaluations = 0;  // configurations the evaluator computed (the reference included)
  double seconds = 0;   // wall time of the pass
};

struct SensitivityOptions {
  std::uint64_t max_choices_per_group = 4096;
};

// The sum-over-layers metrics that TrialEvaluator reports, in table order.
std::vector<std::string> sum_over_layer_metrics();

SensitivityTable measure_sensitivity(const QuantSpace& space, const ir::Graph& graph, io::QuantizeBy by,
                                     TrialEvaluator& evaluator, const SensitivityOptions& options = {});

// sensitivity.json / sensitivity.csv contents.
nlohmann::json to_json(const SensitivityTable& table);
std::string to_csv(const SensitivityTable& table);
// Reads to_json's output back; `where` (the file) names it in errors (qdse::Error, Io).
SensitivityTable sensitivity_from_json(const nlohmann::json& doc, const std::string& where);
// Reads sensitivity.json at `path` (qdse::Error(Io) when missing, not JSON or not a table).
SensitivityTable read_sensitivity_file(const std::string& path);

}  // namespace qdse::pipeline
