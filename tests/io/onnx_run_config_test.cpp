// Config keys for ONNX models: `model = "x.onnx"` relative to the config, the
// [onnx] import options, and the checkpoint cache name of an ONNX model.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "qdse/core/error.hpp"
#include "qdse/io/run_config.hpp"

namespace qdse::io {
namespace {

namespace fs = std::filesystem;

fs::path scratch() {
  const auto d = fs::temp_directory_path() / ("qdse_onnx_cfg_" + std::to_string(::getpid()));
  fs::create_directories(d / "models");
  return d;
}

std::string write(const fs::path& p, const std::string& body) {
  std::ofstream(p) << body;
  return p.string();
}

TEST(OnnxRunConfig, ModelPathIsRelativeToTheConfigAndAbsolute) {
  const auto d = scratch();
  std::ofstream(d / "models/m.onnx") << "x";
  const auto c = load_run_config(write(d / "c.toml", "model = \"models/m.onnx\"\ndataset = \"mnist\"\n"));
  EXPECT_TRUE(c.is_onnx());
  EXPECT_EQ(c.model, (d / "models/m.onnx").string());
  EXPECT_FALSE(c.onnx_fold_batch_norm);
  EXPECT_TRUE(c.onnx_input_shape.empty());
  // Another base directory (a run directory's copy of the config).
  fs::create_directories(d / "run");
  fs::copy_file(d / "c.toml", d / "run/c.toml", fs::copy_options::overwrite_existing);
  const auto r = load_run_config((d / "run/c.toml").string(), d.string());
  EXPECT_EQ(r.model, (d / "models/m.onnx").string());
  // The cache name of an ONNX model never equals a zoo model's.
  RunConfig z = default_run_config();
  RunConfig o = default_run_config();
  o.model = "/x/fmnist-mlp.onnx";
  EXPECT_NE(fs::path(z.default_checkpoint_path()).filename(), fs::path(o.default_checkpoint_path()).filename());
  EXPECT_EQ(fs::path(o.default_checkpoint_path()).parent_path(), fs::path("checkpoints"));
}

TEST(OnnxRunConfig, OnnxTableKeys) {
  const auto d = scratch();
  const auto c = load_run_config(write(d / "k.toml", R"(model = "m.ONNX"
[onnx]
fold_batch_norm = true
input_shape = [3, 32, 32]
)"));
  EXPECT_TRUE(c.is_onnx());
  EXPECT_TRUE(is_onnx_model("a/b.Onnx"));
  EXPECT_FALSE(is_onnx_model("fmnist-mlp"));
  EXPECT_TRUE(c.onnx_fold_batch_norm);
  EXPECT_EQ(c.onnx_input_shape, (std::vector<int64_t>{3, 32, 32}));
  for (const char* bad : {"[onnx]\ninput_shape = [3, 0]\n", "[onnx]\ninput_shape = 3\n",
                          "[onnx]\ninput_shape = []\n", "[onnx]\ninput_shape = [\"a\"]\n",
                          "[onnx]\nfold_batchnorm = true\n", "[onnx]\nfold_batch_norm = 1\n"}) {
    SCOPED_TRACE(bad);
    try {
      load_run_config(write(d / "bad.toml", bad));
      ADD_FAILURE() << "accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("bad.toml"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace qdse::io
