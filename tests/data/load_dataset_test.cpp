#include "qdse/data/load_dataset.hpp"

#include <gtest/gtest.h>

#include "../support/csv_rows.hpp"
#include "../support/errors.hpp"
#include "../support/temp_dir.hpp"

#include "../support/prerequisites.hpp"
#include <torch/types.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>

#include "qdse/core/error.hpp"
#include "qdse/data/idx_loader.hpp"

using namespace qdse::data;
namespace fs = std::filesystem;

using namespace qdse::testing;

TEST(LoadDataset, NamesAndDefaults) {
  EXPECT_EQ(canonical_dataset_name("fmnist"), "fashion_mnist");
  EXPECT_EQ(canonical_dataset_name("fashion-mnist"), "fashion_mnist");
  EXPECT_EQ(canonical_dataset_name("jsc"), "jsc");
  std::string msg = error_of([] { canonical_dataset_name("cifar10"); });
  EXPECT_CONTAINS(msg, "cifar10");
  EXPECT_CONTAINS(msg, "fashion_mnist");
  EXPECT_CONTAINS(msg, "csv");
  Preprocess p = default_preprocess("fashion_mnist");
  EXPECT_EQ(p.kind, Preprocess::Kind::Normalize);
  EXPECT_EQ(p.mean, std::vector<double>{kFashionMnistMean});
  EXPECT_EQ(default_preprocess("csv").kind, Preprocess::Kind::Standardize);
}

TEST(LoadDataset, CsvValidationLimitAndOptionErrors) {
  TempDir dir("qdse_load");
  DatasetOptions o;
  o.name = "csv";
  o.path = dir.write("d.csv", numbered_csv(100, 2));
  o.preprocess = parse_preprocess("none");
  Dataset d = load_dataset(o);
  EXPECT_EQ(d.test.size(), 20);
  EXPECT_EQ(d.validation.size(), 8);  // ceil(0.1 * 80)
  EXPECT_EQ(d.train.size(), 72);
  o.seed = 1;
  Dataset d1 = load_dataset(o);
  EXPECT_TRUE(torch::equal(d.test.x, d1.test.x));           // test split does not depend on seed
  EXPECT_FALSE(torch::equal(d.validation.x, d1.validation.x));  // validation does
  o.validation_fraction = 0.0;
  o.limit_train = 5;
  Dataset d2 = load_dataset(o);
  EXPECT_EQ(d2.validation.size(), 0);
  EXPECT_EQ(d2.train.size(), 5);
  EXPECT_TRUE(d2.train.x.is_contiguous());
  o.limit_train = 0;
  EXPECT_CONTAINS(error_of([&] { load_dataset(o); }), "limit_train");
  o.limit_train.reset();
  o.validation_fraction = 1.0;
  EXPECT_CONTAINS(error_of([&] { load_dataset(o); }), "validation_fraction");
  o.validation_fraction = 0.1;
  o.name = "nope";
  EXPECT_CONTAINS(error_of([&] { load_dataset(o); }), "unknown dataset `nope`");
}

TEST(LoadDataset, RealFashionMnist) {
  QDSE_REQUIRE(fs::exists(std::string(kFashionMnistDefaultDir) + "/train-images-idx3-ubyte.gz"),
               "Fashion-MNIST not installed in " << kFashionMnistDefaultDir
                                                  << " (apt-get install dataset-fashion-mnist)");
  DatasetOptions o;
  o.name = "fashion_mnist";
  const auto t0 = std::chrono::steady_clock::now();
  Dataset d = load_dataset(o);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("full Fashion-MNIST load (gunzip + normalize + split): %.3f s\n", secs);
  EXPECT_EQ(d.train.size(), 54000);
  EXPECT_EQ(d.validation.size(), 6000);
  EXPECT_EQ(d.test.size(), 10000);
  EXPECT_EQ(d.train.x.sizes(), (std::vector<int64_t>{54000, 1, 28, 28}));
  EXPECT_EQ(d.num_classes, 10);
  EXPECT_EQ(d.class_names[9], "Ankle boot");
  // Normalized with the dataset's own statistics: mean ~0, std ~1.
  const double mean = d.train.x.mean().item<double>();
  const double stdev = d.train.x.std().item<double>();
  EXPECT_NEAR(mean, 0.0, 0.01);
  EXPECT_NEAR(stdev, 1.0, 0.01);
  EXPECT_NEAR(d.test.x.mean().item<double>(), 0.0, 0.02);
  // Balanced classes: 6000 each over train + validation, 1000 each in test.
  auto counts = torch::bincount(torch::cat({d.train.y, d.validation.y}), {}, 10);
  EXPECT_TRUE(torch::all(counts == 6000).item<bool>()) << counts;
  EXPECT_TRUE(torch::all(torch::bincount(d.test.y, {}, 10) == 1000).item<bool>());
  // Raw pixel range survives with preprocess none.
  o.preprocess = parse_preprocess("none");
  o.validation_fraction = 0.0;
  Dataset raw = load_dataset(o);
  EXPECT_EQ(raw.train.size(), 60000);
  EXPECT_EQ(raw.train.x.min().item<float>(), 0.f);
  EXPECT_EQ(raw.train.x.max().item<float>(), 255.f);
  EXPECT_NEAR(raw.train.x.mean().item<double>() / 255.0, kFashionMnistMean, 0.001);
}
