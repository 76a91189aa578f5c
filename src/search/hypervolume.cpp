// Exact hypervolume on losses: a sweep in 2-D, WFG (While, Bradstreet, Barone 2012)
// beyond. WFG sums exclusive contributions: for points sorted by the first objective,
// excl(p_i) = incl(p_i) - HV(limit(p_{i+1..}, p_i)), limit = componentwise max with p_i,
// recursing on the non-dominated part of the limited set.
#include <algorithm>

#include "qdse/core/error.hpp"
#include "qdse/search/pareto.hpp"

namespace qdse::search {
namespace {

double sweep_2d(PointList& pts, const std::vector<double>& ref) {
  std::sort(pts.begin(), pts.end());
  double hv = 0.0, best_y = ref[1];
  for (const auto& p : pts) {
    if (p[1] < best_y) {
      hv += (ref[0] - p[0]) * (best_y - p[1]);
      best_y = p[1];
    }
  }
  return hv;
}

bool weakly_dominates(const std::vector<double>& a, const std::vector<double>& b) {
  for (std::size_t k = 0; k < a.size(); ++k)
    if (a[k] > b[k]) return false;
  return true;
}

// Keeps the points not weakly dominated by another (one copy of duplicates).
PointList non_dominated(PointList pts) {
  std::sort(pts.begin(), pts.end());
  pts.erase(std::unique(pts.begin(), pts.end()), pts.end());
  PointList out;
  for (std::size_t i = 0; i < pts.size(); ++i) {
    bool dominated = false;
    for (std::size_t j = 0; j < pts.size() && !dominated; ++j) dominated = j != i && weakly_dominates(pts[j], pts[i]);
    if (!dominated) out.push_back(pts[i]);
  }
  return out;
}

double inclusive(const std::vector<double>& p, const std::vector<double>& ref) {
  double v = 1.0;
  for (std::size_t k = 0; k < p.size(); ++k) v *= ref[k] - p[k];
  return v;
}

double wfg(PointList pts, const std::vector<double>& ref) {
  if (pts.empty()) return 0.0;
  if (pts.size() == 1) return inclusive(pts[0], ref);
  if (ref.size() == 2) return sweep_2d(pts, ref);
  std::sort(pts.begin(), pts.end());
  double total = 0.0;
  for (std::size_t i = 0; i < pts.size(); ++i) {
    PointList limited;
    limited.reserve(pts.size() - i - 1);
    for (std::size_t j = i + 1; j < pts.size(); ++j) {
      std::vector<double> q(ref.size());
      for (std::size_t k = 0; k < ref.size(); ++k) q[k] = std::max(pts[i][k], pts[j][k]);
      limited.push_back(std::move(q));
    }
    total += inclusive(pts[i], ref) - wfg(non_dominated(std::move(limited)), ref);
  }
  return total;
}

}  // namespace

double hypervolume_of_losses(PointList losses, const std::vector<double>& reference) {
  PointList inside;
  for (auto& p : losses) {
    if (p.size() != reference.size()) {
      throw Error(ErrorKind::InvalidArgument, "hypervolume: a point has " + std::to_string(p.size()) +
                                                  " objectives but the reference has " +
                                                  std::to_string(reference.size()));
    }
    bool better = true;
    for (std::size_t k = 0; k < p.size(); ++k) better = better && p[k] < reference[k];
    if (better) inside.push_back(std::move(p));
  }
  if (inside.empty()) return 0.0;
  if (reference.size() == 1) {
    double best = inside[0][0];
    for (const auto& p : inside) best = std::min(best, p[0]);
    return reference[0] - best;
  }
  return wfg(non_dominated(std::move(inside)), reference);
}

double hypervolume(const PointList& points, const std::vector<double>& reference,
                   const std::vector<Direction>& directions) {
  if (reference.size() != directions.size()) {
    throw Error(ErrorKind::InvalidArgument, "hypervolume: the reference needs one value per direction (" +
                                                std::to_string(directions.size()) + "), got " +
                                                std::to_string(reference.size()));
  }
  PointList losses;
  losses.reserve(points.size());
  for (const auto& p : points) losses.push_back(to_losses(p, directions));
  return hypervolume_of_losses(std::move(losses), to_losses(reference, directions));
}

}  // namespace qdse::search
