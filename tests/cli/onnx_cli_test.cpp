// "Bring your own model" through the qdse executable: an .onnx `model` (config or
// --model) evaluates, searches and exports like a zoo model; `qdse layers` lists
// its names; a dataset that does not fit the model is a clear error.
#include <gtest/gtest.h>

#include "../support/prerequisites.hpp"
#include <torch/types.h>
#include <torch/utils.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "../io/onnx_builder.hpp"
#include "../support/search_toml.hpp"
#include "cli_runner.hpp"
#include "qdse/io/hls4ml_export.hpp"
#include "qdse/io/onnx/import.hpp"

namespace {

namespace fs = std::filesystem;
using qdse::test::OnnxBuilder;
using namespace qdse::testing;

const std::string kPeerMlp = peer_model("fmnist-mlp.onnx");
const std::string kFmnist = "/usr/share/datasets/fashion-mnist";

// Flatten -> Gemm(features -> classes) [-> Relu -> Gemm(classes -> classes)], random weights.
void write_tiny_model(const fs::path& path, std::vector<int64_t> sample_shape, int64_t classes) {
  torch::manual_seed(0);
  int64_t features = 1;
  for (auto d : sample_shape) features *= d;
  OnnxBuilder b;
  b.input("input", sample_shape).output("y");
  b.initializer("fc1.weight", torch::randn({classes, features}) * 0.05)
      .initializer("fc1.bias", torch::zeros({classes}))
      .initializer("fc2.weight", torch::randn({classes, classes}))
      .initializer("fc2.bias", torch::zeros({classes}));
  std::string x = "input";
  if (sample_shape.size() > 1) {
    auto& f = b.node("Flatten", {"input"}, {"f"}, "/Flatten");
    OnnxBuilder::attr(f, "axis", int64_t{1});
    x = "f";
  }
  auto& g1 = b.node("Gemm", {x, "fc1.weight", "fc1.bias"}, {"h"}, "/fc1/Gemm");
  OnnxBuilder::attr(g1, "transB", int64_t{1});
  b.node("Relu", {"h"}, {"r"}, "/act/Relu");
  auto& g2 = b.node("Gemm", {"r", "fc2.weight", "fc2.bias"}, {"y"}, "/fc2/Gemm");
  OnnxBuilder::attr(g2, "transB", int64_t{1});
  write_text(path, b.bytes());
}

// The YAML subset hls4ml_precision_table writes: "LayerName:", "  <layer>:",
// "    Precision:", "      <key>: <type>". Returns layer -> key -> type; fails the
// test on any other line.
std::map<std::string, std::map<std::string, std::string>> parse_precision_yaml(const std::string& text) {
  std::map<std::string, std::map<std::string, std::string>> out;
  std::istringstream in(text);
  std::string line, layer;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (n == 1) {
      EXPECT_EQ(line, "LayerName:");
      continue;
    }
    const auto indent = line.find_first_not_of(' ');
    if (indent == 6 && line[6] == '#') continue;  // "# conflict: ..." notes
    const auto colon = line.find(':');
    EXPECT_NE(colon, std::string::npos) << line;
    if (colon == std::string::npos || indent == std::string::npos) continue;
    const std::string key = line.substr(indent, colon - indent);
    if (indent == 2) {
      layer = key;
      EXPECT_EQ(colon + 1, line.size()) << line;
      out[layer];
    } else if (indent == 4) {
      EXPECT_EQ(key, "Precision");
    } else if (indent == 6) {
      const std::string value = line.substr(colon + 2);
      EXPECT_TRUE(value.rfind("ap_fixed<", 0) == 0 && value.back() == '>') << line;
      out[layer][key] = value;
    } else {
      ADD_FAILURE() << "unexpected line " << n << ": " << line;
    }
  }
  return out;
}

bool have_fmnist() { return fs::exists(kFmnist); }

