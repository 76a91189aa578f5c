// The reference models in shared/bench/peer (torch.onnx.export, opset 13): they
// import with MASE's layer names, carry exactly the trained weights, and score the
// test accuracy PyTorch reported (0.8878 mlp, 0.8874 cnn).
#include <gtest/gtest.h>

#include "../support/prerequisites.hpp"
#include <torch/types.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "qdse/core/error.hpp"
#include "qdse/data/load_dataset.hpp"
#include "qdse/exec/evaluate.hpp"
#include "qdse/io/onnx/describe.hpp"
#include "qdse/io/onnx/import.hpp"

namespace qdse::io {
namespace {

const std::string kPeerDir = qdse::testing::peer_model("");

struct PeerModel {
  std::string name;
  double accuracy;  // train_report.json's test_accuracy_fp32
  std::vector<std::string> ops;
};

const std::vector<PeerModel> kPeers = {
    {"fmnist-mlp", 0.8878, {"flatten", "linear", "relu", "linear", "relu", "linear"}},
    {"fmnist-cnn", 0.8874,
     {"conv2d", "relu", "max_pool2d", "conv2d", "relu", "max_pool2d", "flatten", "linear"}},
};

bool have(const std::string& path) { return std::filesystem::exists(path); }

TEST(OnnxPeer, ImportsWithMaseNamesAndExactWeights) {
  for (const auto& peer : kPeers) {
    SCOPED_TRACE(peer.name);
    const std::string path = kPeerDir + peer.name + ".onnx";
    QDSE_REQUIRE(have(path), "peer model " << path << " is absent");
    const auto g = import_onnx(path);
    EXPECT_EQ(g.name(), peer.name);
    EXPECT_EQ(g.input_shape(), (std::vector<int64_t>{1, 28, 28}));
    ASSERT_EQ(g.size(), peer.ops.size());
    for (std::size_t i = 0; i < g.size(); ++i) {
      EXPECT_EQ(g.node(static_cast<int>(i)).name, "seq_blocks_" + std::to_string(i));
      EXPECT_EQ(ir::to_string(g.node(static_cast<int>(i)).op), peer.ops[i]);
    }
    const auto rows = describe_layers(g);
    EXPECT_EQ(rows.back().output_shape, (std::vector<int64_t>{10}));
    // The JSON dump of the same state_dict: every tensor equals its parameter.
    const std::string json_path = kPeerDir + peer.name + ".json";
    if (!have(json_path)) continue;
    std::ifstream in(json_path);
    const auto j = nlohmann::json::parse(in);
    int checked = 0;
    for (const auto& t : j.at("tensors")) {
      const std::string name = t.at("name");  // "seq_blocks.1.weight"
      const auto dot = name.rfind('.');
      std::string node = name.substr(0, dot);
      std::replace(node.begin(), node.end(), '.', '_');
      const auto idx = g.find(node);
      ASSERT_TRUE(idx) << name;
      const at::Tensor* p = g.node(*idx).param(name.substr(dot + 1));
      ASSERT_TRUE(p) << name;
      const auto data = t.at("data").get<std::vector<float>>();
      const auto want = torch::tensor(data).reshape(p->sizes());
      EXPECT_TRUE(torch::equal(*p, want)) << name;
      ++checked;
    }
    EXPECT_GT(checked, 0);
  }
}

TEST(OnnxPeer, FloatTestAccuracyEqualsPyTorch) {
  data::Dataset ds;
  std::string why;
  try {
    data::DatasetOptions opts;
    opts.name = "fashion_mnist";
    ds = data::load_dataset(opts);
  } catch (const Error& e) {
    why = e.what();
  }
  QDSE_REQUIRE(why.empty(), "Fashion-MNIST is not available: " << why);
  for (const auto& peer : kPeers) {
    SCOPED_TRACE(peer.name);
    const std::string path = kPeerDir + peer.name + ".onnx";
    QDSE_REQUIRE(have(path), "peer model " << path << " is absent");
    const auto g = import_onnx(path);
    const auto r = exec::evaluate(g, nullptr, ds.test.x, ds.test.y);
    ASSERT_EQ(r.samples, 10000);
    std::cout << "[ peer     ] " << peer.name << " accuracy " << r.accuracy << " (PyTorch "
              << peer.accuracy << ")\n";
    EXPECT_EQ(std::llround(r.accuracy * 10000), std::llround(peer.accuracy * 10000));
  }
}

}  // namespace
}  // namespace qdse::io
