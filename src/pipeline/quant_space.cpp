#include "qdse/pipeline/quant_space.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "qdse/core/error.hpp"
#include "qdse/io/config_warning.hpp"
#include "qdse/io/quantize_config.hpp"

namespace qdse::pipeline {
namespace {

// A choice's identity (same_choice, duplicate checks): numbers by value (4 and 4.0
// are one choice), strings and booleans as themselves.
using ChoiceKey = std::tuple<int, double, std::string>;
ChoiceKey choice_key(const quant::ConfigValue& v) {
  if (const auto* i = std::get_if<int64_t>(&v)) return {0, static_cast<double>(*i), {}};
  if (const auto* x = std::get_if<double>(&v)) return {0, *x, {}};
  if (const auto* b = std::get_if<bool>(&v)) return {1, *b ? 1.0 : 0.0, {}};
  return {2, 0.0, std::get<std::string>(v)};
}

std::vector<quant::ConfigValue> choices_of(const io::TableReader& t, const std::string& key) {
  const toml::node* n = t.node(key);
  std::vector<quant::ConfigValue> out;
  auto scalar = [&](const toml::node& v) -> quant::ConfigValue {
    if (v.is_integer()) return v.as_integer()->get();
    if (v.is_floating_point()) {
      const double x = v.as_floating_point()->get();
      if (!std::isfinite(x))
        throw t.error(key, "choices of `" + key + "` must be finite numbers, got " + io::describe_node(v));
      return x;
    }
    if (v.is_string()) return v.as_string()->get();
    if (v.is_boolean()) return v.as_boolean()->get();
    throw t.error(key, "choices of `" + key + "` must be numbers, strings or booleans, got " +
                           io::describe_node(v));
  };
  if (const auto* arr = n->as_array()) {
    std::set<ChoiceKey> seen;
    for (const auto& v : *arr) {
      out.push_back(scalar(v));
      // A repeated choice is a second copy of the same configurations: brute force
      // would evaluate them twice and samplers would weigh that value double.
      if (!seen.insert(choice_key(out.back())).second)
        throw t.error(key, "`" + key + "` lists the choice " + choice_label(out.back()) +
                               " twice; give each choice once");
    }
    if (out.empty()) throw t.error(key, "`" + key + "` has an empty list of choices");
  } else {
    out.push_back(scalar(*n));  // a single value is a one-choice list
  }
  return out;
}

// Keys that configure the weight or bias slots, for ops that have neither.
bool is_weight_key(const std::string& key) { return key.rfind("weight_", 0) == 0 || key.rfind("bias_", 0) == 0; }

}  // namespace

std::string choice_label(const quant::ConfigValue& choice) { return quant::to_string(choice); }

nlohmann::json choice_json(const quant::ConfigValue& choice) {
  return std::visit([](const auto& v) { return nlohmann::json(v); }, choice);
}

bool same_choice(const quant::ConfigValue& a, const quant::ConfigValue& b) { return choice_key(a) == choice_key(b); }

QuantSpace::QuantSpace(const io::RunConfig& config, const ir::Graph& graph)
    : QuantSpace(parse_search_config(config, SearchParts::Space).space, graph) {}

QuantSpace::QuantSpace(const SpaceConfig& config, const ir::Graph& graph)
    : graph_(graph), calibration_(config.calibration), where_(config.where) {
  QDSE_ASSERT(config.seed.has_value(), "a SpaceConfig from parse_search_config has its seed tables");
  const io::TableReader& seed = *config.seed;
  const io::QuantizeBy by = config.by;

  // Group nodes by the seed table that applies to them; by type, all nodes of one
  // type share their table's params, as MASE does.
  std::map<std::string, int> group_of_table;
  struct GroupTable {
    int group;
    io::TableReader table;
    bool from_default;
  };
  std::vector<GroupTable> group_tables;
  for (const auto& lt : io::resolve_layer_tables(seed, by, graph, {})) {
    if (!lt.config) continue;
    const auto& node = graph.node(lt.node);
    // A node's group is its own name (by name, or by type with per_node) or its type (by
    // type); the default table thus gives every node (or type) its own independent params.
    const std::string group_key =
        by == io::QuantizeBy::Type && !config.per_node ? std::string(ir::to_string(node.op)) : node.name;
    auto [it, inserted] = group_of_table.try_emplace(group_key, static_cast<int>(groups_.size()));
    if (inserted) {
      groups_.push_back({group_key, {}, lt.config->where()});
      group_tables.push_back({it->second, *lt.config, lt.from_default});
    }
    groups_[it->second].nodes.push_back(lt.node);
  }
  std::vector<std::string> dropped;  // dead params from explicit tables, for one warning
  for (const auto& [g, table, from_default] : group_tables) {
    std::vector<std::string> keys = table.keys();
    // Dims of one group: "name" first, then the keys in sorted order (stable names).
    std::sort(keys.begin(), keys.end(), [](const std::string& a, const std::string& b) {
      return (a == "name") != (b == "name") ? a == "name" : a < b;
    });
    bool has_weight = false;
    for (int node : groups_[g].nodes) has_weight = has_weight || ir::traits(graph.node(node).op).has_weight;
    for (const auto& key : keys) {
      // weight_*/bias_* keys of an op without weights change nothing: as dimensions
      // they would multiply the space with identical configurations.
      // So do implementation keys (layer_impl.hpp): only layers with weights are costed.
      if (!has_weight && (is_weight_key(key) || impl_key_backend(key))) {
        choices_of(table, key);  // still a well-formed list
        if (!from_default) dropped.push_back(groups_[g].key + "/config/" + key);
        continue;
      }
      Dim d{groups_[g].key + "/config/" + key, g, key, choices_of(table, key)};
      d.impl = impl_key_backend(key).has_value();
      if (d.impl) {
        LayerImpl check;
        for (const auto& c : d.choices) set_impl_key(check, key, c, table.where(key));
      }
      search::CategoricalDistribution dist;
      for (const auto& c : d.choices) dist.choices.push_back(choice_label(c));
      bool numeric = true;
      for (const auto& c : d.choices) {
        if (auto* i = std::get_if<int64_t>(&c)) dist.values.push_back(static_cast<double>(*i));
        else if (auto* x = std::get_if<double>(&c)) dist.values.push_back(*x);
        else numeric = false;
      }
      if (!numeric) dist.values.clear();
      dist.ordered = numeric;
      space_.add(d.param, dist);
      dims_.push_back(std::move(d));
    }
    // Check every choice now: with the other keys at their first choice, each
    // value must parse for every node of the group (a table without keys too).
    quant::ConfigDict first;
    for (const auto& d : dims_)
      if (d.group == g && !d.impl) first[d.key] = d.choices.front();
    for (int node : groups_[g].nodes) io::parse_layer_config(first, graph.node(node).op, table);
    for (std::size_t di = 0; di < dims_.size(); ++di) {
      if (dims_[di].group != g || dims_[di].impl) continue;
      for (const auto& choice : dims_[di].choices) {
        quant::ConfigDict dict = first;
        dict[dims_[di].key] = choice;
        for (int node : groups_[g].nodes) io::parse_layer_config(dict, graph.node(node).op, table);
      }
    }
  }
  if (!dropped.empty()) {
    std::string list;
    for (const auto& p : dropped) list += (list.empty() ? "" : ", ") + p;
    io::warn_config("dropped from the search space, their layers have no weights: " + list + " (" + where_ + ")");
  }
  if (dims_.empty()) throw seed.error("", "the search space is empty: no seed table applies to any layer");
}

bool QuantSpace::uses_auto_frac() const {
  for (const auto& d : dims_)
    for (const auto& c : d.choices)
      if (const auto* s = std::get_if<std::string>(&c); s && *s == "auto") return true;
  return false;
}

std::optional<std::size_t> QuantSpace::choice_index(std::size_t i, const quant::ConfigValue& value) const {
  const auto& choices = dims_.at(i).choices;
  for (std::size_t c = 0; c < choices.size(); ++c)
    if (same_choice(choices[c], value)) return c;
  return std::nullopt;
}

quant::ConfigDict QuantSpace::describe(const search::ParamVector& params) const {
  QDSE_ASSERT(params.size() == dims_.size(), "param vector does not match the space");
  quant::ConfigDict out;
  for (std::size_t i = 0; i < dims_.size(); ++i)
    out[dims_[i].param] = dims_[i].choices.at(static_cast<std::size_t>(params[i]));
  return out;
}

quant::QuantConfig QuantSpace::decode(const search::ParamVector& params) const {
  QDSE_ASSERT(params.size() == dims_.size(), "param vector does not match the space");
  std::vector<quant::ConfigDict> dicts(groups_.size());
  for (std::size_t i = 0; i < dims_.size(); ++i)
    if (!dims_[i].impl) dicts[dims_[i].group][dims_[i].key] = dims_[i].choices.at(static_cast<std::size_t>(params[i]));
  quant::QuantConfig out;
  for (std::size_t g = 0; g < groups_.size(); ++g)
    for (int node : groups_[g].nodes) {
      auto c = quant::parse_node_config(dicts[g], graph_.node(node).op, groups_[g].where);
      if (c.quantized()) out.nodes[graph_.node(node).name] = c;
    }
  return out;
}

ImplConfig QuantSpace::decode_impl(const search::ParamVector& params) const {
  QDSE_ASSERT(params.size() == dims_.size(), "param vector does not match the space");
  ImplConfig out;
  for (std::size_t i = 0; i < dims_.size(); ++i) {
    if (!dims_[i].impl) continue;
    const auto& choice = dims_[i].choices.at(static_cast<std::size_t>(params[i]));
    for (int node : groups_[dims_[i].group].nodes)
      set_impl_key(out[graph_.node(node).name], dims_[i].key, choice, groups_[dims_[i].group].where);
  }
  return out;
}

std::vector<std::size_t> QuantSpace::params_of_node(int node) const {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < dims_.size(); ++i) {
    const auto& nodes = groups_[dims_[i].group].nodes;
    if (std::find(nodes.begin(), nodes.end(), node) != nodes.end()) out.push_back(i);
  }
  return out;
}

std::vector<QuantSpace::ImplDim> QuantSpace::impl_dims() const {
  std::vector<ImplDim> out;
  for (const auto& d : dims_)
    if (d.impl) out.push_back({d.param, d.key, groups_[d.group].nodes, d.choices, groups_[d.group].where});
  return out;
}

}  // namespace qdse::pipeline