TEST(OnnxCli, LayersListsImportedNamesShapesAndParams) {
  const auto dir = scratch_dir("onnx-layers");
  write_tiny_model(dir / "tiny.onnx", {1, 8, 8}, 5);
  const auto r = run_qdse("--json layers --model " + shell_quote(dir / "tiny.onnx"), dir);
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("input_shape"), nlohmann::json({1, 8, 8}));
  const auto& layers = j.at("layers");
  ASSERT_EQ(layers.size(), 4u);
  const std::vector<std::string> names = {"flatten", "fc1", "act", "fc2"};
  const std::vector<std::string> ops = {"flatten", "linear", "relu", "linear"};
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(layers[i].at("name"), names[i]);
    EXPECT_EQ(layers[i].at("op"), ops[i]);
  }
  EXPECT_EQ(layers[1].at("output_shape"), nlohmann::json({5}));
  EXPECT_EQ(layers[1].at("params"), 64 * 5 + 5);
  EXPECT_EQ(layers[1].at("quantizable"), true);
  EXPECT_EQ(layers[0].at("quantizable"), false);
  EXPECT_EQ(j.at("params"), 64 * 5 + 5 + 5 * 5 + 5);

  // Text form, and a zoo model by name.
  const auto t = run_qdse("layers --model " + shell_quote(dir / "tiny.onnx"), dir);
  ASSERT_EQ(t.status, 0) << t.err;
  EXPECT_NE(t.out.find("fc2"), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("quantizable"), std::string::npos) << t.out;
  const auto z = run_qdse("layers --model fmnist-cnn", dir);
  ASSERT_EQ(z.status, 0) << z.err;
  EXPECT_NE(z.out.find("seq_blocks_3"), std::string::npos) << z.out;
  EXPECT_NE(z.out.find("conv2d"), std::string::npos) << z.out;
}

TEST(OnnxCli, MismatchedDatasetNamesBothShapes) {
  QDSE_REQUIRE(have_fmnist(), "Fashion-MNIST is not installed");
  const auto dir = scratch_dir("onnx-shape");
  write_tiny_model(dir / "tiny.onnx", {1, 8, 8}, 10);
  const auto r = run_qdse("eval --model " + shell_quote(dir / "tiny.onnx") + " --dataset fashion_mnist", dir);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("[1, 28, 28]"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("[1, 8, 8]"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("tiny.onnx"), std::string::npos) << r.err;

  // No dataset given for an ONNX model: say so.
  const auto d = run_qdse("eval --model " + shell_quote(dir / "tiny.onnx"), dir);
  EXPECT_EQ(d.status, 1);
  EXPECT_NE(d.err.find("`dataset`"), std::string::npos) << d.err;
  EXPECT_NE(d.err.find("--dataset"), std::string::npos) << d.err;

  // Logits that do not cover the classes.
  write_tiny_model(dir / "five.onnx", {1, 28, 28}, 5);
  const auto c = run_qdse("eval --model " + shell_quote(dir / "five.onnx") + " --dataset fashion_mnist", dir);
  EXPECT_EQ(c.status, 1);
  EXPECT_NE(c.err.find("10 classes"), std::string::npos) << c.err;
}

TEST(OnnxCli, FlatInputModelTakesFlattenedImages) {
  QDSE_REQUIRE(have_fmnist(), "Fashion-MNIST is not installed");
  const auto dir = scratch_dir("onnx-flat");
  write_tiny_model(dir / "flat.onnx", {784}, 10);
  const auto r = run_qdse("--json eval --model " + shell_quote(dir / "flat.onnx") +
                              " --dataset fashion_mnist --num-samples 200",
                          dir);
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("samples"), 200);
  const double acc = j.at("float").at("accuracy");
  EXPECT_GE(acc, 0.0);
  EXPECT_LE(acc, 1.0);
}

// The space of tiny.onnx searched by name: `layer` integer (data_in 8, weight 4 or 8).
std::string tiny_by_name(const std::string& dataset, const std::string& layer) {
  return SearchToml{.model = "tiny.onnx", .dataset = dataset, .space_name = "",
                    .layers = {{layer, integer_layer("[8]", "[4, 8]")}}}
      .space_only()
      .toml();
}

