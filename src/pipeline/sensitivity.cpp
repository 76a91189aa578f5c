#include "qdse/pipeline/sensitivity.hpp"

#include <chrono>
#include <fstream>
#include <iomanip>
#include <sstream>

#include "qdse/core/error.hpp"
#include "qdse/metrics/metric_kind.hpp"

namespace qdse::pipeline {
namespace {

constexpr const char* kParamSeparator = "/config/";

std::string sens_group_of_param(const std::string& param) {
  const auto at = param.find(kParamSeparator);
  return at == std::string::npos ? param : param.substr(0, at);
}

std::string sens_key_of_param(const std::string& param) {
  const auto at = param.find(kParamSeparator);
  return at == std::string::npos ? param : param.substr(at + std::string(kParamSeparator).size());
}

// Shortest text that reads back to the same double (CSV cells).
std::string sens_number(double v) {
  std::ostringstream s;
  s << std::setprecision(17) << v;
  return s.str();
}

double sens_metric(const std::map<std::string, double>& m, const std::string& name) {
  const auto it = m.find(name);
  QDSE_ASSERT(it != m.end(), "the evaluator reports every metric of metric_names()");
  return it->second;
}

[[noreturn]] void sens_bad_file(const std::string& where, const std::string& what) {
  throw Error(ErrorKind::Io, where + ": not a qdse sensitivity table: " + what);
}

}  // namespace

std::vector<SpaceGroup> space_groups(const QuantSpace& space) {
  std::vector<SpaceGroup> out;
  const auto& s = space.space();
  for (std::size_t i = 0; i < s.n_params(); ++i) {
    const std::string g = sens_group_of_param(s.name(i));
    // QuantSpace lays a group's params out contiguously, so a new name starts a group.
    if (out.empty() || out.back().name != g) out.push_back({g, {}});
    out.back().params.push_back(i);
  }
  return out;
}

std::uint64_t group_choice_count(const QuantSpace& space, const SpaceGroup& group) {
  std::uint64_t n = 1;
  for (std::size_t p : group.params) {
    const std::uint64_t k = space.choices(p).size();
    if (k != 0 && n > UINT64_MAX / k) return UINT64_MAX;
    n *= k;
  }
  return n;
}

std::vector<std::size_t> group_choice(const QuantSpace& space, const SpaceGroup& group, std::uint64_t index) {
  std::vector<std::size_t> out(group.params.size());
  for (std::size_t j = group.params.size(); j-- > 0;) {
    const std::uint64_t k = space.choices(group.params[j]).size();
    out[j] = static_cast<std::size_t>(index % k);
    index /= k;
  }
  return out;
}

io::QuantizeBy group_naming(const SpaceConfig& config) {
  return config.by == io::QuantizeBy::Type && !config.per_node ? io::QuantizeBy::Type : io::QuantizeBy::Name;
}

quant::QuantConfig single_group_config(const QuantSpace& space, const ir::Graph& graph, io::QuantizeBy by,
                                       const SpaceGroup& group, const std::vector<std::size_t>& choice) {
  QDSE_ASSERT(choice.size() == group.params.size(), "one choice per param of the group");
  // Other groups take their first choice; only this group's nodes are kept, and decode
  // builds every group's nodes from that group's params alone.
  search::ParamVector params(space.space().n_params(), 0.0);
  for (std::size_t j = 0; j < choice.size(); ++j) params[group.params[j]] = static_cast<double>(choice[j]);
  const quant::QuantConfig full = space.decode(params);
  quant::QuantConfig out;
  for (const auto& [name, node_config] : full.nodes) {
    const auto index = graph.find(name);
    if (!index) continue;
    const std::string key =
        by == io::QuantizeBy::Type ? std::string(ir::to_string(graph.node(*index).op)) : name;
    if (key == group.name) out.nodes[name] = node_config;
  }
  return out;
}

std::vector<std::string> sum_over_layer_metrics() {
  std::vector<std::string> out;
  for (const auto& row : metrics::metric_table())
    if (row.sum_over_layers) out.emplace_back(row.name);
  return out;
}

SensitivityTable measure_sensitivity(const QuantSpace& space, const ir::Graph& graph, io::QuantizeBy by,
                                     TrialEvaluator& evaluator, const SensitivityOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  const auto groups = space_groups(space);
  // Refuse a too-large product before spending any evaluation.
  for (const auto& g : groups) {
    const std::uint64_t n = group_choice_count(space, g);
    if (n > options.max_choices_per_group)
      throw Error(ErrorKind::Config, "sensitivity: group `" + g.name + "` has " +
                                         (n == UINT64_MAX ? std::string("more than 2^64") : std::to_string(n)) +
                                         " choices (the product of its keys' lists), more than the limit of " +
                                         std::to_string(options.max_choices_per_group) +
                                         "; shorten its lists in " + space.where());
  }
  SensitivityTable t;
  t.cost_metrics = sum_over_layer_metrics();
  const TrialOutcome ref = evaluator.evaluate(quant::QuantConfig{});
  t.evaluations += ref.cached ? 0 : 1;
  t.reference = ref.metrics;
  const double ref_acc = sens_metric(ref.metrics, "accuracy"), ref_loss = sens_metric(ref.metrics, "loss");
  for (const auto& g : groups) {
    SensitivityGroup sg;
    sg.name = g.name;
    for (std::size_t p : g.params) sg.params.push_back(space.space().name(p));
    const std::uint64_t n = group_choice_count(space, g);
    for (std::uint64_t i = 0; i < n; ++i) {
      SensitivityRow row;
      row.choice = group_choice(space, g, i);
      for (std::size_t j = 0; j < g.params.size(); ++j) {
        if (space.choices(g.params[j]).size() < 2) continue;
        if (!row.label.empty()) row.label += ' ';
        row.label += sens_key_of_param(sg.params[j]);
        row.label += '=';
        row.label += choice_label(space.choices(g.params[j])[row.choice[j]]);
      }
      if (row.label.empty()) row.label = "(single choice)";
      const TrialOutcome out = evaluator.evaluate(single_group_config(space, graph, by, g, row.choice));
      row.cached = out.cached;
      t.evaluations += out.cached ? 0 : 1;
      row.accuracy = sens_metric(out.metrics, "accuracy");
      row.loss = sens_metric(out.metrics, "loss");
      row.d_accuracy = row.accuracy - ref_acc;
      row.d_loss = row.loss - ref_loss;
      for (const auto& m : t.cost_metrics) row.cost[m] = sens_metric(out.metrics, m) - sens_metric(ref.metrics, m);
      sg.rows.push_back(std::move(row));
    }
    t.groups.push_back(std::move(sg));
  }
  t.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return t;
}

nlohmann::json to_json(const SensitivityTable& t) {
  nlohmann::json groups = nlohmann::json::array();
  for (const auto& g : t.groups) {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& r : g.rows)
      rows.push_back({{"label", r.label}, {"choice", r.choice}, {"accuracy", r.accuracy}, {"loss", r.loss},
                      {"d_accuracy", r.d_accuracy}, {"d_loss", r.d_loss}, {"cost", r.cost}, {"cached", r.cached}});
    groups.push_back({{"group", g.name}, {"params", g.params}, {"choices", rows}});
  }
  return {{"format", "qdse-sensitivity-1"},
          {"reference", {{"description", "float: nothing quantized"}, {"metrics", t.reference}}},
          {"cost_metrics", t.cost_metrics},
          {"evaluations", t.evaluations},
          {"seconds", t.seconds},
          {"groups", groups}};
}

