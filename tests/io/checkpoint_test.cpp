#include <gtest/gtest.h>

#include "../support/prerequisites.hpp"
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "qdse/core/error.hpp"
#include "qdse/io/checkpoint.hpp"
#include "qdse/ir/zoo.hpp"

namespace qdse::io {
namespace {

std::string temp_path(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("qdse_ckpt_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

void expect_error_containing(const std::function<void()>& fn, const std::string& needle) {
  try {
    fn();
    FAIL() << "expected an error containing '" << needle << "'";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(Checkpoint, RoundTripRestoresEveryTensorAndMetadata) {
  const auto a = ir::build_zoo_model("jsc-toy", 1);
  const auto path = temp_path("toy.qdse");
  save_checkpoint(a, path, {{"epochs", 3}});
  auto b = ir::build_zoo_model("jsc-toy", 2);
  const auto meta = load_checkpoint(path, b);
  EXPECT_EQ(meta.at("epochs"), 3);
  for (std::size_t i = 0; i < a.size(); ++i)
    for (const auto& [k, t] : a.node(static_cast<int>(i)).params)
      EXPECT_TRUE(torch::equal(t, b.node(static_cast<int>(i)).params.at(k))) << k;
}

TEST(Checkpoint, WrongModelIsAClearError) {
  const auto path = temp_path("mlp.qdse");
  save_checkpoint(ir::build_zoo_model("fmnist-mlp"), path);
  auto cnn = ir::build_zoo_model("fmnist-cnn");
  expect_error_containing([&] { load_checkpoint(path, cnn); }, "model 'fmnist-mlp', not 'fmnist-cnn'");
}

TEST(Checkpoint, CorruptTruncatedAndForeignFilesAreErrors) {
  const auto path = temp_path("tiny.qdse");
  save_checkpoint(ir::build_zoo_model("jsc-tiny"), path);
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  auto write = [&](const std::string& p, const std::string& b) {
    std::ofstream(p, std::ios::binary | std::ios::trunc) << b;
  };
  auto g = ir::build_zoo_model("jsc-tiny");
  std::string flipped = bytes;
  flipped[flipped.size() - 3] ^= 0x40;  // inside the float data
  write(temp_path("flipped.qdse"), flipped);
  expect_error_containing([&] { load_checkpoint(temp_path("flipped.qdse"), g); }, "checksum");
  write(temp_path("short.qdse"), bytes.substr(0, bytes.size() - 10));
  expect_error_containing([&] { load_checkpoint(temp_path("short.qdse"), g); }, "truncated");
  write(temp_path("foreign.qdse"), "PK\x03\x04 not a checkpoint at all");
  expect_error_containing([&] { load_checkpoint(temp_path("foreign.qdse"), g); }, "bad magic");
  write(temp_path("header.qdse"), bytes.substr(0, 20));
  expect_error_containing([&] { load_checkpoint(temp_path("header.qdse"), g); }, "truncated header");
  expect_error_containing([&] { load_checkpoint(temp_path("missing.qdse"), g); }, "cannot open");
}

TEST(StateDictJson, LoadsPyTorchNamesAndChecksShapes) {
  const auto path = temp_path("sd.json");
  std::ofstream(path) << R"({"tensors": [
    {"name": "seq_blocks.0.weight", "shape": [16], "data": [)" << [] {
    std::string s;
    for (int i = 0; i < 16; ++i) s += (i ? "," : "") + std::to_string(i);
    return s;
  }() << R"(]}]})";
  auto g = ir::build_zoo_model("jsc-tiny");
  // Missing tensors are an error naming the first one missing.
  expect_error_containing([&] { load_state_dict_json(path, g); }, "has no tensor");
  std::ofstream(temp_path("bad.json")) << R"({"tensors": [{"name": "seq_blocks.2.weight", "shape": [5, 16], "data": [1, 2]}]})";
  expect_error_containing([&] { load_state_dict_json(temp_path("bad.json"), g); }, "has 2 values");
}

TEST(StateDictJson, ReferenceFmnistMlpWeightsLoad) {
  const std::string path = qdse::testing::peer_model("fmnist-mlp.json");
  QDSE_REQUIRE(std::filesystem::exists(path), "peer weights not present at " << path);
  auto g = ir::build_zoo_model("fmnist-mlp");
  const auto meta = load_weights(path, g);
  EXPECT_NEAR(meta.at("test_accuracy_fp32").get<double>(), 0.8878, 1e-9);
  EXPECT_FLOAT_EQ(g.node(5).param("bias")->index({0}).item<float>(), -0.11676786839962006f);
}

}  // namespace
}  // namespace qdse::io