TEST(OnnxCli, ByNameConfigWithUnknownNameListsImportedNames) {
  const auto dir = scratch_dir("onnx-byname");
  write_tiny_model(dir / "tiny.onnx", {1, 8, 8}, 5);
  write_text(dir / "c.toml", tiny_by_name("fashion_mnist", "seq_blocks_1"));
  const auto r = run_qdse("space --config " + shell_quote(dir / "c.toml"), dir);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("seq_blocks_1"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("fc1"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("fc2"), std::string::npos) << r.err;

  // The importer's names work (path relative to the config's directory).
  write_text(dir / "ok.toml", tiny_by_name("", "fc1"));
  const auto ok = run_qdse("--json space --config " + shell_quote(dir / "ok.toml"), dir);
  ASSERT_EQ(ok.status, 0) << ok.err;
  EXPECT_EQ(nlohmann::json::parse(ok.out).at("size"), 2);
}

// Common config of the peer model runs: the model given relative to the config.
std::string peer_config(const std::string& search_tables) {
  return "model = \"models/fmnist-mlp.onnx\"\ndataset = \"fashion_mnist\"\npreprocess = \"normalize\"\n"
         "validation_fraction = 0.1\n" + search_tables;
}

fs::path peer_dir(const std::string& name) {
  const auto dir = scratch_dir(name);
  fs::create_directories(dir / "models");
  fs::copy_file(kPeerMlp, dir / "models/fmnist-mlp.onnx");
  return dir;
}

TEST(OnnxCli, PeerModelEvaluatesToPyTorchAccuracy) {
  QDSE_REQUIRE(fs::exists(kPeerMlp), kPeerMlp << " is absent");
  QDSE_REQUIRE(have_fmnist(), "Fashion-MNIST is not installed");
  const auto dir = peer_dir("onnx-peer-eval");
  write_text(dir / "c.toml", peer_config("eval_split = \"test\"\n"));
  const auto r = run_qdse("--json eval --config " + shell_quote(dir / "c.toml"), dir);
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("samples"), 10000);
  EXPECT_EQ(std::llround(j.at("float").at("accuracy").get<double>() * 10000), 8878);
  EXPECT_EQ(j.at("weights"), (dir / "models/fmnist-mlp.onnx").string());
  EXPECT_EQ(j.at("model"), (dir / "models/fmnist-mlp.onnx").string());
}

// A brute-force search of the peer model (2 trials) with the keys of peer_config().
SearchToml peer_search() {
  return SearchToml{.model = "models/fmnist-mlp.onnx", .dataset = "fashion_mnist", .preprocess = "normalize",
                    .top = "validation_fraction = 0.1\n\n", .space_name = "", .n_trials = 2};
}

// Fixed fractional widths: seq_blocks_1's weight width (4 or 8) is the only choice.
const std::string kFixedSearch = [] {
  SearchToml t = peer_search();
  t.layers = {{"seq_blocks_1",
               "name = [\"integer\"]\ndata_in_width = [8]\ndata_in_frac_width = [4]\nweight_width = [4, 8]\n"
               "weight_frac_width = [3]\nbias_width = [8]\nbias_frac_width = [5]\n"},
              {"seq_blocks_5",
               "name = [\"integer\"]\ndata_in_width = [6]\ndata_in_frac_width = [2]\nweight_width = [8]\n"
               "weight_frac_width = [6]\n"}};
  t.data_loader = "val_dataloader";
  t.num_samples = 300;
  return t.toml();
}();

