// What the `sensitivity` sampler (search/sensitivity_sampler.hpp) needs from the quantized
// space and cannot learn from trials: its groups (a layer's keys, as `qdse sensitivity`
// groups them) and, with `[search.strategy.sensitivity] cost`, the exact per-group cost
// table of that sum-over-layers metric (metrics::CostModel, no evaluation: the change of
// the network's cost when only that group takes that choice, every other layer float).
//
// Errors: qdse::Error(Config), one line naming the config file and key, for a budget below
// the cheapest configuration's cost (the key itself is checked by parse_search_config).
// Thread-safety: pure.
#pragma once

#include <string>

#include "qdse/ir/graph.hpp"
#include "qdse/pipeline/quant_space.hpp"
#include "qdse/pipeline/trial_evaluator.hpp"
#include "qdse/search/sampler_factory.hpp"
#include "qdse/search/sensitivity_sampler_options.hpp"

namespace qdse::pipeline {

struct SpaceConfig;

// Fills options.groups, and options.cost / cost_base when options.cost_name is set.
// `where` names the config in errors.
void fill_sensitivity_tables(search::SensitivitySamplerOptions& options, const QuantSpace& space,
                             const ir::Graph& graph, const SpaceConfig& space_config, const std::string& where);

// Points of the predicted front that warm_start enqueues (fewer when the front is smaller).
inline constexpr std::size_t kWarmStartPoints = 10;

// warm_start on tpe / nsgaii: when options.warm_start asks for it, the predicted front of
// accuracy against the sensitivity cost (options.sensitivity.cost_name, default bitops)
// from the sensitivity table (options.warm_start.table, relative to the config file's
// folder; else the pass measured now with `evaluator`, whose evaluations are not trials),
// the same computation as `qdse plan` (plan_problem, plan_front), at most
// kWarmStartPoints points most informative first (the most accurate end, the cheapest,
// then midpoints of the widest gaps), into options.warm_start.configs.
// Errors: those of read_sensitivity_file, plan_problem and plan_params (one line).
void fill_warm_start(search::SamplerOptions& options, const QuantSpace& space, const ir::Graph& graph,
                     const SpaceConfig& space_config, TrialEvaluator& evaluator, const std::string& config_file);

// The order in which warm_start proposes the n points of an ascending front: n-1, 0, then
// the midpoint of the widest remaining gap (lowest first on ties).
std::vector<std::size_t> bisection_order(std::size_t n);

// The network's value of a sum-over-layers cost metric (model_size_bits, model_size_bytes,
// model_size, bitops, macs, flops) for a configuration; throws qdse::Error(Config) for any
// other name.
double sum_over_layers_cost(const ir::Graph& graph, const quant::QuantConfig& config, const std::string& metric);

}  // namespace qdse::pipeline
