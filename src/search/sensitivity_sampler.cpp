// SensitivitySampler; see include/qdse/search/sensitivity_sampler.hpp.
#include "qdse/search/sensitivity_sampler.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "qdse/core/error.hpp"
#include "qdse/search/additive_model.hpp"
#include "qdse/search/budget_solver.hpp"
#include "qdse/search/pareto.hpp"

namespace qdse::search {
namespace {

constexpr double kSensInf = std::numeric_limits<double>::infinity();
// Frontier cap of the best-first enumeration, in states x groups (memory ~ 4 bytes each).
constexpr std::size_t kEnumerationBudget = 4'000'000;

// The finished trials the model learns from: positions, objective losses, constraints.
struct SensMeasured {
  std::vector<std::vector<std::size_t>> rows;
  std::vector<std::vector<double>> targets;
  std::size_t n_constraints = 0;
};

SensMeasured sens_measured(const SearchSpace& space, const std::vector<Direction>& directions,
                           const std::vector<FrozenTrial>& trials) {
  SensMeasured m;
  bool first = true;
  for (const auto& t : trials) {
    if (t.state != TrialState::Complete || t.values.size() != directions.size() || !is_valid(space, t.params))
      continue;
    if (!std::all_of(t.values.begin(), t.values.end(), [](double v) { return std::isfinite(v); })) continue;
    if (first) m.n_constraints = t.constraints.size();
    first = false;
    if (t.constraints.size() != m.n_constraints ||
        !std::all_of(t.constraints.begin(), t.constraints.end(), [](double v) { return std::isfinite(v); }))
      continue;
    auto row = to_losses(t.values, directions);
    row.insert(row.end(), t.constraints.begin(), t.constraints.end());
    m.rows.push_back(positions_of(space, t.params));
    m.targets.push_back(std::move(row));
  }
  return m;
}

// Each group's values minus the group's least (>= 0, as the solver needs); the offset is
// the sum of the least values.
std::vector<std::vector<double>> sens_shifted(const std::vector<std::vector<double>>& v, double& offset) {
  offset = 0.0;
  auto out = v;
  for (auto& g : out) {
    const double least = *std::min_element(g.begin(), g.end());
    offset += least;
    for (double& x : g) x -= least;
  }
  return out;
}

// The model's values on a power-of-two grid 2^-30 of their spread: sums of grid values are
// exact in double, so configurations whose fitted values differ only by the ridge's
// rounding (equal costs, in truth) get equal sums, and the solver's front has one point
// for them instead of a spurious pair.
void sens_snap(std::vector<std::vector<double>>& v) {
  double spread = 0.0;
  for (const auto& g : v)
    for (double x : g) spread = std::max(spread, std::abs(x));
  if (!(spread > 0)) return;
  const double q = std::ldexp(1.0, std::ilogb(spread) - 30);
  for (auto& g : v)
    for (double& x : g) x = std::round(x / q) * q;
}

double sens_range(const std::vector<std::vector<double>>& v) {
  double r = 0.0;
  for (const auto& g : v) r += *std::max_element(g.begin(), g.end()) - *std::min_element(g.begin(), g.end());
  return r > 0 ? r : 1.0;
}

// Everything ask() needs to judge a configuration given as one choice per group.
struct SensContext {
  const SearchSpace& space;
  const GroupLayout& layout;
  const ParamSet& seen;
  const SensitivitySamplerOptions& options;
  std::vector<double> con_intercepts;
  std::vector<std::vector<std::vector<double>>> con_values;  // [constraint][group][choice]

