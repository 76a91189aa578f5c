// SensitivitySampler (`sensitivity`, issue 17): sensitivity-guided search on a finite
// space. Like every sampler it only proposes; the study's normal loop evaluates and
// stores, and the sampler learns from the finished trials it is shown, so its whole
// state is the study's history (resume and several workers need nothing else).
//
// Phase 1 (sensitivity pass): the reference configuration (per param the highest value
// of an ordered numeric categorical, the highest int, else the first choice: the most
// precise format), then every single-param deviation from it, param by param in space
// order (the prefix memo serves the earlier layers): 1 + sum_p (choices_p - 1) trials.
// Phase 2 (model-guided): fit the AdditiveModel (additive_model.hpp) to every finished
// trial (targets: each objective as a loss, each constraint value), then propose
//  - one objective: the best predicted configuration not yet in the study whose
//    predicted constraints are <= 0 and whose exact budgeted cost (options.cost) is
//    within options.budget: first the budgeted solver's optimum (search/budget_solver.hpp,
//    when there is one budget or constraint), else best-first enumeration of the model;
//  - two objectives: the predicted Pareto front of (objective 0, objective 1) from the
//    exact solver (solve_front, objective 1's model as the swept cost), predicted-feasible
//    points not yet in the study, most informative first: the point farthest (in
//    objective 1, relative to the front's range) from every front point already tried,
//    the most accurate end first.
// The model is refitted at every ask, so each measurement corrects the next proposal.
// When the model has nothing new left (front exhausted, enumeration capped), a uniform
// unseen configuration is drawn from an Rng seeded by (seed, history size); nullopt
// once the finite space is exhausted. Never proposes a configuration already in the
// history. Deterministic given the seed and the history.
// Errors (qdse::Error(InvalidArgument), one line): a float param, more than two
// objectives, groups that do not partition the params (make_group_layout), a cost
// table that does not match the groups, a budget below the cheapest configuration.
// Thread-safety: not thread-safe (Study serialises asks).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "qdse/search/sampler.hpp"
#include "qdse/search/sensitivity_sampler_options.hpp"

namespace qdse::search {

class SensitivitySampler : public Sampler {
 public:
  explicit SensitivitySampler(SensitivitySamplerOptions options = {});
  std::string name() const override { return "sensitivity"; }
  std::optional<ParamVector> ask(const SearchSpace& space, const std::vector<Direction>& directions,
                                 const std::vector<FrozenTrial>& trials) override;

 private:
  SensitivitySamplerOptions options_;
  SeenTracker seen_;
};

// The sensitivity phase's configurations of `space`, in proposal order (reference first).
std::vector<ParamVector> sensitivity_phase_configs(const SearchSpace& space);

// The reference choice position of every param (see above).
std::vector<std::size_t> sensitivity_reference(const SearchSpace& space);

}  // namespace qdse::search
