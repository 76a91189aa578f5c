// open_workspace / build_graph on an ONNX `model`: the importer's graph with its own
// weights (no checkpoint needed), a --load checkpoint whose names match, [onnx]
// options, and clear errors for a missing dataset or a sample shape that does not fit.
#include <gtest/gtest.h>

#include "../support/prerequisites.hpp"
#include <torch/types.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "../io/onnx_builder.hpp"
#include "qdse/core/error.hpp"
#include "qdse/io/checkpoint.hpp"
#include "qdse/pipeline/workspace.hpp"

namespace qdse::pipeline {
namespace {

namespace fs = std::filesystem;
using test::OnnxBuilder;

fs::path scratch() {
  const auto d = fs::temp_directory_path() / ("qdse_onnx_ws_" + std::to_string(::getpid()));
  fs::create_directories(d);
  return d;
}

// [sample] -> (Flatten) -> Gemm(10) ; weights 0.01 * arange so they are recognisable.
std::string write_model(const std::string& file, const std::vector<int64_t>& sample, bool with_bn = false) {
  int64_t features = 1;
  for (auto d : sample) features *= d;
  OnnxBuilder b;
  b.input("input", sample).output("y");
  b.initializer("fc.weight", torch::arange(10 * features, torch::kFloat).reshape({10, features}) * 1e-4)
      .initializer("fc.bias", torch::arange(10, torch::kFloat));
  std::string x = "input";
  if (sample.size() > 1) {
    auto& f = b.node("Flatten", {"input"}, {"f"}, "/Flatten");
    OnnxBuilder::attr(f, "axis", int64_t{1});
    x = "f";
  }
  auto& g = b.node("Gemm", {x, "fc.weight", "fc.bias"}, {with_bn ? "g" : "y"}, "/fc/Gemm");
  OnnxBuilder::attr(g, "transB", int64_t{1});
  if (with_bn) {
    b.initializer("s", torch::full({10}, 2.0)).initializer("b", torch::zeros({10}));
    b.initializer("m", torch::zeros({10})).initializer("v", torch::ones({10}));
    b.node("BatchNormalization", {"g", "s", "b", "m", "v"}, {"y"}, "/bn/BatchNormalization");
  }
  const auto path = scratch() / file;
  std::ofstream(path, std::ios::binary) << b.bytes();
  return path.string();
}

io::RunConfig onnx_config(const std::string& model) {
  io::RunConfig c = io::default_run_config();
  c.model = model;
  c.dataset = "fashion_mnist";
  c.checkpoint_dir = (scratch() / "checkpoints").string();
  return c;
}

bool have_fmnist() { return fs::exists("/usr/share/datasets/fashion-mnist"); }

TEST(OnnxWorkspace, BuildGraphImportsWithConfigOptions) {
  io::RunConfig c = onnx_config(write_model("bn.onnx", {1, 4, 4}, /*with_bn=*/true));
  EXPECT_EQ(build_graph(c).size(), 3u);  // flatten, fc, bn
  c.onnx_fold_batch_norm = true;
  const auto folded = build_graph(c);
  ASSERT_EQ(folded.size(), 2u);
  EXPECT_EQ(folded.node(1).name, "fc");
  c.onnx_input_shape = {1, 5, 5};  // disagrees with the file's known dims
  EXPECT_THROW(build_graph(c), Error);
}

TEST(OnnxWorkspace, WeightsComeFromTheFileOrAMatchingCheckpoint) {
  QDSE_REQUIRE(have_fmnist(), "Fashion-MNIST is not installed");
  const auto model = write_model("w.onnx", {1, 28, 28});
  const io::RunConfig c = onnx_config(model);
  const Workspace ws = open_workspace(c, "", /*require_weights=*/true);
  EXPECT_EQ(ws.weights_path, model);
  const auto idx = ws.graph.find("fc");
  ASSERT_TRUE(idx);
  EXPECT_FLOAT_EQ(ws.graph.node(*idx).param("bias")->index({3}).item<float>(), 3.0f);
  EXPECT_EQ(ws.dataset.sample_shape, (std::vector<int64_t>{1, 28, 28}));

  // A checkpoint of the same graph (names match) replaces the ONNX weights.
  ir::Graph changed = build_graph(c);
  changed.node(*changed.find("fc")).param("bias")->fill_(-1.0f);
  const auto ckpt = (scratch() / "w.qdse").string();
  io::save_checkpoint(changed, ckpt);
  const Workspace loaded = open_workspace(c, ckpt, true);
  EXPECT_EQ(loaded.weights_path, ckpt);
  EXPECT_FLOAT_EQ(loaded.graph.node(*idx).param("bias")->index({3}).item<float>(), -1.0f);
}

TEST(OnnxWorkspace, DatasetMustBeGivenAndFit) {
  QDSE_REQUIRE(have_fmnist(), "Fashion-MNIST is not installed");
  io::RunConfig c = onnx_config(write_model("s.onnx", {2, 14, 14}));
  try {
    open_workspace(c, "", true);
    FAIL() << "shape mismatch accepted";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("[1, 28, 28]"), std::string::npos) << m;
    EXPECT_NE(m.find("[2, 14, 14]"), std::string::npos) << m;  // same numel, not flat: no reshape
  }
  c.dataset.clear();
  try {
    open_workspace(c, "", true);
    FAIL() << "no dataset accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("`dataset`"), std::string::npos) << e.what();
  }
  // A flat-input model takes the images flattened.
  const Workspace flat = open_workspace(onnx_config(write_model("f.onnx", {784})), "", true);
  EXPECT_EQ(flat.dataset.sample_shape, (std::vector<int64_t>{784}));
  EXPECT_EQ(flat.dataset.test.x.sizes(), (c10::IntArrayRef{10000, 784}));
}

}  // namespace
}  // namespace qdse::pipeline
