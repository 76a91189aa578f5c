#include "qdse/data/preprocess.hpp"

#include <gtest/gtest.h>
#include <torch/types.h>

#include "qdse/core/error.hpp"
#include "qdse/data/dataset.hpp"

using namespace qdse::data;

namespace {

Dataset image_dataset() {
  Dataset d;
  d.name = "img";
  d.sample_shape = {2, 1, 2};
  d.train.x = torch::tensor({0.f, 255.f, 51.f, 102.f}).reshape({1, 2, 1, 2});
  d.train.y = torch::zeros({1}, torch::kInt64);
  d.test = d.train;
  d.validation = make_empty_split(d.sample_shape);
  return d;
}

}  // namespace

TEST(Preprocess, Parse) {
  EXPECT_EQ(parse_preprocess_kind("none"), Preprocess::Kind::None);
  EXPECT_EQ(parse_preprocess_kind("scale"), Preprocess::Kind::Scale);
  EXPECT_EQ(parse_preprocess("normalize").kind, Preprocess::Kind::Normalize);
  EXPECT_EQ(parse_preprocess_kind("standardize"), Preprocess::Kind::Standardize);
  EXPECT_EQ(to_string(Preprocess::Kind::Standardize), "standardize");
  try {
    parse_preprocess_kind("zscore");
    FAIL();
  } catch (const qdse::Error& e) {
    EXPECT_NE(std::string(e.what()).find("none, scale, normalize, standardize"), std::string::npos);
  }
}

TEST(Preprocess, Scale) {
  Dataset d = image_dataset();
  apply_preprocess(d, parse_preprocess("scale"));
  auto x = d.train.x.flatten();
  EXPECT_FLOAT_EQ(x[1].item<float>(), 1.0f);
  EXPECT_FLOAT_EQ(x[2].item<float>(), 0.2f);
  EXPECT_EQ(d.validation.size(), 0);
}

TEST(Preprocess, NormalizePerChannel) {
  Dataset d = image_dataset();
  Preprocess p{Preprocess::Kind::Normalize, {0.5, 0.2}, {0.5, 0.1}};
  apply_preprocess(d, p);
  auto x = d.test.x.flatten();
  // channel 0: (0/255 - .5)/.5 = -1, (1 - .5)/.5 = 1; channel 1: (.2-.2)/.1 = 0, (.4-.2)/.1 = 2
  EXPECT_FLOAT_EQ(x[0].item<float>(), -1.0f);
  EXPECT_FLOAT_EQ(x[1].item<float>(), 1.0f);
  EXPECT_NEAR(x[2].item<float>(), 0.0f, 1e-6);
  EXPECT_NEAR(x[3].item<float>(), 2.0f, 1e-5);
  EXPECT_EQ(d.preprocess.mean, (std::vector<double>{0.5, 0.2}));
}

TEST(Preprocess, NormalizeErrors) {
  Dataset d = image_dataset();
  EXPECT_THROW(apply_preprocess(d, Preprocess{Preprocess::Kind::Normalize, {}, {}}), qdse::Error);
  EXPECT_THROW(apply_preprocess(d, Preprocess{Preprocess::Kind::Normalize, {0.1, 0.2, 0.3}, {1, 1, 1}}),
               qdse::Error);
  EXPECT_THROW(apply_preprocess(d, Preprocess{Preprocess::Kind::Normalize, {0.1}, {0.0}}), qdse::Error);
}

TEST(Preprocess, StandardizeUsesTrainStatsAndPopulationStd) {
  Dataset d;
  d.name = "tab";
  d.sample_shape = {2};
  // feature 0: 1, 3 -> mean 2, population std 1; feature 1 constant 5 -> std 0 -> 1
  d.train.x = torch::tensor({1.f, 5.f, 3.f, 5.f}).reshape({2, 2});
  d.train.y = torch::zeros({2}, torch::kInt64);
  d.test.x = torch::tensor({4.f, 7.f}).reshape({1, 2});
  d.test.y = torch::zeros({1}, torch::kInt64);
  d.validation = make_empty_split(d.sample_shape);
  apply_preprocess(d, parse_preprocess("standardize"));
  EXPECT_FLOAT_EQ(d.train.x[0][0].item<float>(), -1.0f);
  EXPECT_FLOAT_EQ(d.train.x[1][0].item<float>(), 1.0f);
  EXPECT_FLOAT_EQ(d.train.x[0][1].item<float>(), 0.0f);
  EXPECT_FLOAT_EQ(d.test.x[0][0].item<float>(), 2.0f);  // (4 - 2) / 1, test not used for stats
  EXPECT_FLOAT_EQ(d.test.x[0][1].item<float>(), 2.0f);  // (7 - 5) / 1
  EXPECT_EQ(d.preprocess.mean, (std::vector<double>{2.0, 5.0}));
  EXPECT_EQ(d.preprocess.std, (std::vector<double>{1.0, 1.0}));
}

TEST(Preprocess, NoneKeepsValues) {
  Dataset d = image_dataset();
  apply_preprocess(d, parse_preprocess("none"));
  EXPECT_FLOAT_EQ(d.train.x.flatten()[1].item<float>(), 255.f);
}
