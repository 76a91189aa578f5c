// The damage model of the `sensitivity` sampler: a value of a configuration of a finite
// space predicted as an intercept plus one term per (param, choice) plus, optionally, one
// term per pair of choices of two params of the same group (a layer's weight and input
// widths interact; different layers are assumed not to). Terms of the reference choices
// are zero, so after the sensitivity phase (the reference and every single-param
// deviation measured) the main terms are exactly the measured changes.
//
// Fitted by ridge least squares over every measured configuration (one shared design,
// several targets: each objective's loss and each constraint value): main terms and the
// intercept almost unpenalised (1e-9, for a well-posed system), interaction terms
// shrunk towards zero (1e-3), so the model stays additive until measurements disagree.
// A group's prediction is the sum of its terms, so the model is separable over groups:
// the budgeted solver and BestFirstConfigs below optimise it exactly.
// Errors: qdse::Error(InvalidArgument) for a space that is not finite, a group naming a
// param twice or out of range, a group with more than kMaxGroupChoices choices.
// Thread-safety: value types; const methods are thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <queue>
#include <vector>

#include "qdse/search/space.hpp"

namespace qdse::search {

inline constexpr std::uint64_t kMaxGroupChoices = 4096;

// Params grouped; positions are choice indices (position_of) per param.
struct GroupLayout {
  std::vector<std::vector<std::size_t>> groups;  // param indices, in space order within a group
  std::vector<std::size_t> n_choices;            // per param
  std::vector<std::uint64_t> group_size;         // per group: product of its params' choices

  // Choice of group g (mixed radix, first param slowest) in a configuration's positions.
  std::uint64_t choice_of(std::size_t g, const std::vector<std::size_t>& positions) const;
  // Writes choice c of group g into positions.
  void set_choice(std::size_t g, std::uint64_t c, std::vector<std::size_t>& positions) const;
};

// `groups` as SensitivitySamplerOptions::groups describes them (params left out become
// groups of their own, appended in space order).
GroupLayout make_group_layout(const SearchSpace& space, const std::vector<std::vector<std::size_t>>& groups);

// Positions of a configuration and back (internal values).
std::vector<std::size_t> positions_of(const SearchSpace& space, const ParamVector& params);
ParamVector params_of(const SearchSpace& space, const std::vector<std::size_t>& positions);

class AdditiveModel {
 public:
  AdditiveModel(const GroupLayout& layout, std::vector<std::size_t> reference, bool interactions);

  std::size_t n_features() const { return n_features_; }
  // rows[i]: positions of a measured configuration; targets[i]: its n_targets values.
  void fit(const std::vector<std::vector<std::size_t>>& rows, const std::vector<std::vector<double>>& targets,
           std::size_t n_targets);
  double intercept(std::size_t target) const { return coef_[target][0]; }
  // [group][group choice]: the terms of that choice summed (intercept excluded).
  std::vector<std::vector<double>> group_values(std::size_t target) const;

 private:
  std::vector<std::size_t> active_features(const std::vector<std::size_t>& positions) const;

  GroupLayout layout_;
  std::vector<std::size_t> reference_;
  std::vector<std::vector<long>> main_;  // [param][choice] -> feature or -1
  struct Pair {
    std::size_t p, q;
    std::vector<std::vector<long>> id;  // [choice of p][choice of q] -> feature or -1
  };
  std::vector<std::vector<Pair>> pairs_;  // per group
  std::vector<double> penalty_;           // per feature
  std::size_t n_features_ = 1;            // the intercept is feature 0
  std::vector<std::vector<double>> coef_;  // [target][feature]
};

// Every configuration of a separable objective in ascending order of its predicted value
// sum_g values[g][choice_g] (ties: lower sorted ranks first), lazily: best-first search
// over the tree in which a configuration's parent undoes its last increment, so each is
// reached once. `max_states` caps the frontier (next() returns nullopt past it).
class BestFirstConfigs {
 public:
  BestFirstConfigs(std::vector<std::vector<double>> values, std::size_t max_states);
  std::optional<std::vector<std::uint64_t>> next();  // group choices

 private:
  struct State {
    double sum;
    std::vector<std::uint32_t> rank;
    std::size_t last;
  };
  struct Later {
    bool operator()(const State& a, const State& b) const {
      if (a.sum != b.sum) return a.sum > b.sum;
      return a.rank > b.rank;
    }
  };
  std::vector<std::vector<double>> values_;
  std::vector<std::vector<std::uint32_t>> order_;  // per group: choices by ascending value
  std::priority_queue<State, std::vector<State>, Later> heap_;
  std::size_t max_states_, pushed_ = 0;
};

}  // namespace qdse::search
