// Pareto dominance, non-dominated sorting, crowding distance and exact hypervolume.
//
// Points are objective vectors, one value per Direction. a dominates b when a is no
// worse in every objective and strictly better in at least one. Hypervolume is the
// measure of the region dominated by the points and bounded by the reference point
// (computed on losses, so maximised objectives are negated together with the
// reference); points not strictly better than the reference in every objective add
// nothing. Exact: a sort-and-sweep for 2 objectives, WFG (While et al. 2012) beyond.
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "qdse/search/trial.hpp"

namespace qdse::search {

using PointList = std::vector<std::vector<double>>;

bool dominates(std::span<const double> a, std::span<const double> b,
               const std::vector<Direction>& directions);

// Optuna's constrained domination: a feasible trial dominates an infeasible one; of two
// infeasible ones the smaller total violation dominates; two feasible ones compare by
// objectives. Both trials must be Complete.
bool constrained_dominates(const FrozenTrial& a, const FrozenTrial& b,
                           const std::vector<Direction>& directions);

// Indices of the non-dominated points, ascending (duplicates are all kept).
std::vector<std::size_t> pareto_front_indices(const PointList& points,
                                              const std::vector<Direction>& directions);

// Rank of every point: 0 for the Pareto front, 1 for the front once 0 is removed, ...
std::vector<int> non_dominated_sort(const PointList& points, const std::vector<Direction>& directions);

// NSGA-II crowding distance within one front: infinity at each objective's extremes,
// otherwise the sum over objectives of the normalised gap between the neighbours.
// Direction-free. Fronts of <= 2 points are all infinity.
std::vector<double> crowding_distance(const PointList& points);

double hypervolume(const PointList& points, const std::vector<double>& reference,
                   const std::vector<Direction>& directions);

// Same on losses already oriented for minimisation (used internally).
double hypervolume_of_losses(PointList losses, const std::vector<double>& reference);

// Greedy hypervolume subset selection: `k` indices (in pick order) that each add the
// largest hypervolume to those already picked (losses, minimisation). Ties -> lower index.
std::vector<std::size_t> select_by_hypervolume(const PointList& losses, const std::vector<double>& reference,
                                               std::size_t k);

// Optuna's reference point for loss vectors: per objective max(1.1*worst, 0.9*worst),
// with 0 replaced by a tiny epsilon.
std::vector<double> nadir_reference(const PointList& losses);

}  // namespace qdse::search