TEST(OnnxCli, PeerModelSearchesAndExportsHls4ml) {
  QDSE_REQUIRE(fs::exists(kPeerMlp), kPeerMlp << " is absent");
  QDSE_REQUIRE(have_fmnist(), "Fashion-MNIST is not installed");
  const auto dir = peer_dir("onnx-peer-search");
  write_text(dir / "c.toml", kFixedSearch);
  const auto run = dir / "run";
  const auto r = run_qdse("-q search --config " + shell_quote(dir / "c.toml") + " --out " + shell_quote(run), dir);
  ASSERT_EQ(r.status, 0) << r.err << r.out;
  const auto best = nlohmann::json::parse(read_text(run / "best.json"));
  ASSERT_EQ(best.at("trials").size(), 1u);
  EXPECT_EQ(best.at("summary").at("trials"), 2);
  const auto& params = best.at("trials")[0].at("params");
  const int w = params.at("seq_blocks_1/config/weight_width");

  // The table the library makes for the best configuration (defaults: nearest-even
  // rounding and saturation, hls4ml's RND_CONV,SAT).
  const auto graph = qdse::io::import_onnx(kPeerMlp);
  const std::string mode = "RND_CONV,SAT";
  const std::string want = qdse::io::hls4ml_precision_table(
      graph, {{"seq_blocks_1", 8, 4, w, 3, 8, 5, mode, mode, mode}, {"seq_blocks_5", 6, 2, 8, 6, 8, 6, mode, mode, mode}});
  // (seq_blocks_5 gives no bias keys: its bias follows the weight format, as in MASE.)

  const auto e = run_qdse("export --run " + shell_quote(run) + " --format hls4ml --out " + shell_quote(dir / "hls.yml"), dir);
  ASSERT_EQ(e.status, 0) << e.err;
  const std::string got = read_text(dir / "hls.yml");
  const auto parsed = parse_precision_yaml(got);
  // Every key of the formats' table, plus the certified accumulators (issue 16) and the
  // input layer's result (the Flatten aliases it).
  for (const auto& [layer, keys] : parse_precision_yaml(want))
    for (const auto& [key, value] : keys) EXPECT_EQ(parsed.at(layer).at(key), value) << layer << " " << key;
  EXPECT_EQ(parsed.at("input").at("result"), "ap_fixed<8,4,RND_CONV,SAT>");
  for (const char* layer : {"seq_blocks_1", "seq_blocks_5"}) EXPECT_TRUE(parsed.at(layer).count("accum")) << got;
  EXPECT_EQ(parsed.at("seq_blocks_1").at("weight"), "ap_fixed<" + std::to_string(w) + "," +
                                                        std::to_string(w - 3) + ",RND_CONV,SAT>");
  EXPECT_EQ(parsed.at("seq_blocks_0").at("result"), "ap_fixed<8,4,RND_CONV,SAT>");
  EXPECT_EQ(parsed.at("seq_blocks_4").at("result"), "ap_fixed<6,4,RND_CONV,SAT>");
  // The search wrote the same table into the run directory; stdout without --out.
  EXPECT_EQ(read_text(run / "hls4ml.yml"), got);
  const auto s = run_qdse("export --run " + shell_quote(run), dir);
  ASSERT_EQ(s.status, 0) << s.err;
  EXPECT_EQ(s.out, got);
  // A trial that is not among the best ones, and a directory that is no run.
  const auto bad = run_qdse("export --run " + shell_quote(run) + " --trial 99", dir);
  EXPECT_EQ(bad.status, 1);
  EXPECT_NE(bad.err.find("trial 99"), std::string::npos) << bad.err;
  const auto none = run_qdse("export --run " + shell_quote(dir / "models"), dir);
  EXPECT_EQ(none.status, 1);
  EXPECT_NE(none.err.find("best.json"), std::string::npos) << none.err;
}

TEST(OnnxCli, AutoWidthsExportLikeTheSearchResolvedThem) {
  QDSE_REQUIRE(fs::exists(kPeerMlp), kPeerMlp << " is absent");
  QDSE_REQUIRE(have_fmnist(), "Fashion-MNIST is not installed");
  const auto dir = peer_dir("onnx-peer-auto");
  SearchToml t = peer_search();
  t.by = "type";
  t.layers = {{"linear",
               "name = [\"integer\"]\ndata_in_width = [8]\ndata_in_frac_width = [\"auto\"]\nweight_width = [4, 6]\n"
               "weight_frac_width = [\"auto\"]\nbias_width = [8]\nbias_frac_width = [\"auto\"]\n"}};
  t.calibration_samples = 256;
  t.num_samples = 300;
  write_text(dir / "c.toml", t.toml());
  const auto run = dir / "run";
  const auto r = run_qdse("-q search --config " + shell_quote(dir / "c.toml") + " --out " + shell_quote(run), dir);
  ASSERT_EQ(r.status, 0) << r.err << r.out;
  ASSERT_TRUE(fs::exists(run / "hls4ml.yml"));
  const auto e = run_qdse("--json export --run " + shell_quote(run), dir);
  ASSERT_EQ(e.status, 0) << e.err;
  const auto j = nlohmann::json::parse(e.out);
  const std::string got = j.at("content");
  EXPECT_EQ(got, read_text(run / "hls4ml.yml"));
  const auto parsed = parse_precision_yaml(got);
  for (const char* layer : {"seq_blocks_1", "seq_blocks_3", "seq_blocks_5"}) {
    ASSERT_TRUE(parsed.count(layer)) << got;
    EXPECT_TRUE(parsed.at(layer).count("weight")) << got;
    EXPECT_TRUE(parsed.at(layer).count("bias")) << got;
  }
}

}  // namespace
