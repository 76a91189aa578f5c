// fill_sensitivity_tables; see include/qdse/pipeline/sensitivity_sampler_setup.hpp.
#include "qdse/pipeline/sensitivity_sampler_setup.hpp"

#include <algorithm>
#include <sstream>

#include "qdse/core/error.hpp"
#include "qdse/metrics/cost_metrics.hpp"
#include "qdse/pipeline/search_config.hpp"
#include "qdse/pipeline/sensitivity.hpp"

namespace qdse::pipeline {
namespace {

double sens_setup_cost_of(const metrics::CostMetrics& c, const std::string& metric) {
  if (metric == "model_size_bits") return c.model_size_bits;
  if (metric == "model_size_bytes" || metric == "model_size") return c.model_size_bits / 8.0;
  if (metric == "bitops") return c.bitops;
  if (metric == "macs") return c.macs;
  if (metric == "flops") return 2.0 * c.macs;
  throw Error(ErrorKind::Config, "cost `" + metric + "` is not a sum over layers that the cost model computes "
                                 "(model_size_bits, model_size_bytes, model_size, bitops, macs, flops)");
}

}  // namespace

double sum_over_layers_cost(const ir::Graph& graph, const quant::QuantConfig& config, const std::string& metric) {
  return sens_setup_cost_of(metrics::CostModel(graph).evaluate(config), metric);
}

void fill_sensitivity_tables(search::SensitivitySamplerOptions& options, const QuantSpace& space,
                             const ir::Graph& graph, const SpaceConfig& space_config, const std::string& where) {
  const auto groups = space_groups(space);
  options.groups.clear();
  for (const auto& g : groups) options.groups.push_back(g.params);
  options.cost.clear();
  if (options.cost_name.empty()) return;
  const metrics::CostModel model(graph);
  const double base = sens_setup_cost_of(model.evaluate(quant::QuantConfig{}), options.cost_name);
  const io::QuantizeBy by = group_naming(space_config);
  double cheapest = base;
  for (const auto& g : groups) {
    std::vector<double> row;
    const std::uint64_t n = group_choice_count(space, g);
    for (std::uint64_t c = 0; c < n; ++c)
      row.push_back(sens_setup_cost_of(model.evaluate(single_group_config(space, graph, by, g, group_choice(space, g, c))),
                                       options.cost_name) - base);
    cheapest += *std::min_element(row.begin(), row.end());
    options.cost.push_back(std::move(row));
  }
  options.cost_base = base;
  if (options.budget < cheapest) {
    std::ostringstream s;
    s.precision(12);
    s << where << ": [search.strategy.sensitivity] budget = " << options.budget
      << " is below the cheapest configuration's " << options.cost_name << " (" << cheapest << ")";
    throw Error(ErrorKind::Config, s.str());
  }
}

}  // namespace qdse::pipeline
