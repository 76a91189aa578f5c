// Unreachable hw constraints, found before the first trial; see
// include/qdse/pipeline/hw_feasibility.hpp.
#include "qdse/pipeline/hw_feasibility.hpp"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <map>
#include <optional>

#include "qdse/core/error.hpp"
#include "qdse/hw/resources.hpp"
#include "qdse/lower/transform.hpp"

namespace qdse::pipeline {
namespace {

// A costed layer's smallest figure of each kind over the choices that configure it.
struct LayerMinimum {
  std::string layer;
  hw::Cost cost;  // each field minimised on its own
};

// The first node after `node` that reads its output (hw_cost_model.hpp's result rule).
int feasibility_consumer(const ir::Graph& graph, int node) {
  for (std::size_t j = static_cast<std::size_t>(node) + 1; j < graph.size(); ++j)
    for (int in : graph.node(static_cast<int>(j)).inputs)
      if (in == node) return static_cast<int>(j);
  return -1;
}

// Per costed layer, its minima; nullopt when some layer has too many combinations.
std::optional<std::vector<LayerMinimum>> layer_minima(const QuantSpace& space, const ir::Graph& graph,
                                                      const HwCostModel& model, const quant::RangeStats& stats) {
  std::vector<LayerMinimum> out;
  const auto first_layers = model.layer_costs(quant::resolve_auto_frac(graph, space.decode(search::ParamVector(
                                                                                  space.space().n_params(), 0.0)),
                                                                      &stats));
  for (std::size_t li = 0; li < first_layers.size(); ++li) {
    const std::string& name = first_layers[li].layer;
    const auto node = graph.find(name);
    QDSE_ASSERT(node.has_value(), "a costed layer is a graph node");
    std::vector<std::size_t> dims = space.params_of_node(*node);
    if (const int reader = feasibility_consumer(graph, *node); reader >= 0)
      for (std::size_t d : space.params_of_node(reader))
        if (std::find(dims.begin(), dims.end(), d) == dims.end()) dims.push_back(d);
    std::uint64_t combos = 1;
    for (std::size_t d : dims) {
      combos *= space.choices(d).size();
      if (combos > kMaxFeasibilityCombos) return std::nullopt;
    }
    LayerMinimum m{name, {}};
    constexpr int64_t kBig = std::numeric_limits<int64_t>::max();
    m.cost = hw::Cost{kBig, kBig, kBig, kBig, kBig, kBig, kBig, true};
    search::ParamVector params(space.space().n_params(), 0.0);
    std::vector<std::size_t> pick(dims.size(), 0);
    while (true) {
      for (std::size_t k = 0; k < dims.size(); ++k) params[dims[k]] = static_cast<double>(pick[k]);
      const auto resolved = quant::resolve_auto_frac(graph, space.decode(params), &stats);
      const hw::Cost c = model.layer_costs(resolved, space.decode_impl(params)).at(li).cost;
      m.cost.lut = std::min(m.cost.lut, c.lut);
      m.cost.ff = std::min(m.cost.ff, c.ff);
      m.cost.dsp = std::min(m.cost.dsp, c.dsp);
      m.cost.bram18 = std::min(m.cost.bram18, c.bram18);
      m.cost.uram = std::min(m.cost.uram, c.uram);
      m.cost.latency_cycles = std::min(m.cost.latency_cycles, c.latency_cycles);
      m.cost.ii = std::min(m.cost.ii, c.ii);
      m.cost.ff_estimated = c.ff_estimated;
      std::size_t k = 0;
      while (k < dims.size() && ++pick[k] == space.choices(dims[k]).size()) pick[k++] = 0;
      if (k == dims.size()) break;
    }
    out.push_back(std::move(m));
  }
  return out;
}

// The resource behind a hw metric name and how layers combine into it.
struct HwMetricView {
  int64_t hw::Cost::*field = nullptr;
  bool max_over_layers = false;  // ii
  double scale = 1;              // 1 / device amount for utilizations, clock for latency_ns
  std::string unit;              // for the per-layer list
};

std::optional<HwMetricView> hw_metric_view(const std::string& metric, const HwTarget& target) {
  const hw::Device& d = target.device;
  for (const hw::Resource& r : hw::kResources) {
    if (metric == r.metric) return HwMetricView{r.used, false, 1.0, std::string(r.label)};
    const int64_t available = d.*r.available;
    if (metric == std::string(r.metric) + "_utilization" && available > 0)
      return HwMetricView{r.used, false, 1.0 / static_cast<double>(available), std::string(r.label)};
  }
  if (metric == "latency_cycles") return HwMetricView{&hw::Cost::latency_cycles, false, 1.0, "cycles"};
  if (metric == "latency_ns") return HwMetricView{&hw::Cost::latency_cycles, false, target.clock_ns, "cycles"};
  if (metric == "ii") return HwMetricView{&hw::Cost::ii, true, 1.0, "cycles II"};
  return std::nullopt;
}

std::string feasibility_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace

void check_hw_constraints_reachable(const QuantSpace& space, const ir::Graph& graph, const HwCostModel& model,
                                    const quant::RangeStats& stats, const std::vector<ConstraintSpec>& constraints,
                                    const std::string& where) {
  std::optional<std::vector<LayerMinimum>> minima;
  bool computed = false;
  for (const auto& c : constraints) {
    if (c.at_least) continue;
    const auto view = hw_metric_view(c.metric, model.target());
    if (!view) continue;
    if (!computed) {
      minima = layer_minima(space, graph, model, stats);
      computed = true;
    }
    if (!minima) return;  // too many combinations to bound
    double smallest = 0;
    std::vector<std::pair<int64_t, std::string>> parts;
    for (const auto& m : *minima) {
      const int64_t v = m.cost.*(view->field);
      smallest = view->max_over_layers ? std::max(smallest, static_cast<double>(v)) : smallest + static_cast<double>(v);
      parts.emplace_back(v, m.layer);
    }
    smallest *= view->scale;
    const double bound = c.relative ? c.bound * model.metrics(quant::QuantConfig{}).at(c.metric) : c.bound;
    if (smallest <= bound) continue;
    std::stable_sort(parts.begin(), parts.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    std::string layers;
    for (std::size_t i = 0; i < parts.size() && i < 3; ++i)
      layers += (i ? ", " : "") + parts[i].second + " " + std::to_string(parts[i].first) + " " + view->unit;
    throw Error(ErrorKind::Config, "constraint `" + c.metric + " " + c.text + "` cannot be met by any configuration of "
                                   "the space: the smallest " + c.metric + " it reaches is " +
                                   feasibility_number(smallest) + " (bound " + feasibility_number(bound) +
                                   "); most of it at the layers' cheapest choices: " + layers + " (" + where + ")");
  }
}

}  // namespace qdse::pipeline
