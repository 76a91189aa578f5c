// Issue 16 item 4 through the binary: `qdse export` certifies each layer's accumulator
// from its weight and bias codes and flags a data_in format that clips calibration values.
// fmnist-mlp with the peer's weights on raw pixels (preprocess "none", 0..255) and
// seq_blocks_1 reading them as ap_fixed<8,8> ([-128, 127]): exactly the calibration pixels
// >= 128 clip, which the test counts itself from the IDX file; the accumulator must equal
// the interval bound the test computes from the exported quantized weights.
#include <gtest/gtest.h>

#include <torch/types.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <tuple>

#include "../support/prerequisites.hpp"
#include "../support/search_toml.hpp"
#include "../support/temp_dir.hpp"
#include "cli_runner.hpp"
#include "small_search.hpp"
#include "qdse/data/idx_loader.hpp"
#include "qdse/hw/arithmetic.hpp"

namespace {

using namespace qdse::testing;
namespace fs = std::filesystem;

constexpr int kOverflowCalibration = 512;

std::string overflow_config() {
  SearchToml t{.model = "fmnist-mlp", .dataset = "fashion_mnist", .preprocess = "none",
               .top = "validation_fraction = 0.0\n",
               .layers = {{"seq_blocks_1",
                           "name = [\"integer\"]\ndata_in_width = [8]\ndata_in_frac_width = [0]\nweight_width = [8]\n"
                           "weight_frac_width = [\"auto\"]\nbias_width = [12]\nbias_frac_width = [\"auto\"]\n"}},
               .calibration_samples = kOverflowCalibration, .data_loader = "test_dataloader", .num_samples = 200,
               .n_trials = 1};
  return t.toml();
}

// hi/lo of every output over inputs in [-128, 127] (frac 0), weights and bias as exported.
std::pair<int, int> expected_accumulator(const nlohmann::json& node, int weight_frac, int bias_frac) {
  const int frac = std::max(weight_frac, bias_frac);
  int64_t lo_all = 0, hi_all = 0;
  const auto& w = node.at("weight");
  for (std::size_t j = 0; j < w.size(); ++j) {
    int64_t lo = 0, hi = 0;
    for (const auto& v : w[j]) {
      const auto c = static_cast<int64_t>(std::llround(v.get<double>() * std::ldexp(1.0, weight_frac)));
      const int64_t scaled = c << (frac - weight_frac);
      lo += std::min(scaled * -128, scaled * 127);
      hi += std::max(scaled * -128, scaled * 127);
    }
    const int64_t b =
        static_cast<int64_t>(std::llround(node.at("bias")[j].get<double>() * std::ldexp(1.0, bias_frac)))
        << (frac - bias_frac);
    lo = std::min(lo, lo + b);
    hi = std::max(hi, hi + b);
    lo_all = std::min(lo_all, lo);
    hi_all = std::max(hi_all, hi);
  }
  int width = 1;
  while (lo_all < -(int64_t{1} << (width - 1)) || hi_all > (int64_t{1} << (width - 1)) - 1) ++width;
  return {width, frac};
}

// "ap_fixed<W,I,...>" -> frac W - I.
int overflow_frac_of(const std::string& t) {
  const int w = std::stoi(t.substr(t.find('<') + 1));
  const int i = std::stoi(t.substr(t.find(',') + 1));
  return w - i;
}

TEST(Hls4mlOverflow, ExportCertifiesAccumulatorsAndFlagsClippingInputs) {
  QDSE_REQUIRE(fs::exists(peer_model("fmnist-mlp.json")), peer_model("fmnist-mlp.json") << " is absent");
  QDSE_REQUIRE(fs::exists(fashion_mnist_dir()), "Fashion-MNIST is not installed");
  TempDir dir("qdse_hls4ml_overflow");
  write_text(dir.path() / "c.toml", overflow_config());
  const auto run = dir.path() / "run";
  const auto s = run_qdse("-q search --config " + shell_quote(dir.path() / "c.toml") + " --load " +
                              shell_quote(peer_model("fmnist-mlp.json")) + " --out " + shell_quote(run),
                          dir.path());
  ASSERT_EQ(s.status, 0) << s.err << s.out;

  // The pixels that clip: >= 128 in the first 512 training images (train split in file
  // order: validation_fraction = 0).
  const at::Tensor px = qdse::data::read_idx_images(std::string(fashion_mnist_dir()) + "/train-images-idx3-ubyte.gz")
                            .narrow(0, 0, kOverflowCalibration);
  const int64_t want_clipped = px.ge(128).sum().item<int64_t>();
  ASSERT_GT(want_clipped, 0);

  const auto e = run_qdse("-q --json export --run " + shell_quote(run) + " --check-dir " +
                              shell_quote(dir.path() / "check"),
                          dir.path());
  ASSERT_EQ(e.status, 0) << e.err;
  const auto j = nlohmann::json::parse(e.out);
  ASSERT_EQ(j.at("clipping").size(), 1u) << e.out;
  const auto& clip = j.at("clipping")[0];
  EXPECT_EQ(clip.at("layer"), "seq_blocks_1");
  EXPECT_EQ(clip.at("format"), "ap_fixed<8,8>");
  EXPECT_EQ(clip.at("values"), int64_t{kOverflowCalibration} * 784);
  EXPECT_EQ(clip.at("clipped"), want_clipped);
  EXPECT_EQ(j.at("calibration_samples"), kOverflowCalibration);

  // The certified accumulator, from the weights and bias the check files hold.
  const auto& layer = j.at("config_dict").at("LayerName").at("seq_blocks_1").at("Precision");
  const auto model = nlohmann::json::parse(read_text(dir.path() / "check" / "model.json"));
  const auto& node = model.at("nodes")[1];
  ASSERT_EQ(node.at("name"), "seq_blocks_1");
  const auto [width, frac] = expected_accumulator(node, overflow_frac_of(layer.at("weight")), overflow_frac_of(layer.at("bias")));
  const std::string accum = "ap_fixed<" + std::to_string(width) + "," + std::to_string(width - frac) + ">";
  EXPECT_EQ(layer.at("accum"), accum);
  EXPECT_EQ(layer.at("result"), accum);  // no consumer quantizes it: the exact sum
  // Never wider than hls4ml's `auto` rule (hw/arithmetic.hpp): every weight at its extreme.
  const int wf = overflow_frac_of(layer.at("weight")), bf = overflow_frac_of(layer.at("bias"));
  const auto rule = qdse::hw::hls4ml_auto_accumulator({8, 8, true}, {8, 8 - wf, true}, qdse::hw::FixedType{12, 12 - bf, true}, 784);
  EXPECT_LE(width, rule.width);

  // Without --json: one warning line naming the layer, format and percentage.
  const auto w = run_qdse("-q export --run " + shell_quote(run) + " -o " + shell_quote(dir.path() / "h.yml"),
                          dir.path());
  ASSERT_EQ(w.status, 0) << w.err;
  char pct[32];
  std::snprintf(pct, sizeof pct, "%.4f%%", 100.0 * static_cast<double>(want_clipped) / (kOverflowCalibration * 784.0));
  EXPECT_NE(w.err.find("qdse export: warning: seq_blocks_1 data_in ap_fixed<8,8> clips " + std::string(pct)),
            std::string::npos)
      << w.err;
  EXPECT_NE(read_text(dir.path() / "h.yml").find("      accum: " + accum + "\n"), std::string::npos);
}

// --check-dir refuses what the bit-exact check cannot describe, in one line, and writes
// nothing: a network with conv2d (the peer's fmnist-cnn, its linear layer fixed point),
// and a directory that cannot be made (a regular file in its path). 2 bad inputs.
TEST(Hls4mlOverflow, CheckDirBadInputsAreOneLineErrors) {
  QDSE_REQUIRE(fs::exists(fashion_mnist_dir()), "Fashion-MNIST is not installed");
  QDSE_REQUIRE(fs::exists(peer_model("fmnist-cnn.json")), peer_model("fmnist-cnn.json") << " is absent");
  TempDir dir("qdse_hls4ml_checkdir");
  SearchToml t{.model = "fmnist-cnn", .dataset = "fashion_mnist", .preprocess = "normalize",
               .layers = {{"seq_blocks_7", integer_layer("[8]", "[8]", "bias_width = [8]\n")}},
               .calibration_samples = 64, .data_loader = "val_dataloader", .num_samples = 100, .n_trials = 1};
  write_text(dir.path() / "cnn.toml", t.toml());
  const auto cnn = dir.path() / "cnn-run";
  const auto s = run_qdse("-q search --config " + shell_quote(dir.path() / "cnn.toml") + " --load " +
                              shell_quote(peer_model("fmnist-cnn.json")) + " --out " + shell_quote(cnn),
                          dir.path());
  ASSERT_EQ(s.status, 0) << s.err;
  write_text(dir.path() / "mlp.toml", overflow_config());
  const auto mlp = dir.path() / "mlp-run";
  const auto m = run_qdse("-q search --config " + shell_quote(dir.path() / "mlp.toml") + " --load " +
                              shell_quote(peer_model("fmnist-mlp.json")) + " --out " + shell_quote(mlp),
                          dir.path());
  ASSERT_EQ(m.status, 0) << m.err;
  write_text(dir.path() / "file", "not a directory");
  const std::vector<std::tuple<fs::path, std::string, std::string>> cases = {
      {cnn, "--check-dir " + shell_quote(dir.path() / "cnn-check"), "node 'seq_blocks_0' is a conv2d"},
      {mlp, "--check-dir " + shell_quote(dir.path() / "file" / "sub"), "cannot create"},
  };
  int clean = 0;
  for (const auto& [run, args, expected] : cases) {
    const auto r = run_qdse("-q export --run " + shell_quote(run) + " -o " + shell_quote(dir.path() / "t.yml") + " " +
                                args,
                            dir.path());
    EXPECT_EQ(r.status, 1) << args << r.err;
    EXPECT_EQ(line_count(r.err), 1) << r.err;
    EXPECT_NE(r.err.find(expected), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(dir.path() / "t.yml")) << "no table without its check files";
    clean += r.status == 1 && line_count(r.err) == 1 && r.err.find(expected) != std::string::npos;
  }
  EXPECT_FALSE(fs::exists(dir.path() / "cnn-check"));
  EXPECT_EQ(clean, static_cast<int>(cases.size()));
}

}  // namespace
