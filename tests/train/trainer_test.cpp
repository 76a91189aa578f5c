#include <gtest/gtest.h>

#include "../support/prerequisites.hpp"
#include "blobs.hpp"
#include <torch/types.h>

#include <filesystem>

#include "qdse/core/error.hpp"
#include "qdse/data/load_dataset.hpp"
#include "qdse/exec/evaluate.hpp"
#include "qdse/ir/zoo.hpp"
#include "qdse/train/trainer.hpp"

namespace qdse::train {
namespace {

using testing::blobs;

TEST(Trainer, LearnsSeparableDataAndIsDeterministic) {
  auto [x, y] = blobs(2000, 1);
  auto [xv, yv] = blobs(500, 2);
  TrainOptions o;
  o.max_epochs = 5;
  o.batch_size = 64;
  o.learning_rate = 1e-2;
  o.seed = 3;
  auto a = ir::build_zoo_model("jsc-tiny", 0), b = ir::build_zoo_model("jsc-tiny", 0);
  int epochs_seen = 0;
  TrainCallbacks cb;
  cb.on_epoch = [&](const EpochStats&) { ++epochs_seen; };
  const auto ha = train(a, x, y, xv, yv, o, cb);
  const auto hb = train(b, x, y, xv, yv, o);
  EXPECT_EQ(epochs_seen, 5);
  ASSERT_EQ(ha.size(), 5u);
  EXPECT_LT(ha.back().train_loss, ha.front().train_loss);
  EXPECT_GT(ha.back().val_accuracy, 0.9);
  EXPECT_TRUE(torch::equal(*a.node(2).param("weight"), *b.node(2).param("weight")));
  // BatchNorm running statistics were updated in training mode.
  EXPECT_FALSE(torch::equal(*a.node(0).param("running_mean"), torch::zeros({16})));
}

TEST(Trainer, RejectsBadOptions) {
  auto g = ir::build_zoo_model("jsc-tiny");
  auto [x, y] = blobs(10, 1);
  TrainOptions o;
  o.batch_size = 0;
  EXPECT_THROW(train(g, x, y, {}, {}, o), Error);
}

TEST(Trainer, RefusesLabelsOutsideTheModelsOutputsBeforeTraining) {
  // jsc-tiny has 5 logits: label 6 used to fail inside the loss ("Target 6 is out of bounds").
  auto g = ir::build_zoo_model("jsc-tiny", 0);
  const at::Tensor before = g.node(2).param("weight")->clone();
  auto [x, y] = blobs(40, 1);
  y.index_put_({7}, 6);
  try {
    train(g, x, y, {}, {}, TrainOptions{});
    FAIL() << "trained on label 6";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("training label 6 is outside the 5 classes"), std::string::npos) << e.what();
  }
  auto [xv, yv] = blobs(10, 2);
  yv.index_put_({0}, -1);
  auto [x2, y2] = blobs(40, 1);
  EXPECT_THROW(train(g, x2, y2, xv, yv, TrainOptions{}), Error);
  EXPECT_TRUE(torch::equal(*g.node(2).param("weight"), before));  // nothing was trained
}

// Integration: fmnist-mlp on a 12k-sample subset reaches >= 80% test accuracy.
TEST(TrainerIntegration, FmnistMlpSubsetReaches80Percent) {
  QDSE_REQUIRE(std::filesystem::exists("/usr/share/datasets/fashion-mnist"),
               "Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)");
  data::DatasetOptions opts;
  opts.name = "fashion_mnist";
  opts.limit_train = 12000;
  opts.validation_fraction = 0.0;
  const auto ds = data::load_dataset(opts);
  auto g = ir::build_zoo_model("fmnist-mlp", 0);
  TrainOptions o;
  o.max_epochs = 3;
  train(g, ds.train.x, ds.train.y, {}, {}, o);
  const auto r = exec::evaluate(g, nullptr, ds.test.x, ds.test.y);
  EXPECT_GE(r.accuracy, 0.80);
  EXPECT_EQ(r.samples, 10000);
}

}  // namespace
}  // namespace qdse::train
