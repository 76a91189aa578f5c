// fill_sensitivity_tables; see include/qdse/pipeline/sensitivity_sampler_setup.hpp.
#include "qdse/pipeline/sensitivity_sampler_setup.hpp"

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "qdse/core/error.hpp"
#include "qdse/metrics/cost_metrics.hpp"
#include "qdse/pipeline/search_config.hpp"
#include "qdse/pipeline/sensitivity.hpp"
#include "qdse/pipeline/sensitivity_plan.hpp"

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

std::vector<std::size_t> bisection_order(std::size_t n) {
  if (n == 0) return {};
  std::vector<std::size_t> out{n - 1};
  if (n == 1) return out;
  out.push_back(0);
  std::vector<std::pair<std::size_t, std::size_t>> gaps{{0, n - 1}};  // open intervals (lo, hi)
  while (out.size() < n) {
    auto widest = std::max_element(gaps.begin(), gaps.end(), [](const auto& a, const auto& b) {
      return a.second - a.first < b.second - b.first;
    });
    const auto [lo, hi] = *widest;
    gaps.erase(widest);
    if (hi - lo < 2) continue;
    const std::size_t mid = lo + (hi - lo) / 2;
    out.push_back(mid);
    gaps.push_back({lo, mid});
    gaps.push_back({mid, hi});
  }
  return out;
}

void fill_warm_start(search::SamplerOptions& options, const QuantSpace& space, const ir::Graph& graph,
                     const SpaceConfig& space_config, TrialEvaluator& evaluator, const std::string& config_file) {
  auto& w = options.warm_start;
  w.configs.clear();
  if (!w.tpe && !w.nsgaii) return;
  SensitivityTable table;
  if (!w.table.empty()) {
    namespace fs = std::filesystem;
    fs::path path(w.table);
    if (path.is_relative() && !config_file.empty()) path = fs::path(config_file).parent_path() / path;
    try {
      table = read_sensitivity_file(path.string());
    } catch (const Error& e) {  // say which key of which config named the file
      throw Error(e.kind(), std::string(e.what()) + "; `warm_start_table` of " + config_file);
    }
  } else {
    table = measure_sensitivity(space, graph, group_naming(space_config), evaluator);
  }
  w.pass_evaluations = table.evaluations;
  const std::string cost = options.sensitivity.cost_name.empty() ? "bitops" : options.sensitivity.cost_name;
  const auto front = plan_front(plan_problem(table, cost));
  for (std::size_t i : bisection_order(front.size())) {
    if (w.configs.size() == kWarmStartPoints) break;
    w.configs.push_back(plan_params(table, space, front[i]));
  }
}

}  // namespace qdse::pipeline
