#include "qdse/search/tpe_sampler.hpp"

#include <algorithm>
#include <iterator>
#include <cmath>
#include <numeric>
#include <queue>
#include <set>

#include "qdse/core/error.hpp"
#include "qdse/search/pareto.hpp"
#include "qdse/search/parzen_estimator.hpp"

namespace qdse::search {
namespace {

constexpr double kMinWeight = 1e-12;
// Univariate avoid_duplicates: how many joint combinations of per-param candidates to
// try, best first, before falling back on a uniform unseen configuration.
constexpr int kMaxCombinations = 512;

struct Split {
  std::vector<int> below, above;  // indices into trials, ascending number
  std::vector<double> below_weights, above_weights;
};

bool usable(const FrozenTrial& t, std::size_t n_objectives) {
  if (t.state == TrialState::Pruned) return true;
  if (t.state != TrialState::Complete || t.values.size() != n_objectives) return false;
  return std::all_of(t.values.begin(), t.values.end(), [](double v) { return std::isfinite(v); });
}

// Multi-objective weights of the feasible "below" trials: relative hypervolume
// contribution, so that points in crowded regions count less (Optuna's MOTPE).
std::vector<double> hypervolume_weights(const PointList& losses) {
  const std::size_t n = losses.size();
  if (n <= 1) return std::vector<double>(n, 1.0);
  const auto ref = nadir_reference(losses);
  const double total = hypervolume_of_losses(losses, ref);
  std::vector<double> contrib(n);
  for (std::size_t i = 0; i < n; ++i) {
    PointList others;
    others.reserve(n - 1);
    for (std::size_t j = 0; j < n; ++j)
      if (j != i) others.push_back(losses[j]);
    contrib[i] = total - hypervolume_of_losses(std::move(others), ref);
  }
  const double mx = *std::max_element(contrib.begin(), contrib.end());
  std::vector<double> w(n, 1.0);
  if (mx > 0.0)
    for (std::size_t i = 0; i < n; ++i) w[i] = std::clamp(contrib[i] / mx, kMinWeight, 1.0);
  return w;
}

Split split_trials(const std::vector<FrozenTrial>& trials, const std::vector<Direction>& directions,
                   const TpeOptions& opt) {
  const std::size_t n_obj = directions.size();
  std::vector<char> ok(trials.size());
  bool constraints_enabled = false;
  for (std::size_t i = 0; i < trials.size(); ++i) {
    ok[i] = usable(trials[i], n_obj);
    if (ok[i] && !trials[i].constraints.empty()) constraints_enabled = true;
  }

  std::vector<int> feasible, infeasible, pruned;
  for (std::size_t i = 0; i < trials.size(); ++i) {
    const auto& t = trials[i];
    if (!ok[i]) continue;
    if (constraints_enabled && !is_feasible(t)) {
      infeasible.push_back(static_cast<int>(i));
    } else if (t.state == TrialState::Complete) {
      feasible.push_back(static_cast<int>(i));
    } else {
      pruned.push_back(static_cast<int>(i));
    }
  }
  const int n = static_cast<int>(feasible.size() + infeasible.size() + pruned.size());
  int n_below = opt.gamma ? opt.gamma(n) : default_gamma(n);
  n_below = std::clamp(n_below, 0, n);

  std::vector<char> is_below(trials.size(), 0);
  std::vector<int> below_feasible;
  if (n_obj == 1) {
    // Only the n_below best are needed: partial sort of (loss, index) pairs, which is
    // O(n) and cache-friendly; ties go to the older trial as a stable sort would.
    const double sign = directions[0] == Direction::Maximize ? -1.0 : 1.0;
    std::vector<std::pair<double, int>> keyed;
    keyed.reserve(feasible.size());
    for (int i : feasible) keyed.emplace_back(sign * trials[i].values[0], i);
    const std::size_t k = std::min<std::size_t>(keyed.size(), static_cast<std::size_t>(n_below));
    std::partial_sort(keyed.begin(), keyed.begin() + static_cast<std::ptrdiff_t>(k), keyed.end());
    for (std::size_t j = 0; j < k; ++j) below_feasible.push_back(keyed[j].second);
  } else if (!feasible.empty() && n_below > 0) {
    PointList losses;
    for (int i : feasible) losses.push_back(to_losses(trials[i].values, directions));
    // Peel fronts only until "below" is full: a full non-dominated sort is O(N^2) and
    // "below" holds at most 25 trials.
    const std::vector<Direction> mins(n_obj, Direction::Minimize);
    std::vector<std::size_t> remaining(losses.size());
    std::iota(remaining.begin(), remaining.end(), 0);
    while (!remaining.empty() && static_cast<int>(below_feasible.size()) < n_below) {
      std::vector<std::size_t> front;
      for (auto j : remaining) {
        bool dominated = false;
        for (auto f : front)
          if (dominates(losses[f], losses[j], mins)) {
            dominated = true;
            break;
          }
        if (dominated) continue;
        std::erase_if(front, [&](std::size_t f) { return dominates(losses[j], losses[f], mins); });
        front.push_back(j);
      }
      std::sort(front.begin(), front.end());
      std::vector<std::size_t> rest;
      std::set_difference(remaining.begin(), remaining.end(), front.begin(), front.end(), std::back_inserter(rest));
      remaining = std::move(rest);
      const std::size_t room = static_cast<std::size_t>(n_below) - below_feasible.size();
      if (front.size() <= room) {
        for (auto j : front) below_feasible.push_back(feasible[j]);
      } else {
        PointList front_losses;
        for (auto j : front) front_losses.push_back(losses[j]);
        for (auto s : select_by_hypervolume(front_losses, nadir_reference(front_losses), room))
          below_feasible.push_back(feasible[front[s]]);
      }
    }
  }
  for (int i : below_feasible) is_below[i] = 1;
  int room = n_below - static_cast<int>(below_feasible.size());
  // Pruned trials, then the least-violating infeasible ones, only fill what is left.
  for (int i : pruned)
    if (room > 0) is_below[i] = 1, --room;
  std::vector<int> by_violation = infeasible;
  std::stable_sort(by_violation.begin(), by_violation.end(),
                   [&](int a, int b) { return constraint_violation(trials[a]) < constraint_violation(trials[b]); });
  for (int i : by_violation)
    if (room > 0) is_below[i] = 1, --room;

  Split s;
  for (std::size_t i = 0; i < trials.size(); ++i) {
    if (!ok[i]) continue;
    (is_below[i] ? s.below : s.above).push_back(static_cast<int>(i));
  }
  auto weights_of = [&](int k) { return opt.weights ? opt.weights(k) : default_weights(k); };
  s.above_weights = weights_of(static_cast<int>(s.above.size()));
  if (n_obj == 1) {
    s.below_weights = weights_of(static_cast<int>(s.below.size()));
  } else {
    PointList losses;
    std::vector<int> where;
    for (std::size_t j = 0; j < s.below.size(); ++j) {
      const auto& t = trials[s.below[j]];
      if (t.state == TrialState::Complete && (!constraints_enabled || is_feasible(t))) {
        losses.push_back(to_losses(t.values, directions));
        where.push_back(static_cast<int>(j));
      }
    }
    s.below_weights.assign(s.below.size(), kMinWeight);
    const auto w = hypervolume_weights(losses);
    for (std::size_t j = 0; j < where.size(); ++j) s.below_weights[where[j]] = w[j];
  }
  if (s.below_weights.size() != s.below.size() || s.above_weights.size() != s.above.size()) {
    throw Error(ErrorKind::InvalidArgument, "TpeOptions::weights must return n weights for n trials");
  }
  return s;
}

std::vector<const ParamVector*> params_of(const std::vector<FrozenTrial>& trials, const std::vector<int>& idx) {
  std::vector<const ParamVector*> out;
  out.reserve(idx.size());
  for (int i : idx) out.push_back(&trials[i].params);
  return out;
}

struct Candidate {
  double value;
  double score;
};

}  // namespace

int default_gamma(int n) { return std::min(static_cast<int>(std::ceil(0.1 * n)), 25); }

std::vector<double> default_weights(int n) {
  if (n <= 0) return {};
  if (n < 25) return std::vector<double>(static_cast<std::size_t>(n), 1.0);
  std::vector<double> w;
  w.reserve(static_cast<std::size_t>(n));
  const int ramp = n - 25;
  const double lo = 1.0 / n;
  for (int i = 0; i < ramp; ++i) w.push_back(ramp == 1 ? lo : lo + (1.0 - lo) * i / (ramp - 1));
  w.insert(w.end(), 25, 1.0);
  return w;
}

TpeSampler::TpeSampler(TpeOptions options) : options_(std::move(options)), rng_(options_.seed) {
  if (options_.n_ei_candidates < 1)
    throw Error(ErrorKind::InvalidArgument,
                "TpeOptions::n_ei_candidates must be >= 1, got " + std::to_string(options_.n_ei_candidates));
  if (options_.n_startup_trials < 0)
    throw Error(ErrorKind::InvalidArgument,
                "TpeOptions::n_startup_trials must be >= 0, got " + std::to_string(options_.n_startup_trials));
  if (!(options_.prior_weight > 0.0))
    throw Error(ErrorKind::InvalidArgument,
                "TpeOptions::prior_weight must be > 0, got " + std::to_string(options_.prior_weight));
}

std::optional<ParamVector> TpeSampler::ask(const SearchSpace& space, const std::vector<Direction>& directions,
                                           const std::vector<FrozenTrial>& trials) {
  if (space.empty()) throw Error(ErrorKind::InvalidArgument, "TpeSampler::ask: the search space is empty");
  if (directions.empty()) throw Error(ErrorKind::InvalidArgument, "TpeSampler::ask: at least one direction is needed");
  const bool avoid = options_.avoid_duplicates;
  static const ParamSet kNone;
  const ParamSet& seen = avoid ? seen_.update(trials) : kNone;

  std::size_t n_finished = 0;
  for (const auto& t : trials) n_finished += usable(t, directions.size()) ? 1 : 0;
  if (n_finished < static_cast<std::size_t>(options_.n_startup_trials)) {
    if (avoid && space.is_finite())
      if (auto p = sample_unseen(space, seen, rng_)) return p;
    return sample_uniform(space, rng_);
  }

  const Split split = split_trials(trials, directions, options_);
  const ParzenOptions popt{options_.prior_weight, options_.consider_magic_clip, options_.consider_endpoints,
                           options_.multivariate, options_.ordered_categoricals};
  const ParzenEstimator below(space, params_of(trials, split.below), split.below_weights, popt);
  const ParzenEstimator above(space, params_of(trials, split.above), split.above_weights, popt);
  const std::size_t n_cand = static_cast<std::size_t>(options_.n_ei_candidates);

  auto fallback = [&](const ParamVector& best) -> ParamVector {
    if (avoid && space.is_finite())
      if (auto p = sample_unseen(space, seen, rng_)) return *p;
    return best;  // exhausted (or infinite): repeat the best, as Optuna would
  };

  if (options_.multivariate) {
    std::vector<ParamVector> cands(n_cand);
    std::vector<double> scores(n_cand);
    for (std::size_t i = 0; i < n_cand; ++i) {
      cands[i] = below.sample(rng_);
      scores[i] = below.log_pdf(cands[i]) - above.log_pdf(cands[i]);
    }
    std::vector<std::size_t> order(n_cand);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return scores[a] > scores[b]; });
    for (auto i : order)
      if (!avoid || !seen.contains(cands[i])) return cands[i];
    return fallback(cands[order[0]]);
  }

  // Univariate: per param, candidates from l's marginal scored by log l - log g, best
  // first. Without avoid_duplicates the per-param argmax is the answer (Optuna).
  const std::size_t d = space.n_params();
  std::vector<std::vector<Candidate>> lists(d);
  for (std::size_t p = 0; p < d; ++p) {
    auto& list = lists[p];
    for (std::size_t i = 0; i < n_cand; ++i) {
      const double v = below.sample_param(p, rng_);
      if (std::any_of(list.begin(), list.end(), [&](const Candidate& c) { return c.value == v; })) continue;
      list.push_back({v, below.log_pdf_param(p, v) - above.log_pdf_param(p, v)});
    }
    std::stable_sort(list.begin(), list.end(), [](const Candidate& a, const Candidate& b) { return a.score > b.score; });
  }
  auto build = [&](const std::vector<int>& pick) {
    ParamVector x(d);
    for (std::size_t p = 0; p < d; ++p) x[p] = lists[p][static_cast<std::size_t>(pick[p])].value;
    return x;
  };
  const std::vector<int> first(d, 0);
  ParamVector best = build(first);
  if (!avoid || !seen.contains(best)) return best;

  // Best-first walk of the product of the per-param lists (the joint score of the
  // univariate model is the sum of per-param scores).
  auto total = [&](const std::vector<int>& pick) {
    double s = 0.0;
    for (std::size_t p = 0; p < d; ++p) s += lists[p][static_cast<std::size_t>(pick[p])].score;
    return s;
  };
  using Node = std::pair<double, std::vector<int>>;
  auto worse = [](const Node& a, const Node& b) {
    if (a.first != b.first) return a.first < b.first;
    return a.second > b.second;  // deterministic tie-break: lexicographically smaller first
  };
  std::priority_queue<Node, std::vector<Node>, decltype(worse)> heap(worse);
  std::set<std::vector<int>> visited{first};
  heap.push({total(first), first});
  for (int popped = 0; !heap.empty() && popped < kMaxCombinations; ++popped) {
    auto [score, pick] = heap.top();
    heap.pop();
    ParamVector x = build(pick);
    if (!seen.contains(x)) return x;
    for (std::size_t p = 0; p < d; ++p) {
      if (static_cast<std::size_t>(pick[p]) + 1 >= lists[p].size()) continue;
      auto next = pick;
      ++next[p];
      if (visited.insert(next).second) heap.push({total(next), next});
    }
  }
  return fallback(best);
}

}  // namespace qdse::search
