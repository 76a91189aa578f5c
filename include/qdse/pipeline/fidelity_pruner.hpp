// The multi-fidelity decision (fidelity_schedule.hpp): after a rung, may the trial stop?
//
// optimistic_objectives() turns a trial's metric ranges after a rung into the best value
// each objective can still reach: of a sum of scaled metrics, each term takes the end of
// its range that helps the direction; a metric without a range (size, BitOPs, hw
// figures: they do not depend on samples) is exact.
//
// PruningReference holds the objective values of the feasible Complete trials that the
// decision compares with: their best value (one objective) or their Pareto front (several).
// beaten(optimistic) is true when the optimistic values are STRICTLY worse than the best,
// or are dominated (search/pareto.hpp: no better anywhere, worse somewhere) by a front
// member: then the trial, fully evaluated, could neither be the best nor join the
// feasible front, whatever its constraints turn out to be (a tie is never pruned). With the safe
// bound the final best and front equal those of the run without multi-fidelity; with a
// margin that holds only as far as the margin holds (a heuristic).
// Thread-safety: PruningReference is thread-safe (the jobs of one search share it).
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "qdse/pipeline/fidelity_schedule.hpp"
#include "qdse/pipeline/strategy_config.hpp"
#include "qdse/search/trial.hpp"

namespace qdse::pipeline {

std::vector<double> optimistic_objectives(const StrategyConfig& strategy, const std::map<std::string, double>& metrics,
                                          const std::map<std::string, MetricRange>& ranges);

class PruningReference {
 public:
  explicit PruningReference(std::vector<search::Direction> directions);

  // Every feasible Complete trial of `trials` with one finite value per direction (a
  // resumed study's trials, then each trial this search completes).
  void add_trials(const std::vector<search::FrozenTrial>& trials);
  // The objective values of one feasible Complete trial.
  void add(const std::vector<double>& values);
  bool beaten(const std::vector<double>& optimistic) const;

 private:
  std::vector<search::Direction> directions_;
  mutable std::mutex mutex_;
  std::vector<std::vector<double>> front_;  // one point (the best) for one objective
};

}  // namespace qdse::pipeline