  ParamVector params(const std::vector<std::uint64_t>& choices) const {
    std::vector<std::size_t> pos(layout.n_choices.size(), 0);
    for (std::size_t g = 0; g < choices.size(); ++g) layout.set_choice(g, choices[g], pos);
    return params_of(space, pos);
  }
  bool feasible(const std::vector<std::uint64_t>& choices) const {
    if (!options.cost.empty()) {
      double s = options.cost_base;
      for (std::size_t g = 0; g < choices.size(); ++g) s += options.cost[g][choices[g]];
      if (s > options.budget) return false;
    }
    for (std::size_t k = 0; k < con_values.size(); ++k) {
      double s = con_intercepts[k];
      for (std::size_t g = 0; g < choices.size(); ++g) s += con_values[k][g][choices[g]];
      if (s > 0) return false;
    }
    return true;
  }
  std::optional<ParamVector> if_new(const std::vector<std::uint64_t>& choices) const {
    if (!feasible(choices)) return std::nullopt;
    auto p = params(choices);
    if (seen.count(p)) return std::nullopt;
    return p;
  }
  // The best configuration of sum_g values[g][choice] that is feasible and new.
  std::optional<ParamVector> best_new(std::vector<std::vector<double>> values) const {
    const std::size_t cap = std::max<std::size_t>(1000, kEnumerationBudget / std::max<std::size_t>(1, values.size()));
    BestFirstConfigs configs(std::move(values), cap);
    for (std::size_t i = 0; i < cap; ++i) {
      const auto c = configs.next();
      if (!c) break;
      if (auto p = if_new(*c)) return p;
    }
    return std::nullopt;
  }
};

// One objective's model for the two-objective front: either the additive model of its loss,
// or the additive model of z = log(U - loss), U = the worst measured loss plus 5% of the
// measured range ("log margin": damages multiply the margin left above the worst value, as
// accuracy's do when several layers are cut hard and it falls towards chance, where summed
// damages predict far below what is measured). The log form is used only when it fits the
// measured trials better (squared error in the objective's own units); ties and exactly
// additive objectives (costs such as the average bit width) keep the additive form.
struct SensObjectiveFit {
  bool log_margin = false;
  double upper = 0.0;                        // U of the log form
  double intercept = 0.0;                    // of the loss, or of z
  std::vector<std::vector<double>> values;   // [group][choice]: loss terms, or z terms

