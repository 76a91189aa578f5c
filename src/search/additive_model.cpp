// AdditiveModel, GroupLayout and BestFirstConfigs; see include/qdse/search/additive_model.hpp.
#include "qdse/search/additive_model.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "qdse/core/error.hpp"

namespace qdse::search {
namespace {

constexpr double kMainPenalty = 1e-9;
constexpr double kPairPenalty = 1e-3;
// Beyond this many features the pairwise terms are dropped (the solve is cubic).
constexpr std::size_t kMaxFeaturesWithPairs = 2000;

// Solves (A) x = b for every column of b in place; A symmetric positive definite (n x n,
// row-major), overwritten by its Cholesky factor.
void additive_cholesky_solve(std::vector<double>& a, std::size_t n, std::vector<std::vector<double>>& rhs) {
  for (std::size_t j = 0; j < n; ++j) {
    double d = a[j * n + j];
    for (std::size_t k = 0; k < j; ++k) d -= a[j * n + k] * a[j * n + k];
    QDSE_ASSERT(d > 0, "ridge normal equations are positive definite");
    d = std::sqrt(d);
    a[j * n + j] = d;
    for (std::size_t i = j + 1; i < n; ++i) {
      double s = a[i * n + j];
      for (std::size_t k = 0; k < j; ++k) s -= a[i * n + k] * a[j * n + k];
      a[i * n + j] = s / d;
    }
  }
  for (auto& b : rhs) {
    for (std::size_t i = 0; i < n; ++i) {  // L y = b
      double s = b[i];
      for (std::size_t k = 0; k < i; ++k) s -= a[i * n + k] * b[k];
      b[i] = s / a[i * n + i];
    }
    for (std::size_t i = n; i-- > 0;) {  // L^T x = y
      double s = b[i];
      for (std::size_t k = i + 1; k < n; ++k) s -= a[k * n + i] * b[k];
      b[i] = s / a[i * n + i];
    }
  }
}

}  // namespace

std::uint64_t GroupLayout::choice_of(std::size_t g, const std::vector<std::size_t>& positions) const {
  std::uint64_t c = 0;
  for (std::size_t p : groups[g]) c = c * n_choices[p] + positions[p];
  return c;
}

void GroupLayout::set_choice(std::size_t g, std::uint64_t c, std::vector<std::size_t>& positions) const {
  for (std::size_t j = groups[g].size(); j-- > 0;) {
    const std::size_t p = groups[g][j];
    positions[p] = static_cast<std::size_t>(c % n_choices[p]);
    c /= n_choices[p];
  }
}

GroupLayout make_group_layout(const SearchSpace& space, const std::vector<std::vector<std::size_t>>& groups) {
  if (space.empty()) throw Error(ErrorKind::InvalidArgument, "sensitivity sampler: the search space is empty");
  GroupLayout out;
  for (std::size_t p = 0; p < space.n_params(); ++p) {
    const auto n = count_values(space.distribution(p));
    if (!n)
      throw Error(ErrorKind::InvalidArgument, "sensitivity sampler: param `" + space.name(p) +
                                                  "` is a float; the sampler needs a finite space");
    out.n_choices.push_back(static_cast<std::size_t>(*n));
  }
  std::vector<bool> placed(space.n_params(), false);
  auto add = [&](std::vector<std::size_t> group) {
    std::uint64_t size = 1;
    for (std::size_t p : group) {
      size *= out.n_choices[p];
      if (size > kMaxGroupChoices)
        throw Error(ErrorKind::InvalidArgument, "sensitivity sampler: the group of param `" + space.name(group[0]) +
                                                    "` has more than " + std::to_string(kMaxGroupChoices) +
                                                    " choices (the product of its params' choices)");
    }
    out.groups.push_back(std::move(group));
    out.group_size.push_back(size);
  };
  for (const auto& g : groups) {
    if (g.empty()) throw Error(ErrorKind::InvalidArgument, "sensitivity sampler: an empty group of params");
    for (std::size_t p : g) {
      if (p >= space.n_params())
        throw Error(ErrorKind::InvalidArgument, "sensitivity sampler: group param " + std::to_string(p) +
                                                    " is out of range (the space has " +
                                                    std::to_string(space.n_params()) + " params)");
      if (placed[p])
        throw Error(ErrorKind::InvalidArgument,
                    "sensitivity sampler: param `" + space.name(p) + "` is in two groups");
      placed[p] = true;
    }
    add(g);
  }
  for (std::size_t p = 0; p < space.n_params(); ++p)
    if (!placed[p]) add({p});
  return out;
}

std::vector<std::size_t> positions_of(const SearchSpace& space, const ParamVector& params) {
  std::vector<std::size_t> out(params.size());
  for (std::size_t p = 0; p < params.size(); ++p)
    out[p] = static_cast<std::size_t>(position_of(space.distribution(p), params[p]));
  return out;
}

ParamVector params_of(const SearchSpace& space, const std::vector<std::size_t>& positions) {
  ParamVector out(positions.size());
  for (std::size_t p = 0; p < positions.size(); ++p) out[p] = value_at(space.distribution(p), positions[p]);
  return out;
}

AdditiveModel::AdditiveModel(const GroupLayout& layout, std::vector<std::size_t> reference, bool interactions)
    : layout_(layout), reference_(std::move(reference)) {
  penalty_.push_back(0.0);  // intercept
  main_.resize(layout_.n_choices.size());
  for (std::size_t p = 0; p < main_.size(); ++p) {
    main_[p].assign(layout_.n_choices[p], -1);
    for (std::size_t c = 0; c < layout_.n_choices[p]; ++c)
      if (c != reference_[p]) {
        main_[p][c] = static_cast<long>(n_features_++);
        penalty_.push_back(kMainPenalty);
      }
  }
  pairs_.resize(layout_.groups.size());
  std::size_t n_pair_features = 0;
  for (const auto& g : layout_.groups)
    for (std::size_t i = 0; i < g.size(); ++i)
      for (std::size_t j = i + 1; j < g.size(); ++j)
        n_pair_features += (layout_.n_choices[g[i]] - 1) * (layout_.n_choices[g[j]] - 1);
  if (!interactions || n_features_ + n_pair_features > kMaxFeaturesWithPairs) return;
  for (std::size_t gi = 0; gi < layout_.groups.size(); ++gi) {
    const auto& g = layout_.groups[gi];
    for (std::size_t i = 0; i < g.size(); ++i)
      for (std::size_t j = i + 1; j < g.size(); ++j) {
        Pair pair{g[i], g[j], {}};
        pair.id.assign(layout_.n_choices[g[i]], std::vector<long>(layout_.n_choices[g[j]], -1));
        for (std::size_t a = 0; a < layout_.n_choices[g[i]]; ++a)
          for (std::size_t b = 0; b < layout_.n_choices[g[j]]; ++b)
            if (a != reference_[g[i]] && b != reference_[g[j]]) {
              pair.id[a][b] = static_cast<long>(n_features_++);
              penalty_.push_back(kPairPenalty);
            }
        pairs_[gi].push_back(std::move(pair));
      }
  }
}

std::vector<std::size_t> AdditiveModel::active_features(const std::vector<std::size_t>& pos) const {
  std::vector<std::size_t> out{0};
  for (std::size_t p = 0; p < pos.size(); ++p)
    if (main_[p][pos[p]] >= 0) out.push_back(static_cast<std::size_t>(main_[p][pos[p]]));
  for (const auto& group_pairs : pairs_)
    for (const auto& pair : group_pairs)
      if (pair.id[pos[pair.p]][pos[pair.q]] >= 0) out.push_back(static_cast<std::size_t>(pair.id[pos[pair.p]][pos[pair.q]]));
  return out;
}

void AdditiveModel::fit(const std::vector<std::vector<std::size_t>>& rows,
                        const std::vector<std::vector<double>>& targets, std::size_t n_targets) {
  const std::size_t n = n_features_;
  std::vector<double> a(n * n, 0.0);
  std::vector<std::vector<double>> rhs(n_targets, std::vector<double>(n, 0.0));
  for (std::size_t f = 0; f < n; ++f) a[f * n + f] = penalty_[f];
  // Without any row the intercept alone would be singular: its tiny ridge keeps it at 0.
  if (rows.empty()) a[0] = kMainPenalty;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const auto active = active_features(rows[r]);
    for (std::size_t i : active) {
      for (std::size_t j : active) a[i * n + j] += 1.0;
      for (std::size_t t = 0; t < n_targets; ++t) rhs[t][i] += targets[r][t];
    }
  }
  additive_cholesky_solve(a, n, rhs);
  coef_ = std::move(rhs);
}

