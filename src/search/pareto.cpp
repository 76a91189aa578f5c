#include "qdse/search/pareto.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "qdse/core/error.hpp"

namespace qdse::search {
namespace {

void check_dims(std::size_t got, std::size_t want, const char* where) {
  if (got != want) {
    throw Error(ErrorKind::InvalidArgument, std::string(where) + ": a point needs one value per direction (" +
                                                std::to_string(want) + "), got " + std::to_string(got));
  }
}

}  // namespace

bool dominates(std::span<const double> a, std::span<const double> b, const std::vector<Direction>& directions) {
  check_dims(a.size(), directions.size(), "dominates");
  check_dims(b.size(), directions.size(), "dominates");
  bool strictly = false;
  for (std::size_t i = 0; i < directions.size(); ++i) {
    const double la = directions[i] == Direction::Maximize ? -a[i] : a[i];
    const double lb = directions[i] == Direction::Maximize ? -b[i] : b[i];
    if (la > lb) return false;
    if (la < lb) strictly = true;
  }
  return strictly;
}

bool constrained_dominates(const FrozenTrial& a, const FrozenTrial& b, const std::vector<Direction>& directions) {
  const double va = constraint_violation(a), vb = constraint_violation(b);
  if (va == 0.0 && vb > 0.0) return true;
  if (va > 0.0 && vb == 0.0) return false;
  if (va > 0.0 && vb > 0.0) return va < vb;
  return dominates(a.values, b.values, directions);
}

std::vector<std::size_t> pareto_front_indices(const PointList& points, const std::vector<Direction>& directions) {
  for (const auto& p : points) check_dims(p.size(), directions.size(), "pareto_front_indices");
  bool nan = false;
  for (const auto& p : points)
    for (double v : p) nan = nan || std::isnan(v);
  std::vector<std::size_t> front;
  if (nan) {
    // With NaNs dominance is not transitive (a NaN compares neither way): all pairs.
    for (std::size_t i = 0; i < points.size(); ++i) {
      bool dominated = false;
      for (std::size_t j = 0; j < points.size() && !dominated; ++j)
        dominated = j != i && dominates(points[j], points[i], directions);
      if (!dominated) front.push_back(i);
    }
    return front;
  }
  // Skyline: a dominator is lexicographically smaller in losses, and by transitivity some
  // front point dominates every dominated point, so visiting points in lexicographic
  // order and testing each against the front found so far is exact. O(n log n + n f)
  // instead of O(n^2): 27 000 trials of a brute force took seconds the old way.
  std::vector<std::vector<double>> losses;
  losses.reserve(points.size());
  for (const auto& p : points) losses.push_back(to_losses(p, directions));
  std::vector<std::size_t> order(points.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return losses[a] != losses[b] ? losses[a] < losses[b] : a < b;
  });
  const std::vector<Direction> minimize(directions.size(), Direction::Minimize);
  for (std::size_t i : order) {
    bool dominated = false;
    for (std::size_t f : front)
      if (dominates(losses[f], losses[i], minimize)) {
        dominated = true;
        break;
      }
    if (!dominated) front.push_back(i);
  }
  std::sort(front.begin(), front.end());
  return front;
}

std::vector<int> non_dominated_sort(const PointList& points, const std::vector<Direction>& directions) {
  // Deb's fast non-dominated sort: O(M N^2).
  const std::size_t n = points.size();
  std::vector<int> rank(n, 0), dominated_by(n, 0);
  std::vector<std::vector<std::size_t>> dominating(n);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = i + 1; j < n; ++j) {
      if (dominates(points[i], points[j], directions)) {
        dominating[i].push_back(j);
        ++dominated_by[j];
      } else if (dominates(points[j], points[i], directions)) {
        dominating[j].push_back(i);
        ++dominated_by[i];
      }
    }
  }
  std::vector<std::size_t> current;
  for (std::size_t i = 0; i < n; ++i)
    if (dominated_by[i] == 0) current.push_back(i);
  for (int r = 0; !current.empty(); ++r) {
    std::vector<std::size_t> next;
    for (auto i : current) {
      rank[i] = r;
      for (auto j : dominating[i])
        if (--dominated_by[j] == 0) next.push_back(j);
    }
    current = std::move(next);
  }
  return rank;
}

std::vector<double> crowding_distance(const PointList& points) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  const std::size_t n = points.size();
  std::vector<double> dist(n, 0.0);
  if (n <= 2) return std::vector<double>(n, kInf);
  const std::size_t m = points[0].size();
  std::vector<std::size_t> order(n);
  for (std::size_t k = 0; k < m; ++k) {
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return points[a][k] < points[b][k]; });
    const double lo = points[order.front()][k], hi = points[order.back()][k];
    dist[order.front()] = kInf;
    dist[order.back()] = kInf;
    if (!(hi > lo)) continue;  // a flat objective says nothing about crowding
    for (std::size_t i = 1; i + 1 < n; ++i)
      dist[order[i]] += (points[order[i + 1]][k] - points[order[i - 1]][k]) / (hi - lo);
  }
  return dist;
}

std::vector<double> nadir_reference(const PointList& losses) {
  QDSE_ASSERT(!losses.empty(), "nadir_reference needs points");
  std::vector<double> ref = losses[0];
  for (const auto& p : losses)
    for (std::size_t k = 0; k < ref.size(); ++k) ref[k] = std::max(ref[k], p[k]);
  for (double& r : ref) {
    r = std::max(1.1 * r, 0.9 * r);
    if (r == 0.0) r = 1e-12;
  }
  return ref;
}

std::vector<std::size_t> select_by_hypervolume(const PointList& losses, const std::vector<double>& reference,
                                               std::size_t k) {
  std::vector<std::size_t> picked;
  std::vector<char> used(losses.size(), 0);
  PointList chosen;
  double base = 0.0;
  while (picked.size() < std::min(k, losses.size())) {
    std::size_t best = losses.size();
    double best_gain = -1.0, best_hv = 0.0;
    for (std::size_t i = 0; i < losses.size(); ++i) {
      if (used[i]) continue;
      PointList trial = chosen;
      trial.push_back(losses[i]);
      const double hv = hypervolume_of_losses(std::move(trial), reference);
      if (hv - base > best_gain) best_gain = hv - base, best = i, best_hv = hv;
    }
    used[best] = 1;
    picked.push_back(best);
    chosen.push_back(losses[best]);
    base = best_hv;
  }
  return picked;
}

}  // namespace qdse::search
