#include "qdse/data/dataset.hpp"

#include <gtest/gtest.h>
#include <torch/types.h>

#include <set>

#include "qdse/core/error.hpp"
#include "qdse/data/batching.hpp"

using namespace qdse::data;

namespace {

Split make_split(int64_t n) {
  Split s;
  s.x = torch::arange(n * 2, torch::kFloat32).reshape({n, 2});
  s.y = torch::arange(n, torch::kInt64);
  return s;
}

}  // namespace

TEST(SplitKind, ParseAndPrint) {
  EXPECT_EQ(parse_split("train"), SplitKind::Train);
  EXPECT_EQ(parse_split("val"), SplitKind::Validation);
  EXPECT_EQ(parse_split("validation"), SplitKind::Validation);
  EXPECT_EQ(parse_split("test"), SplitKind::Test);
  EXPECT_EQ(to_string(SplitKind::Validation), "validation");
  try {
    parse_split("dev");
    FAIL();
  } catch (const qdse::Error& e) {
    EXPECT_EQ(e.kind(), qdse::ErrorKind::Config);
    EXPECT_NE(std::string(e.what()).find("dev"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("train, val"), std::string::npos);
  }
}

TEST(Dataset, SplitAccessor) {
  Dataset d;
  d.train = make_split(3);
  d.test = make_split(2);
  EXPECT_EQ(d.split(SplitKind::Train).size(), 3);
  EXPECT_EQ(d.split(SplitKind::Test).size(), 2);
  EXPECT_EQ(d.split(SplitKind::Validation).size(), 0);
}

TEST(CarveSplit, SizesContentAndDeterminism) {
  Split a = make_split(100);
  Split va = carve_split(a, 0.1, 5);
  EXPECT_EQ(va.size(), 10);
  EXPECT_EQ(a.size(), 90);
  EXPECT_TRUE(va.x.is_contiguous());
  // Rows stay paired with their labels, and the two parts partition the rows.
  std::set<int64_t> all;
  for (const Split* s : {&a, &va})
    for (int64_t i = 0; i < s->size(); ++i) {
      const int64_t label = s->y[i].item<int64_t>();
      EXPECT_EQ(s->x[i][0].item<float>(), static_cast<float>(2 * label));
      all.insert(label);
    }
  EXPECT_EQ(all.size(), 100u);

  Split b = make_split(100);
  Split vb = carve_split(b, 0.1, 5);
  EXPECT_TRUE(torch::equal(va.y, vb.y));
  EXPECT_TRUE(torch::equal(a.y, b.y));
  Split c = make_split(100);
  Split vc = carve_split(c, 0.1, 6);
  EXPECT_FALSE(torch::equal(va.y, vc.y));
}

TEST(CarveSplit, ZeroFractionAndErrors) {
  Split a = make_split(10);
  Split v = carve_split(a, 0.0, 1);
  EXPECT_EQ(v.size(), 0);
  EXPECT_EQ(v.x.sizes(), (std::vector<int64_t>{0, 2}));
  EXPECT_EQ(v.y.scalar_type(), torch::kInt64);
  EXPECT_EQ(a.size(), 10);
  EXPECT_THROW(carve_split(a, 1.0, 1), qdse::Error);
  Split one = make_split(1);
  EXPECT_THROW(carve_split(one, 0.5, 1), qdse::Error);  // would leave nothing
}

TEST(Batching, SequentialBatchesAreViews) {
  Split s = make_split(10);
  BatchSequence seq(s, 4);
  ASSERT_EQ(seq.size(), 3);
  Batch b0 = seq.batch(0);
  EXPECT_EQ(b0.x.data_ptr(), s.x.data_ptr());  // no copy
  EXPECT_EQ(seq.batch(2).y.size(0), 2);
  EXPECT_EQ(seq.batch(2).offset, 8);
  int64_t seen = 0;
  for_each_batch(s, 3, false, 0, [&](const Batch& b) {
    for (int64_t i = 0; i < b.y.size(0); ++i) EXPECT_EQ(b.y[i].item<int64_t>(), seen++);
  });
  EXPECT_EQ(seen, 10);
  EXPECT_THROW(BatchSequence(s, 0), qdse::Error);
}

TEST(Batching, ShuffleIsDeterministicPermutation) {
  Split s = make_split(50);
  auto collect = [&](uint64_t seed) {
    std::vector<int64_t> order;
    for_each_batch(s, 7, true, seed, [&](const Batch& b) {
      for (int64_t i = 0; i < b.y.size(0); ++i) {
        order.push_back(b.y[i].item<int64_t>());
        EXPECT_EQ(b.x[i][1].item<float>(), static_cast<float>(2 * order.back() + 1));
      }
    });
    return order;
  };
  auto a = collect(3), b = collect(3), c = collect(4);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  std::set<int64_t> unique(a.begin(), a.end());
  EXPECT_EQ(unique.size(), 50u);
}

TEST(Batching, EmptySplit) {
  Split s = make_empty_split({3});
  int calls = 0;
  for_each_batch(s, 8, true, 1, [&](const Batch&) { ++calls; });
  EXPECT_EQ(calls, 0);
}
