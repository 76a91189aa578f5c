#include <gtest/gtest.h>

#include "../support/prerequisites.hpp"
#include <torch/types.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

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

// A checkpoint written from docs/checkpoint.md alone (not through save_checkpoint):
// every tensor of `graph`, element i of tensor k holding (i % 8) * 0.25 - 1 + k.
// `basis` is the FNV-1a offset basis the writer hashes with; `poison` puts a NaN into
// the first element of the named tensor.
std::string documented_checkpoint(const ir::Graph& graph, int version, uint64_t basis,
                                  const std::string& poison = "") {
  std::string data;
  nlohmann::json tensors = nlohmann::json::array();
  int k = 0;
  for (const auto& node : graph.nodes())
    for (const auto& [key, t] : node.params) {
      if (!t.defined()) continue;
      const std::string name = node.name + "." + key;
      tensors.push_back({{"name", name}, {"shape", t.sizes().vec()}, {"offset", data.size()}, {"numel", t.numel()}});
      for (int64_t i = 0; i < t.numel(); ++i) {
        float v = static_cast<float>((i % 8) * 0.25 - 1 + k);
        if (i == 0 && name == poison) v = std::nanf("");
        char le[4];
        std::memcpy(le, &v, 4);  // the test machines are little-endian, as the format
        data.append(le, 4);
      }
      ++k;
    }
  uint64_t h = basis;
  for (unsigned char c : data) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  const nlohmann::json header = {{"format", "qdse-checkpoint"}, {"version", version},
                                 {"model", graph.name()},      {"input_shape", graph.input_shape()},
                                 {"tensors", tensors},          {"data_bytes", data.size()},
                                 {"fnv1a64", hex},              {"meta", {{"writer", "test"}}}};
  const std::string text = header.dump(2);  // any JSON layout is valid
  std::string out = "QDSECKP1";
  const uint64_t len = text.size();
  out.append(reinterpret_cast<const char*>(&len), 8);
  return out + text + data;
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// Element i of tensor k as documented_checkpoint() and fixtures/make_v1_checkpoint.py write it.
void expect_pattern(const ir::Graph& g, const std::string& node, const std::string& param, int k) {
  for (const auto& n : g.nodes())
    if (n.name == node) {
      const at::Tensor t = n.params.at(param).flatten();
      for (int64_t i = 0; i < t.numel(); ++i)
        ASSERT_EQ(t[i].item<float>(), static_cast<float>((i % 8) * 0.25 - 1 + k)) << node << "." << param << "[" << i << "]";
      return;
    }
  FAIL() << "no node " << node;
}

constexpr uint64_t kDocumentedFnvBasis = 0xcbf29ce484222325ull;  // 14695981039346656037

TEST(Checkpoint, FileWrittenToTheDocumentedSpecLoads) {
  // Version 2 is the current spec; a version-1 file hashed by the documented basis (the
  // old spec's text) loads too.
  for (int version : {2, 1}) {
    const auto path = temp_path("documented_v" + std::to_string(version) + ".qdse");
    write_bytes(path, documented_checkpoint(ir::build_zoo_model("jsc-tiny"), version, kDocumentedFnvBasis));
    auto g = ir::build_zoo_model("jsc-tiny", 7);
    const auto meta = load_checkpoint(path, g);
    EXPECT_EQ(meta.at("writer"), "test");
    expect_pattern(g, "seq_blocks_2", "weight", 5);  // params are listed in name order per node
  }
}

TEST(Checkpoint, SavedFilesAreVersionTwoWithTheDocumentedChecksum) {
  const auto path = temp_path("saved_v2.qdse");
  const auto g = ir::build_zoo_model("jsc-toy", 3);
  save_checkpoint(g, path);
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  uint64_t len = 0;
  std::memcpy(&len, bytes.data() + 8, 8);
  const auto header = nlohmann::json::parse(bytes.substr(16, len));
  EXPECT_EQ(header.at("version"), 2);
  uint64_t h = kDocumentedFnvBasis;
  for (std::size_t i = 16 + len; i < bytes.size(); ++i) {
    h ^= static_cast<unsigned char>(bytes[i]);
    h *= 1099511628211ull;
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  EXPECT_EQ(header.at("fnv1a64"), hex);
}

TEST(Checkpoint, VersionOneFixtureStillLoads) {
  // Written as qdse's version-1 writer did (tests/io/fixtures/make_v1_checkpoint.py).
  const std::string path = std::string(QDSE_SOURCE_DIR) + "/tests/io/fixtures/jsc_tiny_v1.qdse";
  auto g = ir::build_zoo_model("jsc-tiny", 7);
  const auto meta = load_checkpoint(path, g);
  EXPECT_EQ(meta.at("epochs"), 0);
  expect_pattern(g, "seq_blocks_0", "running_var", 2);
  expect_pattern(g, "seq_blocks_2", "weight", 5);
  // A version-1 header over data whose checksum matches neither basis is still corrupt.
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  bytes[bytes.size() - 2] ^= 0x01;
  write_bytes(temp_path("v1_flipped.qdse"), bytes);
  expect_error_containing([&] { load_checkpoint(temp_path("v1_flipped.qdse"), g); }, "checksum");
  // A version this qdse does not know is named.
  write_bytes(temp_path("v3.qdse"), documented_checkpoint(g, 3, kDocumentedFnvBasis));
  expect_error_containing([&] { load_checkpoint(temp_path("v3.qdse"), g); }, "unsupported version 3");
}

TEST(Checkpoint, NonFiniteWeightsAreRefusedNamingFileAndTensor) {
  const auto path = temp_path("nan.qdse");
  write_bytes(path, documented_checkpoint(ir::build_zoo_model("jsc-tiny"), 2, kDocumentedFnvBasis,
                                          "seq_blocks_2.bias"));
  auto g = ir::build_zoo_model("jsc-tiny");
  expect_error_containing([&] { load_checkpoint(path, g); }, path + ": tensor 'seq_blocks_2.bias' holds NaN");
  // A save of a graph with an infinite weight does not load either.
  auto bad = ir::build_zoo_model("jsc-tiny");
  for (auto& n : bad.nodes())
    if (n.name == "seq_blocks_0") n.params.at("weight").index_put_({3}, INFINITY);
  save_checkpoint(bad, temp_path("inf.qdse"));
  expect_error_containing([&] { load_checkpoint(temp_path("inf.qdse"), g); },
                          "tensor 'seq_blocks_0.weight' holds NaN or infinite values");
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

TEST(StateDictJson, NegativeShapesAndNonFiniteValuesNameTheFile) {
  auto g = ir::build_zoo_model("jsc-tiny");
  const auto neg = temp_path("negative.json");
  // [-2, -1] has 2 "elements": without a check it reaches libtorch's reshape.
  std::ofstream(neg) << R"({"tensors": [{"name": "seq_blocks.2.bias", "shape": [-2, -1], "data": [1, 2]}]})";
  expect_error_containing([&] { load_state_dict_json(neg, g); },
                          neg + ": tensor 'seq_blocks.2.bias' has a negative dimension");
  const auto huge = temp_path("huge.json");
  std::ofstream(huge) << R"({"tensors": [{"name": "seq_blocks.2.bias", "shape": [4294967296, 4294967296], "data": [1]}]})";
  expect_error_containing([&] { load_state_dict_json(huge, g); }, huge + ": tensor 'seq_blocks.2.bias' has 1 values");
  // 1e39 is a double but no float32: refused with the tensor's name.
  std::string text = R"({"tensors": [)";
  for (const auto& n : g.nodes())
    for (const auto& [key, t] : n.params) {
      if (!t.defined()) continue;
      std::string values;
      for (int64_t i = 0; i < t.numel(); ++i) values += std::string(i ? "," : "") + (n.name == "seq_blocks_2" && key == "weight" && i == 7 ? "1e39" : "0.5");
      std::string shape;
      for (auto d : t.sizes()) shape += (shape.empty() ? "" : ",") + std::to_string(d);
      const std::string module = n.name.substr(0, n.name.rfind('_')) + "." + n.name.substr(n.name.rfind('_') + 1);
      text += std::string(text.back() == '[' ? "" : ",") + R"({"name": ")" + module + "." + key + R"(", "shape": [)" + shape +
              R"(], "data": [)" + values + "]}";
    }
  const auto inf = temp_path("inf.json");
  std::ofstream(inf) << text << "]}";
  expect_error_containing([&] { load_state_dict_json(inf, g); },
                          inf + ": tensor 'seq_blocks.2.weight' holds NaN or infinite values (as float32: 1e+39)");
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
