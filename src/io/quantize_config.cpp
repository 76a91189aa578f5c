#include "qdse/io/quantize_config.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include "qdse/io/config_warning.hpp"

namespace qdse::io {
namespace {

bool has_something_to_quantize(const ir::Node& n) { return ir::quantizable(ir::traits(n.op)); }

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
  // would otherwise leave that layer silently unquantized. A key that the other
  // `by` would use (an op type under by = "name", a node under by = "type") is
  // accepted, as MASE does, so one file can hold both kinds and switch `by`; so is
  // an op type the model does not have. Those unused tables get one warning line.
  std::set<std::string> extra(extra_keys.begin(), extra_keys.end());
  std::set<ir::OpKind> present;
  for (const auto& n : graph.nodes()) present.insert(n.op);
  std::vector<std::string> unused;
  std::string first_unused;
  for (const auto& key : table.keys()) {
    if (key == "default" || extra.count(key)) continue;
    const auto op = ir::parse_op_kind(key);
    const bool is_node = graph.find(key).has_value();
    if (by == QuantizeBy::Type) {
      const bool quantizable = op && ir::quantizable(ir::traits(*op));
      if (op && present.count(*op) && quantizable) continue;
      if (!op && !is_node)
        throw table.error(key, "`" + key + "` is not an op type nor a node of model '" + graph.name() +
                                   "'; valid types: " + ir::list_op_kinds());
      std::string why = "a node name";
      if (op)
        why = present.count(*op) ? key + " has nothing to quantize: " + std::string(ir::traits(*op).float_reason) +
                                       "; it runs in float"
                                 : "model '" + graph.name() + "' has no " + key + " layer";
      unused.push_back("`" + key + "` (" + why + ")");
    } else {
      if (is_node) {
        // A table for a node with no format slot would otherwise be dropped in silence.
        const auto& t = ir::traits(graph.node(*graph.find(key)).op);
        if (ir::quantizable(t)) continue;
        unused.push_back("`" + key + "` (a " + std::string(t.name) + " has nothing to quantize: " +
                         std::string(t.float_reason) + "; it runs in float)");
        if (first_unused.empty()) first_unused = key;
        continue;
      }
      if (!op) {
        std::string names;
        for (const auto& n : graph.nodes())
          if (has_something_to_quantize(n)) names += (names.empty() ? "" : ", ") + n.name;
        throw table.error(key, "model '" + graph.name() + "' has no node named `" + key +
                                   "` (nor is it an op type); quantizable nodes: " + names);
      }
      unused.push_back("`" + key + "` (an op type)");
    }
    if (first_unused.empty()) first_unused = key;
  }
  if (!unused.empty()) {
    std::string list;
    for (const auto& u : unused) list += (list.empty() ? "" : ", ") + u;
    warn_config(std::to_string(unused.size()) + (unused.size() == 1 ? " table" : " tables") + " of " +
                table.path() + " not used with by = \"" + (by == QuantizeBy::Type ? "type" : "name") +
                "\": " + list + " (" + table.where(first_unused) + ")");
  }
  auto config_of = [&](const std::string& key) -> std::optional<TableReader> {
    auto t = table.get_table(key);
    if (!t) return std::nullopt;
    t->check_keys({"config"});
    auto c = t->get_table("config");
    if (!c) throw t->error("", "`" + t->path() + "` needs a `config` table");
    return c;
  };
  for (const auto& key : table.keys())  // unused tables too must have the MASE shape
    if (key != "default" && !extra.count(key)) config_of(key);
  const auto fallback = config_of("default");
  std::vector<LayerTable> out;
  for (std::size_t i = 0; i < graph.size(); ++i) {
    const auto& node = graph.node(static_cast<int>(i));
    if (!has_something_to_quantize(node)) continue;
    const std::string key = by == QuantizeBy::Type ? std::string(ir::to_string(node.op)) : node.name;
    auto c = config_of(key);
    out.push_back({static_cast<int>(i), c ? c : fallback, !c});
  }
  return out;
}

quant::ConfigDict to_config_dict(const TableReader& table) {
  quant::ConfigDict d;
  for (const auto& [k, v] : table.raw()) {
    const std::string key(k.str());
    if (v.is_integer()) d[key] = v.as_integer()->get();
    else if (v.is_floating_point()) {
      if (!std::isfinite(v.as_floating_point()->get()))
        throw table.error(key, "`" + key + "` must be a finite number, got " + describe_node(v));
      d[key] = v.as_floating_point()->get();
    } else if (v.is_string()) d[key] = v.as_string()->get();
    else if (v.is_boolean()) d[key] = v.as_boolean()->get();
    else
      throw table.error(key, "`" + key + "` must be a single value here, got " + describe_node(v));
  }
  return d;
}

namespace {

// The key of `table` that an error message from parse_node_config is about: the first
// `quoted` word that is a key of the table (or, for a layer-wide word like
// `rounding`, a key ending in it); the format name for errors about the format.
std::string key_named_in(const std::string& message, const TableReader& table) {
  const auto keys = table.keys();
  auto has = [&](const std::string& k) { return std::find(keys.begin(), keys.end(), k) != keys.end(); };
  std::vector<std::string> quoted;
  for (std::size_t a = message.find('`'); a != std::string::npos; a = message.find('`', a + 1)) {
    const std::size_t b = message.find('`', a + 1);
    if (b == std::string::npos) break;
    quoted.push_back(message.substr(a + 1, b - a - 1));
    a = b;
  }
  for (const auto& q : quoted)
    if (has(q)) return q;
  for (const auto& q : quoted)
    for (const auto& k : keys)
      if (k.size() > q.size() && k.compare(k.size() - q.size(), q.size(), q) == 0 && k[k.size() - q.size() - 1] == '_')
        return k;
  if (has("name") && (message.rfind("format name", 0) == 0 || message.find("nothing to quantize") != std::string::npos))
    return "name";
  return {};
}

}  // namespace

quant::NodeQuantConfig parse_layer_config(const quant::ConfigDict& dict, ir::OpKind op, const TableReader& table) {
  const std::string where = table.where();
  try {
    return quant::parse_node_config(dict, op, where);
  } catch (const Error& e) {
    // parse_node_config knows only one location; point at the line of the key at fault.
    std::string message = e.what();
    const std::string suffix = " (" + where + ")";
    const auto pos = message.rfind(suffix);
    const std::string key = pos == std::string::npos ? std::string() : key_named_in(message, table);
    if (key.empty()) throw;
    message.replace(pos, suffix.size(), " (" + table.where(key) + ")");
    throw Error(e.kind(), one_line_text(message));
  }
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
    auto c = parse_layer_config(to_config_dict(*lt.config), node.op, *lt.config);
    if (c.quantized()) pass.config.nodes[node.name] = c;
  }
  return pass;
}

}  // namespace qdse::io
