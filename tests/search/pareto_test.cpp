#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "qdse/search/pareto.hpp"

namespace qdse::search {
namespace {

const std::vector<Direction> kMinMax{Direction::Minimize, Direction::Maximize};

TEST(Pareto, DominatesRespectsDirections) {
  EXPECT_TRUE(dominates(std::vector<double>{1, 5}, std::vector<double>{2, 4}, kMinMax));
  EXPECT_FALSE(dominates(std::vector<double>{1, 5}, std::vector<double>{1, 5}, kMinMax));
  EXPECT_FALSE(dominates(std::vector<double>{1, 3}, std::vector<double>{2, 4}, kMinMax));
  EXPECT_TRUE(dominates(std::vector<double>{1, 5}, std::vector<double>{1, 4}, kMinMax));
}

TEST(Pareto, FrontAndRanks) {
  // (min f0, max f1). Front: (1,5), (2,7), (4,9). Then (2,5), (4,7). Then (5,5).
  const PointList pts{{1, 5}, {2, 5}, {2, 7}, {4, 9}, {4, 7}, {5, 5}};
  EXPECT_EQ(pareto_front_indices(pts, kMinMax), (std::vector<std::size_t>{0, 2, 3}));
  EXPECT_EQ(non_dominated_sort(pts, kMinMax), (std::vector<int>{0, 1, 0, 0, 1, 2}));
}

// The front by definition: every point no other point dominates.
std::vector<std::size_t> front_by_definition(const PointList& pts, const std::vector<Direction>& dirs) {
  std::vector<std::size_t> front;
  for (std::size_t i = 0; i < pts.size(); ++i) {
    bool dominated = false;
    for (std::size_t j = 0; j < pts.size(); ++j) dominated = dominated || (j != i && dominates(pts[j], pts[i], dirs));
    if (!dominated) front.push_back(i);
  }
  return front;
}

// The sorted (skyline) front equals the definition: 2 and 3 objectives, mixed
// directions, ties and duplicates from a coarse grid, and NaN values.
TEST(Pareto, FrontEqualsTheDefinitionOnRandomPoints) {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int> grid(0, 9);
  for (int round = 0; round < 200; ++round) {
    const std::size_t m = 2 + round % 2;
    std::vector<Direction> dirs;
    for (std::size_t k = 0; k < m; ++k) dirs.push_back((round >> k) & 1 ? Direction::Maximize : Direction::Minimize);
    PointList pts(1 + round % 60);
    for (auto& p : pts)
      for (std::size_t k = 0; k < m; ++k) p.push_back(grid(rng));
    if (round % 10 == 9) pts[round % pts.size()][0] = std::numeric_limits<double>::quiet_NaN();
    EXPECT_EQ(pareto_front_indices(pts, dirs), front_by_definition(pts, dirs)) << "round " << round;
  }
}

TEST(Pareto, CrowdingDistance) {
  const double inf = std::numeric_limits<double>::infinity();
  // Points on a line: f0 = 0,1,3,4 ; f1 = 4,3,1,0. Ranges 4 and 4.
  const PointList pts{{0, 4}, {1, 3}, {3, 1}, {4, 0}};
  const auto d = crowding_distance(pts);
  EXPECT_EQ(d[0], inf);
  EXPECT_EQ(d[3], inf);
  EXPECT_DOUBLE_EQ(d[1], (3.0 - 0.0) / 4 + (4.0 - 1.0) / 4);
  EXPECT_DOUBLE_EQ(d[2], (4.0 - 1.0) / 4 + (3.0 - 0.0) / 4);
  EXPECT_EQ(crowding_distance({{1, 1}, {2, 2}}), (std::vector<double>{inf, inf}));
}

TEST(Pareto, Hypervolume2dWithMixedDirections) {
  // Minimise f0, maximise f1, reference (10, 0): rectangles of (1,5),(4,8) and the
  // dominated (5,2): union = 9*5 + 6*3 = 63.
  const PointList pts{{1, 5}, {4, 8}, {5, 2}};
  EXPECT_DOUBLE_EQ(hypervolume(pts, {10, 0}, kMinMax), 63.0);
  // A point outside the reference adds nothing.
  EXPECT_DOUBLE_EQ(hypervolume({{1, 5}, {11, 100}}, {10, 0}, kMinMax), 45.0);
  EXPECT_DOUBLE_EQ(hypervolume({}, {10, 0}, kMinMax), 0.0);
}

TEST(Pareto, Hypervolume3dMatchesInclusionExclusion) {
  const std::vector<Direction> min3(3, Direction::Minimize);
  // Boxes to ref (4,4,4): a=(1,2,3): 3*2*1=6; b=(2,1,2): 2*3*2=12; c=(3,3,1): 1*1*3=3.
  // Pairwise intersections: a^b=(2,2,3): 2*2*1=4; a^c=(3,3,3): 1; b^c=(3,3,2): 2; all=(3,3,3): 1.
  // Union = 6+12+3 -4-1-2 +1 = 15.
  EXPECT_DOUBLE_EQ(hypervolume({{1, 2, 3}, {2, 1, 2}, {3, 3, 1}}, {4, 4, 4}, min3), 15.0);
  // Adding a dominated point changes nothing; a single point is its box.
  EXPECT_DOUBLE_EQ(hypervolume({{1, 2, 3}, {2, 1, 2}, {3, 3, 1}, {3, 3, 3}}, {4, 4, 4}, min3), 15.0);
  EXPECT_DOUBLE_EQ(hypervolume({{0, 0, 0}}, {1, 2, 3}, min3), 6.0);
  // 4-D: two boxes 1*1*1*2 and 2*1*1*1 overlapping in 1.
  const std::vector<Direction> min4(4, Direction::Minimize);
  EXPECT_DOUBLE_EQ(hypervolume({{1, 1, 1, 0}, {0, 1, 1, 1}}, {2, 2, 2, 2}, min4), 3.0);
}

TEST(Pareto, GreedyHypervolumeSelectionPrefersSpread) {
  // Reference (4,4). Boxes: (0,3) 4, (1,1) 9, (3,0) 4, (1.1,0.9) 8.99 -> (1,1) first.
  // Then gains: (0,3) 4-3 = 1, (3,0) 4-3 = 1, (1.1,0.9) 8.99-8.7 = 0.29 -> (0,3)
  // (tie with (3,0) goes to the lower index), although (1.1,0.9) has the bigger box.
  const PointList losses{{0, 3}, {1, 1}, {3, 0}, {1.1, 0.9}};
  EXPECT_EQ(select_by_hypervolume(losses, {4, 4}, 2), (std::vector<std::size_t>{1, 0}));
  EXPECT_EQ(nadir_reference({{1, -10}, {2, -20}, {0, 0}}), (std::vector<double>{2.2, 1e-12}));
}

}  // namespace
}  // namespace qdse::search
