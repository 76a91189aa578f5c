// StrategyConfig: the `[search.strategy]` table (MASE layout plus qdse keys).
//
//   [search.strategy]
//   name = "optuna"                    # MASE's name; qdse runs its own samplers
//   eval_mode = true
//   [search.strategy.sw_runner.basic_evaluation]
//   data_loader = "val_dataloader"     # train_ / val_ / test_dataloader
//   num_samples = 512                  # 0 = the whole split
//   [search.strategy.hw_runner.average_bitwidth]
//   compare_to = 32
//   [search.strategy.setup]
//   sampler = "tpe"                    # tpe | random | nsgaii | bruteforce
//   n_trials = 100
//   timeout = 20000                    # seconds; finished trials are kept
//   n_jobs = 1
//   sum_scaled_metrics = true          # one objective: sum of scale * metric
//   direction = "maximize"             # of that sum
//   seed = 0
//   [search.strategy.metrics]
//   accuracy.scale = 1.0
//   accuracy.direction = "maximize"
//   [search.strategy.constraints]      # qdse: feasibility, e.g.
//   accuracy = ">= 0.99 * float"       # relative to the float model
//   model_size_bytes = "<= 100000"
//
// A metric named here that qdse does not compute is an error (MASE would silently
// substitute a constant). Every key is documented in docs/config.md. The table is read
// by parse_search_config (search_config.hpp), with the rest of [search].
// Thread-safety: plain values.
#pragma once

#include <string>
#include <vector>

#include "qdse/data/dataset.hpp"
#include "qdse/pipeline/trial_evaluator.hpp"
#include "qdse/search/sampler_factory.hpp"
#include "qdse/search/trial.hpp"

namespace qdse::pipeline {

struct MetricObjective {
  std::string name;
  double scale = 1.0;
  search::Direction direction = search::Direction::Maximize;
};

struct ConstraintSpec {
  std::string metric;
  bool at_least = true;    // ">=" (else "<=")
  double bound = 0;        // absolute bound, or factor of the float model's value
  bool relative = false;   // "... * float"
  std::string text;        // as written
  // Constraint value in Optuna's convention (<= 0 feasible).
  double violation(double value, double float_value) const;
};

struct StrategyConfig {
  std::string sampler = "tpe";
  int n_trials = 100;
  double timeout_seconds = 0;  // 0 = none
  int n_jobs = 1;
  bool sum_scaled_metrics = true;
  search::Direction direction = search::Direction::Maximize;
  std::vector<MetricObjective> metrics;
  std::vector<ConstraintSpec> constraints;
  data::SplitKind split = data::SplitKind::Validation;
  EvalSettings eval;
  search::SamplerOptions sampler_options;

  std::vector<search::Direction> directions() const;
  // Objective values of a trial from its metrics.
  std::vector<double> objective_values(const std::map<std::string, double>& metrics) const;
};

}  // namespace qdse::pipeline
