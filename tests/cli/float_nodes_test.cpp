// Nodes that no format can address (issue 15, "Done when": an op qdse cannot quantize
// still evaluates in float, and the space builder says which nodes and why). An ONNX
// model Flatten -> Gemm -> Softmax: `qdse space` lists the flatten and the softmax as
// float with the op table's reason, a seed table that names them (by name or by type)
// is one warning with that reason instead of being dropped in silence, and a search
// that quantizes the Gemm evaluates the model with the softmax in float.
#include <gtest/gtest.h>
#include <torch/types.h>
#include <torch/utils.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "../io/onnx_builder.hpp"
#include "../support/prerequisites.hpp"
#include "cli_runner.hpp"

namespace {

namespace fs = std::filesystem;
using qdse::test::OnnxBuilder;
using namespace qdse::testing;

void write_softmax_model(const fs::path& path) {
  torch::manual_seed(0);
  OnnxBuilder b;
  b.input("input", {1, 28, 28}).output("y");
  b.initializer("fc.weight", torch::randn({10, 784}) * 0.05).initializer("fc.bias", torch::zeros({10}));
  auto& f = b.node("Flatten", {"input"}, {"f"}, "/Flatten");
  OnnxBuilder::attr(f, "axis", int64_t{1});
  auto& g = b.node("Gemm", {"f", "fc.weight", "fc.bias"}, {"logits"}, "/fc/Gemm");
  OnnxBuilder::attr(g, "transB", int64_t{1});
  auto& s = b.node("Softmax", {"logits"}, {"y"}, "/Softmax");
  OnnxBuilder::attr(s, "axis", int64_t{1});
  write_text(path, b.bytes());
}

// The imported name of the first node of `op` (names come from the importer).
std::string node_of(const fs::path& model, const std::string& op, const fs::path& dir) {
  const auto r = run_qdse("--json layers --model " + shell_quote(model), dir);
  EXPECT_EQ(r.status, 0) << r.err;
  const auto layers = nlohmann::json::parse(r.out).at("layers");
  for (const auto& row : layers)
    if (row.at("op") == op) return row.at("name");
  ADD_FAILURE() << "no " << op << " node in " << r.out;
  return "";
}

const char* kIntegerLayer =
    "name = [\"integer\"]\ndata_in_width = [8]\ndata_in_frac_width = [\"auto\"]\nweight_width = [4, 8]\n"
    "weight_frac_width = [\"auto\"]\n";

std::string space_config(const std::string& by, const std::string& float_table) {
  return "model = \"m.onnx\"\ndataset = \"fashion_mnist\"\n\n[search.search_space]\nsetup.by = \"" + by +
         "\"\n[search.search_space.seed.default.config]\nname = [\"NA\"]\n[search.search_space.seed." +
         (by == "name" ? std::string("fc") : std::string("linear")) + ".config]\n" + kIntegerLayer +
         "[search.search_space.seed." + float_table + ".config]\nname = [\"integer\"]\ndata_in_width = [8]\n";
}

TEST(FloatNodes, SpaceListsNodesWithoutAFormatAndWhy) {
  const auto dir = scratch_dir("float-nodes-space");
  write_softmax_model(dir / "m.onnx");
  const std::string softmax = node_of(dir / "m.onnx", "softmax", dir);
  const std::string flatten = node_of(dir / "m.onnx", "flatten", dir);
  ASSERT_FALSE(softmax.empty());
  ASSERT_FALSE(flatten.empty());

  // By name: the table for the softmax node is named with the reason, and the space
  // lists both float nodes.
  write_text(dir / "by_name.toml", space_config("name", softmax));
  const auto r = run_qdse("space --config " + shell_quote(dir / "by_name.toml"), dir);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("warning: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("`" + softmax + "` (a softmax has nothing to quantize: no quantized softmax in qdse; it runs "
                                       "in float)"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.out.find("not quantizable, run in float:\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  1 softmax (no quantized softmax in qdse): " + softmax + "\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  1 flatten (moves data only, no arithmetic to quantize): " + flatten + "\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("5 dimensions, 2 configurations"), std::string::npos) << r.out;

  // The same in JSON, one row per node.
  const auto j = run_qdse("--json space --config " + shell_quote(dir / "by_name.toml"), dir);
  ASSERT_EQ(j.status, 0) << j.err;
  const auto rows = nlohmann::json::parse(j.out).at("float_nodes");
  ASSERT_EQ(rows.size(), 2u) << rows.dump();
  EXPECT_EQ(rows[0].at("node"), flatten);
  EXPECT_EQ(rows[0].at("op"), "flatten");
  EXPECT_EQ(rows[1].at("node"), softmax);
  EXPECT_EQ(rows[1].at("why"), "no quantized softmax in qdse");

  // By type: a `softmax` table gets the same reason.
  write_text(dir / "by_type.toml", space_config("type", "softmax"));
  const auto t = run_qdse("space --config " + shell_quote(dir / "by_type.toml"), dir);
  ASSERT_EQ(t.status, 0) << t.err;
  EXPECT_NE(t.err.find("`softmax` (softmax has nothing to quantize: no quantized softmax in qdse; it runs in float)"),
            std::string::npos)
      << t.err;
}

TEST(FloatNodes, SearchQuantizesTheGemmAndRunsTheSoftmaxInFloat) {
  QDSE_REQUIRE(fs::exists(fashion_mnist_dir()), "Fashion-MNIST at " << fashion_mnist_dir());
  const auto dir = scratch_dir("float-nodes-search");
  write_softmax_model(dir / "m.onnx");
  write_text(dir / "s.toml", space_config("name", node_of(dir / "m.onnx", "softmax", dir)) +
                                 "\n[search.strategy.sw_runner.basic_evaluation]\nnum_samples = 200\n"
                                 "[search.strategy.setup]\nsampler = \"bruteforce\"\nn_trials = 2\n"
                                 "[search.strategy.metrics]\naccuracy.scale = 1.0\n");
  const auto r = run_qdse("-q search --storage memory: --config " + shell_quote(dir / "s.toml") + " --out " + shell_quote(dir / "run"), dir);
  ASSERT_EQ(r.status, 0) << r.err;
  const auto best = nlohmann::json::parse(read_text(dir / "run" / "best.json"));
  EXPECT_EQ(best.at("summary").at("trials"), 2);
  const double acc = best.at("trials")[0].at("metrics").at("accuracy");
  EXPECT_GE(acc, 0.0);
  EXPECT_LE(acc, 1.0);
}

// An unfolded batch norm is not a float node: it takes a data_in format (MASE's
// BatchNorm1dInteger), so a by-type seed table for it becomes dimensions, and its width
// changes the trial's figures.
TEST(FloatNodes, UnfoldedBatchNormTakesADataInFormat) {
  QDSE_REQUIRE(fs::exists(fashion_mnist_dir()), "Fashion-MNIST at " << fashion_mnist_dir());
  const auto dir = scratch_dir("float-nodes-bn");
  torch::manual_seed(0);
  OnnxBuilder b;
  b.input("input", {1, 28, 28}).output("y");
  b.initializer("fc.weight", torch::randn({10, 784}) * 0.05).initializer("fc.bias", torch::zeros({10}));
  b.initializer("bn.scale", torch::rand({10}) + 0.5).initializer("bn.bias", torch::randn({10}) * 0.1);
  b.initializer("bn.mean", torch::randn({10}) * 0.1).initializer("bn.var", torch::rand({10}) + 0.5);
  OnnxBuilder::attr(b.node("Flatten", {"input"}, {"f"}, "/Flatten"), "axis", int64_t{1});
  OnnxBuilder::attr(b.node("Gemm", {"f", "fc.weight", "fc.bias"}, {"h"}, "/fc/Gemm"), "transB", int64_t{1});
  b.node("BatchNormalization", {"h", "bn.scale", "bn.bias", "bn.mean", "bn.var"}, {"y"}, "/bn/BatchNormalization");
  write_text(dir / "m.onnx", b.bytes());
  const std::string bn = node_of(dir / "m.onnx", "batch_norm1d", dir);
  write_text(dir / "s.toml",
             "model = \"m.onnx\"\ndataset = \"fashion_mnist\"\n\n[search.search_space]\nsetup.by = \"type\"\n"
             "[search.search_space.seed.default.config]\nname = [\"NA\"]\n"
             "[search.search_space.seed.batch_norm1d.config]\nname = [\"integer\"]\ndata_in_width = [2, 8]\n"
             "data_in_frac_width = [\"NA\"]\nweight_width = [8]\n"
             "[search.strategy.sw_runner.basic_evaluation]\nnum_samples = 200\n"
             "[search.strategy.setup]\nsampler = \"bruteforce\"\nn_trials = 2\n"
             "[search.strategy.metrics]\nloss.scale = 1.0\nloss.direction = \"minimize\"\n");
  const auto j = run_qdse("--json space --config " + shell_quote(dir / "s.toml"), dir);
  ASSERT_EQ(j.status, 0) << j.err;
  const auto space = nlohmann::json::parse(j.out);
  EXPECT_EQ(space.at("size"), 2);
  for (const auto& row : space.at("float_nodes")) EXPECT_NE(row.dump().find("flatten"), std::string::npos) << row;
  EXPECT_FALSE(bn.empty());
  EXPECT_NE(space.at("dimensions").dump().find("batch_norm1d/config/data_in_width"), std::string::npos) << space;
  const auto r = run_qdse("-q search --storage memory: --config " + shell_quote(dir / "s.toml") + " --out " +
                              shell_quote(dir / "run"),
                          dir);
  ASSERT_EQ(r.status, 0) << r.err;
  const auto trials = nlohmann::json::parse(read_text(dir / "run" / "trials.json"));
  ASSERT_EQ(trials.size(), 2u);
  EXPECT_NE(trials[0].at("metrics").at("loss"), trials[1].at("metrics").at("loss"))
      << "a 2-bit and an 8-bit batch norm input give other logits";
}

}  // namespace
