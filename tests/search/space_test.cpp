#include <gtest/gtest.h>

#include "qdse/core/error.hpp"
#include "qdse/search/space.hpp"

namespace qdse::search {
namespace {

TEST(Space, SizeIndexAndValidity) {
  SearchSpace s;
  s.add("a", make_ordered_categorical({2, 4, 8})).add("b", IntDistribution{0, 6, 2});
  EXPECT_EQ(s.size(), 12u);
  EXPECT_EQ(s.index_of("b"), 1u);
  EXPECT_TRUE(is_valid(s, {2, 4}));
  EXPECT_FALSE(is_valid(s, {3, 4}));
  EXPECT_FALSE(is_valid(s, {1, 3}));
  EXPECT_FALSE(is_valid(s, {1}));
  EXPECT_EQ(to_string(s, {1, 4}), "a=4, b=4");
  s.add("c", FloatDistribution{1e-3, 1.0, true});
  EXPECT_FALSE(s.size().has_value());
}

TEST(Space, ConfigIndexRoundTripFirstParamMostSignificant) {
  SearchSpace s({{"a", IntDistribution{0, 2, 1}}, {"b", IntDistribution{10, 13, 1}}});
  EXPECT_EQ(config_at(s, 0), (ParamVector{0, 10}));
  EXPECT_EQ(config_at(s, 1), (ParamVector{0, 11}));
  EXPECT_EQ(config_at(s, 4), (ParamVector{1, 10}));
  for (std::uint64_t i = 0; i < 12; ++i) EXPECT_EQ(config_index(s, config_at(s, i)), i);
}

TEST(Space, BadInputIsRejectedWithTheParamName) {
  SearchSpace s;
  EXPECT_THROW(s.add("x", CategoricalDistribution{}), Error);
  EXPECT_THROW(s.add("x", IntDistribution{3, 1, 1}), Error);
  EXPECT_THROW(s.add("x", IntDistribution{0, 5, 2}), Error);
  EXPECT_THROW(s.add("x", FloatDistribution{0.0, 1.0, true}), Error);
  s.add("x", IntDistribution{0, 1, 1});
  EXPECT_THROW(s.add("x", IntDistribution{0, 1, 1}), Error);
  try {
    check_valid(s, {0, 1}, "unit test");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("got 2"), std::string::npos) << e.what();
  }
  try {
    s.index_of("nope");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("x"), std::string::npos);
  }
}

TEST(Space, SampleUnseenFindsTheLastCell) {
  SearchSpace s({{"a", IntDistribution{0, 9, 1}}, {"b", IntDistribution{0, 9, 1}}});
  ParamSet seen;
  for (std::uint64_t i = 0; i < 100; ++i)
    if (i != 37) seen.insert(config_at(s, i));
  Rng rng(1);
  auto p = sample_unseen(s, seen, rng);
  ASSERT_TRUE(p);
  EXPECT_EQ(*p, config_at(s, 37));
  seen.insert(*p);
  EXPECT_FALSE(sample_unseen(s, seen, rng));
}

}  // namespace
}  // namespace qdse::search
