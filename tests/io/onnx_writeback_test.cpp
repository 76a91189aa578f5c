// io::write_onnx_initializers (fine-tuned weights written back into an ONNX file, issue 18):
// the changed parameters replace their initializers (same name, dtype, shape, storage) and
// every other part of the model is the source message byte for byte; a parameter the file
// does not hold as imported is a one-line error naming the layer, and nothing is written.
#include <gtest/gtest.h>

#include <torch/types.h>
#include <torch/utils.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "../support/errors.hpp"
#include "../support/prerequisites.hpp"
#include "../support/temp_dir.hpp"
#include "onnx/onnx_pb.h"
#include "qdse/core/error.hpp"
#include "qdse/io/onnx/import.hpp"
#include "qdse/io/onnx_writeback.hpp"

namespace qdse::io {
namespace {

onnx::ModelProto writeback_parse(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  onnx::ModelProto m;
  EXPECT_TRUE(m.ParseFromString(ss.str())) << path;
  return m;
}

// The index of the first node with a weight and a bias.
int writeback_layer(const ir::Graph& g) {
  for (std::size_t i = 0; i < g.size(); ++i)
    if (g.node(static_cast<int>(i)).param("weight") && g.node(static_cast<int>(i)).param("bias")) return static_cast<int>(i);
  return -1;
}

TEST(OnnxWriteback, ChangedParametersReplaceTheirInitializersAndNothingElse) {
  const std::string src = testing::peer_model("fmnist-mlp.onnx");
  QDSE_REQUIRE(std::filesystem::exists(src), src << " is absent");
  const ir::Graph original = import_onnx(src);
  ir::Graph tuned = original.clone_params();
  const int k = writeback_layer(tuned);
  ASSERT_GE(k, 0);
  {
    torch::NoGradGuard no_grad;
    tuned.node(k).param("weight")->add_(0.25);  // tensors are shared handles: changes the graph's
    tuned.node(k).param("bias")->sub_(0.5);
  }
  testing::TempDir dir("onnx-writeback");
  const std::string out = (dir.path() / "tuned.onnx").string();
  const auto written = write_onnx_initializers(src, original, tuned, out);
  ASSERT_EQ(written.size(), 2u);

  onnx::ModelProto a = writeback_parse(src), b = writeback_parse(out);
  ASSERT_EQ(a.graph().initializer_size(), b.graph().initializer_size());
  const std::set<std::string> names(written.begin(), written.end());
  for (int i = 0; i < a.graph().initializer_size(); ++i) {
    const auto& ta = a.graph().initializer(i);
    const auto& tb = b.graph().initializer(i);
    ASSERT_EQ(ta.name(), tb.name());
    if (names.count(ta.name()) == 0) {
      EXPECT_EQ(ta.SerializeAsString(), tb.SerializeAsString()) << ta.name();
      continue;
    }
    EXPECT_EQ(ta.data_type(), tb.data_type()) << ta.name();
    EXPECT_EQ(std::vector<int64_t>(ta.dims().begin(), ta.dims().end()),
              std::vector<int64_t>(tb.dims().begin(), tb.dims().end()));
    EXPECT_EQ(ta.raw_data().size(), tb.raw_data().size()) << ta.name();
    EXPECT_NE(ta.raw_data(), tb.raw_data()) << ta.name();
  }
  // Without the initializers, the two models are the same message.
  a.mutable_graph()->clear_initializer();
  b.mutable_graph()->clear_initializer();
  EXPECT_EQ(a.SerializeAsString(), b.SerializeAsString());

  // Imported again, the file holds the tuned parameters exactly, and only those changed.
  const ir::Graph back = import_onnx(out);
  ASSERT_EQ(back.size(), tuned.size());
  for (std::size_t i = 0; i < back.size(); ++i)
    for (const auto& [key, t] : tuned.node(static_cast<int>(i)).params)
      EXPECT_TRUE(torch::equal(*back.node(static_cast<int>(i)).param(key), t)) << i << " " << key;
}

TEST(OnnxWriteback, AParameterTheFileDoesNotHoldIsRefusedNamingTheLayer) {
  const std::string src = testing::peer_model("fmnist-mlp.onnx");
  QDSE_REQUIRE(std::filesystem::exists(src), src << " is absent");
  // `original` claims a weight that no initializer holds (as an importer that scaled it).
  ir::Graph original = import_onnx(src).clone_params();
  const int k = writeback_layer(original);
  ASSERT_GE(k, 0);
  ir::Graph tuned = original.clone_params();
  {
    torch::NoGradGuard no_grad;
    original.node(k).param("weight")->mul_(2.0);
  }
  testing::TempDir dir("onnx-writeback-bad");
  const std::string out = (dir.path() / "x.onnx").string();
  const std::string msg = testing::error_of([&] { write_onnx_initializers(src, original, tuned, out); });
  EXPECT_NE(msg.find("layer '" + original.node(k).name + "'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("no float32 initializer holds it"), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  EXPECT_FALSE(std::filesystem::exists(out));
  // Not an ONNX file: an error naming it.
  const std::string junk = (dir.path() / "junk.onnx").string();
  std::ofstream(junk) << "not a model";
  EXPECT_NE(testing::error_of([&] { write_onnx_initializers(junk, original, tuned, out); }).find(junk),
            std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(out));
}

}  // namespace
}  // namespace qdse::io