std::string to_csv(const SensitivityTable& t) {
  std::string out = "group,choice,accuracy,loss,d_accuracy,d_loss";
  for (const auto& m : t.cost_metrics) out += ",d_" + m;
  out += "\n";
  for (const auto& g : t.groups)
    for (const auto& r : g.rows) {
      // Labels and names hold no comma or quote (keys, numbers, format names).
      out += g.name;
      out += ',';
      out += r.label;
      for (double v : {r.accuracy, r.loss, r.d_accuracy, r.d_loss}) {
        out += ',';
        out += sens_number(v);
      }
      for (const auto& m : t.cost_metrics) {
        out += ',';
        out += sens_number(r.cost.at(m));
      }
      out += '\n';
    }
  return out;
}

SensitivityTable sensitivity_from_json(const nlohmann::json& doc, const std::string& where) {
  if (!doc.is_object() || doc.value("format", "") != "qdse-sensitivity-1")
    sens_bad_file(where, "no \"format\": \"qdse-sensitivity-1\" (write one with qdse sensitivity)");
  SensitivityTable t;
  try {
    t.reference = doc.at("reference").at("metrics").get<std::map<std::string, double>>();
    t.cost_metrics = doc.at("cost_metrics").get<std::vector<std::string>>();
    t.evaluations = doc.at("evaluations").get<int>();
    t.seconds = doc.at("seconds").get<double>();
    for (const auto& g : doc.at("groups")) {
      SensitivityGroup sg;
      sg.name = g.at("group").get<std::string>();
      sg.params = g.at("params").get<std::vector<std::string>>();
      for (const auto& r : g.at("choices")) {
        SensitivityRow row;
        row.label = r.at("label").get<std::string>();
        row.choice = r.at("choice").get<std::vector<std::size_t>>();
        row.accuracy = r.at("accuracy").get<double>();
        row.loss = r.at("loss").get<double>();
        row.d_accuracy = r.at("d_accuracy").get<double>();
        row.d_loss = r.at("d_loss").get<double>();
        row.cost = r.at("cost").get<std::map<std::string, double>>();
        row.cached = r.value("cached", false);
        if (row.choice.size() != sg.params.size())
          sens_bad_file(where, "group `" + sg.name + "` choice `" + row.label + "` has " +
                                   std::to_string(row.choice.size()) + " indices for " +
                                   std::to_string(sg.params.size()) + " params");
        for (const auto& m : t.cost_metrics)
          if (!row.cost.count(m))
            sens_bad_file(where, "group `" + sg.name + "` choice `" + row.label + "` has no cost `" + m + "`");
        sg.rows.push_back(std::move(row));
      }
      if (sg.rows.empty()) sens_bad_file(where, "group `" + sg.name + "` has no choices");
      t.groups.push_back(std::move(sg));
    }
  } catch (const nlohmann::json::exception& e) {
    sens_bad_file(where, e.what());
  }
  if (t.groups.empty()) sens_bad_file(where, "no groups");
  if (!t.reference.count("accuracy")) sens_bad_file(where, "the reference has no accuracy");
  return t;
}

SensitivityTable read_sensitivity_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(ErrorKind::Io, "cannot read " + path + " (write it with qdse sensitivity)");
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::Io, path + " is not valid JSON: " + e.what());
  }
  return sensitivity_from_json(doc, path);
}

}  // namespace qdse::pipeline