  // The predicted loss of a configuration given as one choice per group.
  double loss(const std::vector<std::uint64_t>& choices) const {
    double s = intercept;
    for (std::size_t g = 0; g < choices.size(); ++g) s += values[g][choices[g]];
    return log_margin ? upper - std::exp(s) : s;
  }
  // Per-group terms that rise with the loss (what the solver minimises or sweeps).
  std::vector<std::vector<double>> damage() const {
    if (!log_margin) return values;
    auto out = values;
    for (auto& g : out)
      for (double& x : g) x = -x;
    return out;
  }
};

double sens_fit_error(const SensObjectiveFit& f, const GroupLayout& layout, const SensMeasured& m, std::size_t k) {
  double e = 0.0;
  std::vector<std::uint64_t> choices(layout.groups.size());
  for (std::size_t r = 0; r < m.rows.size(); ++r) {
    for (std::size_t g = 0; g < choices.size(); ++g) choices[g] = layout.choice_of(g, m.rows[r]);
    const double d = f.loss(choices) - m.targets[r][k];
    e += d * d;
  }
  return e;
}

SensObjectiveFit sens_fit_objective(const AdditiveModel& additive, const GroupLayout& layout,
                                    const std::vector<std::size_t>& reference, bool interactions,
                                    const SensMeasured& m, std::size_t k) {
  SensObjectiveFit add;
  add.intercept = additive.intercept(k);
  add.values = additive.group_values(k);
  if (m.rows.empty()) return add;
  double lo = kSensInf, hi = -kSensInf, scale = 0.0;
  for (const auto& t : m.targets) {
    lo = std::min(lo, t[k]);
    hi = std::max(hi, t[k]);
    scale += t[k] * t[k];
  }
  if (!(hi > lo)) return add;
  SensObjectiveFit lg;
  lg.log_margin = true;
  lg.upper = hi + 0.05 * (hi - lo);
  std::vector<std::vector<double>> z;
  for (const auto& t : m.targets) z.push_back({std::log(lg.upper - t[k])});
  AdditiveModel log_model(layout, reference, interactions);
  log_model.fit(m.rows, z, 1);
  lg.intercept = log_model.intercept(0);
  lg.values = log_model.group_values(0);
  // Both fit the saturated pass exactly: only a clear improvement switches to the log form.
  const double tie = 1e-9 * scale;
  return sens_fit_error(lg, layout, m, k) < sens_fit_error(add, layout, m, k) - tie ? lg : add;
}

void sens_check_cost(const SensitivitySamplerOptions& o, const GroupLayout& layout) {
  if (o.cost.empty()) return;
  if (o.cost.size() != layout.groups.size())
    throw Error(ErrorKind::InvalidArgument, "sensitivity sampler: cost `" + o.cost_name + "` has " +
                                                std::to_string(o.cost.size()) + " groups, the space " +
                                                std::to_string(layout.groups.size()));
  double cheapest = o.cost_base;
  for (std::size_t g = 0; g < o.cost.size(); ++g) {
    if (o.cost[g].size() != layout.group_size[g])
      throw Error(ErrorKind::InvalidArgument, "sensitivity sampler: cost `" + o.cost_name + "` of group " +
                                                  std::to_string(g) + " has " + std::to_string(o.cost[g].size()) +
                                                  " choices, the group " + std::to_string(layout.group_size[g]));
    for (double c : o.cost[g])
      if (!std::isfinite(c))
        throw Error(ErrorKind::InvalidArgument, "sensitivity sampler: cost `" + o.cost_name + "` is not finite");
    cheapest += *std::min_element(o.cost[g].begin(), o.cost[g].end());
  }
  if (std::isnan(o.budget) || o.budget < cheapest)
    throw Error(ErrorKind::InvalidArgument, "sensitivity sampler: budget " + std::to_string(o.budget) +
                                                " is below the cheapest configuration's " + o.cost_name + " (" +
                                                std::to_string(cheapest) + ")");
}

}  // namespace

std::vector<std::size_t> sensitivity_reference(const SearchSpace& space) {
  std::vector<std::size_t> ref(space.n_params(), 0);
  for (std::size_t p = 0; p < space.n_params(); ++p) {
    const auto& d = space.distribution(p);
    if (const auto* c = std::get_if<CategoricalDistribution>(&d)) {
      if (c->ordered && !c->values.empty())
        ref[p] = static_cast<std::size_t>(std::max_element(c->values.begin(), c->values.end()) - c->values.begin());
    } else if (std::holds_alternative<IntDistribution>(d)) {
      ref[p] = static_cast<std::size_t>(*count_values(d) - 1);
    }
  }
  return ref;
}

std::vector<ParamVector> sensitivity_phase_configs(const SearchSpace& space) {
  const auto ref = sensitivity_reference(space);
  std::vector<ParamVector> out{params_of(space, ref)};
  for (std::size_t p = 0; p < space.n_params(); ++p) {
    const auto n = count_values(space.distribution(p));
    if (!n) throw Error(ErrorKind::InvalidArgument, "sensitivity sampler: param `" + space.name(p) +
                                                        "` is a float; the sampler needs a finite space");
    for (std::size_t c = 0; c < *n; ++c) {
      if (c == ref[p]) continue;
      auto pos = ref;
      pos[p] = c;
      out.push_back(params_of(space, pos));
    }
  }
  return out;
}

SensitivitySampler::SensitivitySampler(SensitivitySamplerOptions options) : options_(std::move(options)) {}

std::optional<ParamVector> SensitivitySampler::ask(const SearchSpace& space, const std::vector<Direction>& directions,
                                                   const std::vector<FrozenTrial>& trials) {
  if (directions.empty() || directions.size() > 2)
    throw Error(ErrorKind::InvalidArgument, "sensitivity sampler: needs one or two objectives, got " +
                                                std::to_string(directions.size()));
  const GroupLayout layout = make_group_layout(space, options_.groups);
  sens_check_cost(options_, layout);
  const ParamSet& seen = seen_.update(trials);
  for (auto& p : sensitivity_phase_configs(space))
    if (!seen.count(p)) return p;

  const SensMeasured m = sens_measured(space, directions, trials);
  const std::size_t n_obj = directions.size();
  AdditiveModel model(layout, sensitivity_reference(space), options_.interactions);
  model.fit(m.rows, m.targets, n_obj + m.n_constraints);
  SensContext ctx{space, layout, seen, options_, {}, {}};
  for (std::size_t k = 0; k < m.n_constraints; ++k) {
    ctx.con_intercepts.push_back(model.intercept(n_obj + k));
    ctx.con_values.push_back(model.group_values(n_obj + k));
    sens_snap(ctx.con_values.back());
  }
  auto v0 = model.group_values(0);
  sens_snap(v0);
  auto v1 = n_obj == 2 ? model.group_values(1) : std::vector<std::vector<double>>{};
  sens_snap(v1);

  // Two objectives: each objective's better-fitting form (additive or log margin).
  const auto reference = sensitivity_reference(space);
  std::vector<SensObjectiveFit> fits;
  for (std::size_t k = 0; k < n_obj && n_obj == 2; ++k) {
    fits.push_back(sens_fit_objective(model, layout, reference, options_.interactions, m, k));
    sens_snap(fits.back().values);
  }

  BudgetProblem problem;
  problem.damage = n_obj == 2 ? fits[0].damage() : v0;
  std::vector<double> budgets;
  double offset = 0.0;
  if (n_obj == 2) {
    problem.costs.push_back(sens_shifted(fits[1].damage(), offset));
    budgets.push_back(kSensInf);
  }
  if (!options_.cost.empty()) {
    problem.costs.push_back(sens_shifted(options_.cost, offset));
    budgets.push_back(options_.budget - options_.cost_base - offset);
  }
  if (n_obj == 1) {
    for (std::size_t k = 0; k < m.n_constraints; ++k) {
      problem.costs.push_back(sens_shifted(ctx.con_values[k], offset));
      budgets.push_back(-ctx.con_intercepts[k] - offset);
    }
    // One budget: the dynamic program's exact optimum, when it is new.
    if (problem.costs.size() == 1 && budgets[0] >= 0) {
      try {
        const auto s = solve_budget(problem, budgets, BudgetMethod::DynamicProgram);
        if (auto p = ctx.if_new(s.choices)) return p;
      } catch (const Error&) {
        // Too many partial sums for the program: the enumeration below still applies.
      }
    }
    if (auto p = ctx.best_new(v0)) return p;
  } else {
    std::vector<BudgetSolution> front;
    try {
      front = solve_front(problem, 0, budgets);
    } catch (const Error&) {
      // No front within the budget under the current model: fall through.
    }
    // Most informative first: the new front point whose predicted losses add the most
    // hypervolume to the measured feasible front (reference: the worst measured loss plus
    // 10% of the measured range per objective), then the one farthest in objective 1 from
    // every front point already tried, then the most accurate end.
    const double range = std::max(front.empty() ? 0.0 : front.back().costs[0] - front.front().costs[0], 1e-300);
    std::vector<double> tried;
    for (const auto& s : front)
      if (seen.count(ctx.params(s.choices))) tried.push_back(s.costs[0]);
    PointList measured;
    std::vector<double> hv_ref(2, -kSensInf), lo(2, kSensInf);
    for (const auto& t : m.targets) {
      if (std::any_of(t.begin() + 2, t.end(), [](double c) { return c > 0; })) continue;
      measured.push_back({t[0], t[1]});
      for (std::size_t k = 0; k < 2; ++k) {
        hv_ref[k] = std::max(hv_ref[k], t[k]);
        lo[k] = std::min(lo[k], t[k]);
      }
    }
    for (std::size_t k = 0; k < 2 && !measured.empty(); ++k)
      hv_ref[k] += 0.1 * std::max(hv_ref[k] - lo[k], 1e-9 * std::max(1.0, std::abs(hv_ref[k])));
    const double hv_now = measured.empty() ? 0.0 : hypervolume_of_losses(measured, hv_ref);
    // Gains below a millionth of the reference box are the ridge's rounding (two
    // predicted points of one true cost): they count as none.
    const double hv_tiny = measured.empty() ? 0.0 : 1e-6 * (hv_ref[0] - lo[0]) * (hv_ref[1] - lo[1]);
    std::optional<ParamVector> pick;
    double pick_gain = -1.0, pick_far = -1.0;
    for (std::size_t i = front.size(); i-- > 0;) {  // most accurate end first on ties
      auto p = ctx.if_new(front[i].choices);
      if (!p) continue;
      double gain = 0.0;
      if (!measured.empty()) {
        auto with = measured;
        with.push_back({fits[0].loss(front[i].choices), fits[1].loss(front[i].choices)});
        gain = hypervolume_of_losses(std::move(with), hv_ref) - hv_now;
        if (gain <= hv_tiny) gain = 0.0;
      }
      double far = kSensInf;
      for (double c : tried) far = std::min(far, std::abs(front[i].costs[0] - c) / range);
      if (gain > pick_gain || (gain == pick_gain && far > pick_far)) {
        pick_gain = gain;
        pick_far = far;
        pick = std::move(p);
      }
    }
    if (pick) return pick;
    // Front exhausted: the best new configuration of the two losses, each scaled by its range.
    const double r0 = sens_range(v0), r1 = sens_range(v1);
    auto sum = v0;
    for (std::size_t g = 0; g < sum.size(); ++g)
      for (std::size_t c = 0; c < sum[g].size(); ++c) sum[g][c] = v0[g][c] / r0 + v1[g][c] / r1;
    if (auto p = ctx.best_new(std::move(sum))) return p;
  }
  Rng rng(options_.seed ^ (0x9E3779B97F4A7C15ULL * (static_cast<std::uint64_t>(trials.size()) + 1)));
  return sample_unseen(space, seen, rng);
}

}  // namespace qdse::search
