#include "qdse/pipeline/quant_space.hpp"

#include "qdse/core/error.hpp"
#include "qdse/io/quantize_config.hpp"

namespace qdse::pipeline {
namespace {

std::vector<quant::ConfigValue> choices_of(const io::TableReader& t, const std::string& key) {
  const toml::node* n = t.node(key);
  std::vector<quant::ConfigValue> out;
  auto scalar = [&](const toml::node& v) -> quant::ConfigValue {
    if (v.is_integer()) return v.as_integer()->get();
    if (v.is_floating_point()) return v.as_floating_point()->get();
    if (v.is_string()) return v.as_string()->get();
    if (v.is_boolean()) return v.as_boolean()->get();
    throw t.error(key, "choices of `" + key + "` must be numbers, strings or booleans, got " +
                           io::describe_node(v));
  };
  if (const auto* arr = n->as_array()) {
    for (const auto& v : *arr) out.push_back(scalar(v));
    if (out.empty()) throw t.error(key, "`" + key + "` has an empty list of choices");
  } else {
    out.push_back(scalar(*n));  // a single value is a one-choice list
  }
  return out;
}

}  // namespace

QuantSpace::QuantSpace(const io::RunConfig& config, const ir::Graph& graph) : graph_(graph) {
  const io::TableReader root = config.root();
  const auto search = root.get_table("search");
  if (!search) throw Error(ErrorKind::Config, "no [search] table in " + config.file);
  const auto ss = search->get_table("search_space");
  if (!ss) throw search->error("", "[search] needs a `search_space` table");
  where_ = ss->where();
  ss->check_keys({"name", "setup", "seed", "calibration"});
  const std::string name = ss->string_or("name", "graph/quantize/mixed_precision_ptq");
  if (name != "graph/quantize/mixed_precision_ptq")
    throw ss->error("name", "search space `" + name +
                                "` is not supported; qdse searches \"graph/quantize/mixed_precision_ptq\"");
  io::QuantizeBy by = io::QuantizeBy::Type;
  if (auto setup = ss->get_table("setup")) {
    setup->check_keys({"by"});
    by = io::parse_by(*setup, "by");
  }
  if (auto cal = ss->get_table("calibration")) calibration_ = io::parse_calibration(*cal);
  const auto seed = ss->get_table("seed");
  if (!seed) throw ss->error("", "[search.search_space] needs `seed` tables (seed.default.config, ...)");

  // Group nodes by the seed table that applies to them; by type, all nodes of one
  // type share their table's params, as MASE does.
  std::map<std::string, int> group_of_table;
  std::vector<std::pair<int, io::TableReader>> group_tables;
  for (const auto& lt : io::resolve_layer_tables(*seed, by, graph, {})) {
    if (!lt.config) continue;
    const auto& node = graph.node(lt.node);
    // A node's group is its own name (by name) or its type (by type); the default
    // table thus gives every node (or type) its own independent params.
    const std::string group_key =
        by == io::QuantizeBy::Type ? std::string(ir::to_string(node.op)) : node.name;
    auto [it, inserted] = group_of_table.try_emplace(group_key, static_cast<int>(groups_.size()));
    if (inserted) {
      groups_.push_back({group_key, {}, lt.config->where()});
      group_tables.emplace_back(it->second, *lt.config);
    }
    groups_[it->second].nodes.push_back(lt.node);
  }
  for (const auto& [g, table] : group_tables) {
    std::vector<std::string> keys = table.keys();
    // Dims of one group: "name" first, then the keys in sorted order (stable names).
    std::sort(keys.begin(), keys.end(), [](const std::string& a, const std::string& b) {
      return (a == "name") != (b == "name") ? a == "name" : a < b;
    });
    for (const auto& key : keys) {
      Dim d{groups_[g].key + "/config/" + key, g, key, choices_of(table, key)};
      std::vector<std::string> labels;
      for (const auto& c : d.choices) labels.push_back(quant::to_string(c));
      search::CategoricalDistribution dist;
      dist.choices = labels;
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
    // value must parse for every node of the group.
    for (std::size_t di = 0; di < dims_.size(); ++di) {
      if (dims_[di].group != g) continue;
      for (const auto& choice : dims_[di].choices) {
        quant::ConfigDict dict;
        for (const auto& d : dims_)
          if (d.group == g) dict[d.key] = d.choices.front();
        dict[dims_[di].key] = choice;
        for (int node : groups_[g].nodes)
          quant::parse_node_config(dict, graph.node(node).op, table.where(dims_[di].key));
      }
    }
  }
  if (dims_.empty()) throw seed->error("", "the search space is empty: no seed table applies to any layer");
}

bool QuantSpace::uses_auto_frac() const {
  for (const auto& d : dims_)
    for (const auto& c : d.choices)
      if (const auto* s = std::get_if<std::string>(&c); s && *s == "auto") return true;
  return false;
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
    dicts[dims_[i].group][dims_[i].key] = dims_[i].choices.at(static_cast<std::size_t>(params[i]));
  quant::QuantConfig out;
  for (std::size_t g = 0; g < groups_.size(); ++g)
    for (int node : groups_[g].nodes) {
      auto c = quant::parse_node_config(dicts[g], graph_.node(node).op, groups_[g].where);
      if (c.quantized()) out.nodes[graph_.node(node).name] = c;
    }
  return out;
}

}  // namespace qdse::pipeline
