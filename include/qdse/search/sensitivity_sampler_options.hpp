// Options of the `sensitivity` sampler (sensitivity_sampler.hpp), kept apart so that
// SamplerOptions (sampler_factory.hpp) carries them without pulling in the sampler.
// Plain values; thread-safe to read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace qdse::search {

struct SensitivitySamplerOptions {
  std::uint64_t seed = 0;  // only the last-resort uniform draws use it
  // Groups of params (a layer's keys) whose choices interact: each group is one item of
  // the multiple-choice knapsack, its choices the product of its params' choices (first
  // param slowest). A param in no group is a group of its own; empty = every param alone.
  std::vector<std::vector<std::size_t>> groups;
  // Fit within-group pairwise interactions from the measured trials (refit phase).
  bool interactions = true;
  // Optional budgeted cost that is a sum over groups, exact (computed from the space, not
  // measured): cost_base + sum_g cost[g][choice of g] <= budget for every proposal after
  // the sensitivity phase. Empty `cost` = no budget.
  std::string cost_name;
  double cost_base = 0.0;
  std::vector<std::vector<double>> cost;  // [group][group choice]
  double budget = std::numeric_limits<double>::infinity();
};

}  // namespace qdse::search

namespace qdse::search {

// `warm_start = true` on tpe / nsgaii ([search.strategy.tpe] / [search.strategy.nsgaii]):
// the sampler first proposes `configs` (the predicted front of a sensitivity table, most
// informative first, filled by the pipeline: pipeline/sensitivity_sampler_setup.hpp),
// each once and only if not already in the study, then goes on as usual
// (warm_start_sampler.hpp). `table`: a sensitivity.json to plan from; empty = measure
// the pass when the search starts.
struct WarmStartOptions {
  bool tpe = false;
  bool nsgaii = false;
  std::string table;
  std::vector<std::vector<double>> configs;  // ParamVectors of the space
  // Evaluations of the sensitivity pass behind `configs` (the table's own count when read
  // from `table`): what the front cost before the first trial; `qdse compare` counts them.
  int pass_evaluations = 0;
};

}  // namespace qdse::search
