#include "qdse/io/quantize_config.hpp"

#include <set>

namespace qdse::io {
namespace {

bool has_something_to_quantize(const ir::Node& n) {
  const auto& t = ir::traits(n.op);
  return t.has_weight || t.data_quantizable;
}

}  // namespace

QuantizeBy parse_by(const TableReader& table, std::string_view key) {
  const std::string by = table.string_or(key, "type");
  if (by == "type") return QuantizeBy::Type;
  if (by == "name") return QuantizeBy::Name;
  throw table.error(key, "`by` must be \"type\" or \"name\", got \"" + by + "\"");
}

std::vector<LayerTable> resolve_layer_tables(const TableReader& table, QuantizeBy by,
                                             const ir::Graph& graph,
                                             const std::vector<std::string_view>& extra_keys) {
  // Every other key must address something that exists: a typo in a layer name
  // would otherwise leave that layer silently unquantized.
  std::set<std::string> extra(extra_keys.begin(), extra_keys.end());
  for (const auto& key : table.keys()) {
    if (key == "default" || extra.count(key)) continue;
    if (by == QuantizeBy::Type) {
      if (!ir::parse_op_kind(key))
        throw table.error(key, "`" + key + "` is not an op type; valid types: " + ir::list_op_kinds());
    } else if (!graph.find(key)) {
      std::string names;
      for (const auto& n : graph.nodes())
        if (has_something_to_quantize(n)) names += (names.empty() ? "" : ", ") + n.name;
      throw table.error(key, "model '" + graph.name() + "' has no node named `" + key +
                                 "`; quantizable nodes: " + names);
    }
  }
  auto config_of = [&](const std::string& key) -> std::optional<TableReader> {
    auto t = table.get_table(key);
    if (!t) return std::nullopt;
    t->check_keys({"config"});
    auto c = t->get_table("config");
    if (!c) throw t->error("", "`" + t->path() + "` needs a `config` table");
    return c;
  };
  const auto fallback = config_of("default");
  std::vector<LayerTable> out;
  for (std::size_t i = 0; i < graph.size(); ++i) {
    const auto& node = graph.node(static_cast<int>(i));
    if (!has_something_to_quantize(node)) continue;
    const std::string key = by == QuantizeBy::Type ? std::string(ir::to_string(node.op)) : node.name;
    auto c = config_of(key);
    out.push_back({static_cast<int>(i), c ? c : fallback});
  }
  return out;
}

quant::ConfigDict to_config_dict(const TableReader& table) {
  quant::ConfigDict d;
  for (const auto& [k, v] : table.raw()) {
    const std::string key(k.str());
    if (v.is_integer()) d[key] = v.as_integer()->get();
    else if (v.is_floating_point()) d[key] = v.as_floating_point()->get();
    else if (v.is_string()) d[key] = v.as_string()->get();
    else if (v.is_boolean()) d[key] = v.as_boolean()->get();
    else
      throw table.error(key, "`" + key + "` must be a single value here, got " + describe_node(v));
  }
  return d;
}

quant::CalibrationOptions parse_calibration(const TableReader& t) {
  t.check_keys({"num_samples", "statistic", "percentile"});
  quant::CalibrationOptions o;
  o.num_samples = t.int_or("num_samples", o.num_samples);
  if (o.num_samples <= 0)
    throw t.error("num_samples", "`num_samples` must be positive, got " + std::to_string(o.num_samples));
  const std::string stat = t.string_or("statistic", "max");
  if (stat == "max") o.statistic = quant::CalibrationOptions::Statistic::Max;
  else if (stat == "percentile") o.statistic = quant::CalibrationOptions::Statistic::Percentile;
  else throw t.error("statistic", "`statistic` must be \"max\" or \"percentile\", got \"" + stat + "\"");
  o.percentile = t.double_or("percentile", o.percentile);
  if (!(o.percentile > 0 && o.percentile <= 100))
    throw t.error("percentile", "`percentile` must be in (0, 100], got " + std::to_string(o.percentile));
  return o;
}

std::optional<QuantizePass> parse_quantize_pass(const RunConfig& config, const ir::Graph& graph) {
  const TableReader root = config.root();
  const auto passes = root.get_table("passes");
  if (!passes) return std::nullopt;
  passes->check_keys({"quantize"});
  const auto q = passes->get_table("quantize");
  if (!q) return std::nullopt;
  QuantizePass pass;
  const QuantizeBy by = parse_by(*q, "by");
  if (auto cal = q->get_table("calibration")) pass.calibration = parse_calibration(*cal);
  for (const auto& lt : resolve_layer_tables(*q, by, graph, {"by", "calibration", "report"})) {
    if (!lt.config) continue;
    const auto& node = graph.node(lt.node);
    auto c = quant::parse_node_config(to_config_dict(*lt.config), node.op, lt.config->where());
    if (c.quantized()) pass.config.nodes[node.name] = c;
  }
  return pass;
}

}  // namespace qdse::io
