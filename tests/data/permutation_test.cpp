#include "qdse/data/permutation.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "qdse/core/error.hpp"

using qdse::data::seeded_permutation;
using qdse::data::split_indices;

// Reference values printed by NumPy: np.random.RandomState(seed).permutation(10).
TEST(Permutation, MatchesNumpyRandomStatePermutation) {
  EXPECT_EQ(seeded_permutation(10, 42), (std::vector<int64_t>{8, 1, 5, 0, 7, 2, 9, 4, 3, 6}));
  EXPECT_EQ(seeded_permutation(10, 0), (std::vector<int64_t>{2, 8, 4, 9, 1, 6, 7, 3, 0, 5}));
}

TEST(Permutation, IsAPermutationAndDeterministic) {
  auto a = seeded_permutation(1000, 7);
  auto b = seeded_permutation(1000, 7);
  auto c = seeded_permutation(1000, 8);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  std::sort(a.begin(), a.end());
  for (int64_t i = 0; i < 1000; ++i) EXPECT_EQ(a[static_cast<size_t>(i)], i);
}

TEST(Permutation, EdgeSizes) {
  EXPECT_TRUE(seeded_permutation(0, 1).empty());
  EXPECT_EQ(seeded_permutation(1, 1), std::vector<int64_t>{0});
  EXPECT_THROW(seeded_permutation(-1, 1), qdse::Error);
}

// sklearn: train_test_split(range(10), test_size=0.2, random_state=42) gives
// test [8, 1] and train [5, 0, 7, 2, 9, 4, 3, 6].
TEST(Permutation, SplitIndicesFollowsSklearn) {
  auto s = split_indices(10, 0.2, 42);
  EXPECT_EQ(s.held_out, (std::vector<int64_t>{8, 1}));
  EXPECT_EQ(s.kept, (std::vector<int64_t>{5, 0, 7, 2, 9, 4, 3, 6}));
  // ceil(0.1 * 11) = 2 held out.
  EXPECT_EQ(split_indices(11, 0.1, 0).held_out.size(), 2u);
  EXPECT_TRUE(split_indices(11, 0.0, 0).held_out.empty());
  EXPECT_THROW(split_indices(10, 1.0, 0), qdse::Error);
  EXPECT_THROW(split_indices(10, -0.1, 0), qdse::Error);
}