std::vector<std::vector<double>> AdditiveModel::group_values(std::size_t target) const {
  const auto& w = coef_.at(target);
  std::vector<std::vector<double>> out(layout_.groups.size());
  std::vector<std::size_t> pos(reference_);
  for (std::size_t g = 0; g < layout_.groups.size(); ++g) {
    out[g].resize(layout_.group_size[g]);
    for (std::uint64_t c = 0; c < layout_.group_size[g]; ++c) {
      layout_.set_choice(g, c, pos);
      double v = 0.0;
      for (std::size_t p : layout_.groups[g])
        if (main_[p][pos[p]] >= 0) v += w[static_cast<std::size_t>(main_[p][pos[p]])];
      for (const auto& pair : pairs_[g])
        if (pair.id[pos[pair.p]][pos[pair.q]] >= 0) v += w[static_cast<std::size_t>(pair.id[pos[pair.p]][pos[pair.q]])];
      out[g][c] = v;
    }
  }
  return out;
}

BestFirstConfigs::BestFirstConfigs(std::vector<std::vector<double>> values, std::size_t max_states)
    : values_(std::move(values)), max_states_(max_states) {
  State root{0.0, std::vector<std::uint32_t>(values_.size(), 0), 0};
  for (const auto& v : values_) {
    std::vector<std::uint32_t> order(v.size());
    std::iota(order.begin(), order.end(), 0u);
    std::stable_sort(order.begin(), order.end(), [&](std::uint32_t x, std::uint32_t y) { return v[x] < v[y]; });
    root.sum += v[order[0]];
    order_.push_back(std::move(order));
  }
  heap_.push(std::move(root));
  pushed_ = 1;
}

std::optional<std::vector<std::uint64_t>> BestFirstConfigs::next() {
  if (heap_.empty()) return std::nullopt;
  State s = heap_.top();
  heap_.pop();
  // Children: one more step along group j >= the last group stepped (unique parents).
  for (std::size_t j = s.last; j < values_.size() && pushed_ < max_states_; ++j) {
    if (s.rank[j] + 1 >= order_[j].size()) continue;
    State c{s.sum, s.rank, j};
    c.sum += values_[j][order_[j][s.rank[j] + 1]] - values_[j][order_[j][s.rank[j]]];
    ++c.rank[j];
    heap_.push(std::move(c));
    ++pushed_;
  }
  std::vector<std::uint64_t> out(values_.size());
  for (std::size_t g = 0; g < values_.size(); ++g) out[g] = order_[g][s.rank[g]];
  return out;
}

}  // namespace qdse::search
