// Implementation parameters searched beside the formats (issue 16, item 3): reuse_factor
// and strategy (hls4ml), pe and simd (FINN) listed in a seed table become dimensions of
// the space. Through the binary: each trial's hw figures are those of its own choices
// (checked against the hw layer's functions), trials that differ only in implementation
// share one evaluation of the network (the result cache keys on the quantization), and
// every choice a layer cannot take is refused before the first trial.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "../support/errors.hpp"
#include "qdse/hw/device.hpp"
#include "qdse/hw/hls4ml_cost.hpp"
#include "qdse/hw/network_cost.hpp"
#include "small_search.hpp"

namespace qdse::cli {
namespace {

namespace fs = std::filesystem;
using namespace qdse::testing;

// fmnist-mlp with seq_blocks_1 at 8-bit data and weights (one quantization) and `impl`
// lines in its table; seq_blocks_3 float. The hw table has `target` lines.
std::string impl_search_toml(const std::string& impl, const std::string& target, const std::string& metrics) {
  SearchToml t;
  t.dataset = "fashion_mnist";
  t.preprocess = "normalize";
  t.calibration_samples = 64;
  t.data_loader = "val_dataloader";
  t.num_samples = 256;
  t.metrics = metrics;
  t.layers = {{"seq_blocks_1", integer_layer("[8]", "[4, 8]", impl)}};
  return t.toml() + "[search.strategy.hw_runner.fpga]\n" + target;
}

nlohmann::json impl_test_json(const fs::path& p) { return nlohmann::json::parse(read_text(p)); }

TEST(HwImplSearch, EachTrialIsCostedWithItsOwnReuseFactorAndStrategy) {
  QDSE_REQUIRE_SMALL_SEARCH();
  const auto dir = scratch_dir("hw-impl-search");
  write_text(dir / "impl.toml",
             impl_search_toml("reuse_factor = [1, 16, 112]\nstrategy = [\"latency\", \"resource\"]\n",
                              "device = \"xczu9eg\"\nreuse_factor = 4\n",
                              accuracy_metric() + minimized_metric("latency_ns", "-0.001")));
  const auto r = run_small_search(dir / "impl.toml", "--out '" + (dir / "run").string() + "'", dir);
  ASSERT_EQ(r.status, 0) << r.err;
  const auto trials = impl_test_json(dir / "run" / "trials.json");
  ASSERT_EQ(trials.size(), 12u);  // 2 weight widths x 3 reuse factors x 2 strategies
  const hw::Device zcu = hw::load_device("xczu9eg");
  const hw::FixedType def{16, 6, true};
  std::map<int, int> evaluated_per_width;  // weight width -> trials not served by the cache
  std::map<std::pair<int, std::string>, int> latency_seen;
  for (const auto& t : trials) {
    const auto& p = t.at("params");
    const int w = p.at("seq_blocks_1/config/weight_width").get<int>();
    hw::Hls4mlImpl own;
    own.reuse_factor = p.at("seq_blocks_1/config/reuse_factor").get<int64_t>();
    own.strategy = p.at("seq_blocks_1/config/strategy").get<std::string>() == "latency" ? hw::Hls4mlStrategy::Latency
                                                                                       : hw::Hls4mlStrategy::Resource;
    hw::Hls4mlImpl target;  // the table's reuse_factor = 4, latency: the layers without choices
    target.reuse_factor = 4;
    const hw::LayerFormats first{hw::FixedType{8, 4, true}, hw::FixedType{w, w - w / 2, true},
                                 hw::FixedType{w, w - w / 2, true}, true, std::nullopt, def};
    const hw::LayerFormats rest{def, def, def, true, std::nullopt, def};
    const std::vector<hw::LayerCost> layers = {
        {"seq_blocks_1", hw::hls4ml_layer_cost(hw::dense_shape("seq_blocks_1", 784, 256), first, own, zcu)},
        {"seq_blocks_3", hw::hls4ml_layer_cost(hw::dense_shape("seq_blocks_3", 256, 128), rest, target, zcu)},
        {"seq_blocks_5", hw::hls4ml_layer_cost(hw::dense_shape("seq_blocks_5", 128, 10), rest, target, zcu)}};
    const hw::Cost c = hw::network_cost(layers).total;
    const auto& m = t.at("metrics");
    EXPECT_EQ(m.at("lut").get<double>(), static_cast<double>(c.lut)) << t.dump();
    EXPECT_EQ(m.at("dsp").get<double>(), static_cast<double>(c.dsp)) << t.dump();
    EXPECT_EQ(m.at("bram").get<double>(), static_cast<double>(c.bram18)) << t.dump();
    EXPECT_EQ(m.at("latency_cycles").get<double>(), static_cast<double>(c.latency_cycles)) << t.dump();
    EXPECT_EQ(m.at("ii").get<double>(), static_cast<double>(c.ii)) << t.dump();
    if (m.at("cached").get<double>() == 0) ++evaluated_per_width[w];
    latency_seen[{w, p.at("seq_blocks_1/config/strategy").get<std::string>()}]++;
  }
  // One network evaluation per quantization: the other implementations hit the cache.
  EXPECT_EQ(evaluated_per_width, (std::map<int, int>{{4, 1}, {8, 1}}));
  // The reuse factor changes the design: three different latencies per width and strategy.
  std::set<double> latencies;
  for (const auto& t : trials)
    if (t.at("params").at("seq_blocks_1/config/weight_width").get<int>() == 8 &&
        t.at("params").at("seq_blocks_1/config/strategy").get<std::string>() == "latency")
      latencies.insert(t.at("metrics").at("latency_cycles").get<double>());
  EXPECT_EQ(latencies.size(), 3u);
  // hw_layers.csv is the best trial's design, with its own reuse factor.
  const auto best = impl_test_json(dir / "run" / "best.json").at("trials").at(0);
  EXPECT_CONTAINS(read_text(dir / "run" / "hw_layers.csv"),
                  std::to_string(static_cast<int64_t>(best.at("metrics").at("latency_cycles").get<double>())));
  fs::remove_all(dir);
}

// The README's example (configs/fmnist_mlp_hw.toml): widths x per-layer reuse factors on
// the ZCU102, accuracy against latency under a DSP budget; a short run of it writes the
// front, every trial's own design figures and the resource table.
TEST(HwImplSearch, TheDocumentedExampleSearchesWidthsAndReuseFactors) {
  QDSE_REQUIRE_SMALL_SEARCH();
  const auto dir = scratch_dir("hw-impl-example");
  const fs::path config = fs::path(QDSE_SOURCE_DIR) / "configs" / "fmnist_mlp_hw.toml";
  const auto r = run_small_search(config, "--n-trials 16 --storage memory: --out '" + (dir / "run").string() + "'", dir);
  ASSERT_EQ(r.status, 0) << r.err;
  const auto trials = impl_test_json(dir / "run" / "trials.json");
  ASSERT_EQ(trials.size(), 16u);
  std::set<int64_t> reuse_factors;
  std::set<double> latencies;
  for (const auto& t : trials) {
    for (const char* layer : {"seq_blocks_1", "seq_blocks_3", "seq_blocks_5"})
      reuse_factors.insert(t.at("params").at(std::string(layer) + "/config/reuse_factor").get<int64_t>());
    latencies.insert(t.at("metrics").at("latency_ns").get<double>());
    EXPECT_TRUE(t.at("metrics").contains("dsp_utilization")) << t.dump();
  }
  EXPECT_GE(reuse_factors.size(), 3u);  // the sampler does move R
  EXPECT_GE(latencies.size(), 3u);      // and R moves the latency
  const auto best = impl_test_json(dir / "run" / "best.json");
  ASSERT_FALSE(best.at("trials").empty()) << best.dump();  // the accuracy / latency front
  for (const auto& t : best.at("trials")) EXPECT_LE(t.at("metrics").at("dsp_utilization").get<double>(), 0.5);
  EXPECT_TRUE(fs::exists(dir / "run" / "hw_layers.csv"));
  // The report (gnuplot is installed by scripts/install-deps.sh): utilisation bars of the
  // front against the device, and accuracy against LUTs, DSPs and latency.
  const std::string html = read_text(dir / "run" / "report" / "index.html");
  EXPECT_CONTAINS(html, "<h2>FPGA resources</h2>");
  EXPECT_CONTAINS(html, "<table class=\"hw-util\">");
  EXPECT_CONTAINS(html, "<th>LUT</th><th>FF</th><th>DSP</th><th>BRAM18</th></tr>");  // the ZU9EG has no URAM
  for (const char* fig : {"pareto_lut", "pareto_dsp", "pareto_fpga_latency"}) {
    EXPECT_CONTAINS(html, std::string("id=\"fig-") + fig + "\"");
    EXPECT_TRUE(fs::exists(dir / "run" / "report" / (std::string(fig) + ".svg"))) << fig;
  }
  const auto report = impl_test_json(dir / "run" / "report" / "report.json");
  ASSERT_EQ(report.at("hw_utilization").size(), best.at("trials").size());
  const auto& first = best.at("trials").at(0);
  EXPECT_EQ(report.at("hw_utilization").at(0).at("utilization").at("dsp").get<double>(),
            first.at("metrics").at("dsp_utilization").get<double>());
  fs::remove_all(dir);
}

// Every choice a layer cannot take, before any trial: one line naming the key or the
// layer, exit 1, no run directory.
TEST(HwImplSearch, BadImplementationChoicesAreOneLineErrors) {
  QDSE_REQUIRE_SMALL_SEARCH();
  const auto dir = scratch_dir("hw-impl-bad");
  const std::string acc = accuracy_metric();
  const std::string zcu = "device = \"xczu9eg\"\n";
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      // 784 x 256 = 200704 = 2^12 x 49: 3 does not divide it.
      {impl_search_toml("reuse_factor = [1, 3]\n", zcu, acc), {"seq_blocks_1", "reuse_factor 3 does not divide"}},
      {impl_search_toml("reuse_factor = [0]\n", zcu, acc), {"reuse_factor", "whole numbers from 1"}},
      {impl_search_toml("reuse_factor = [2.5]\n", zcu, acc), {"reuse_factor", "2.5"}},
      {impl_search_toml("strategy = [\"fast\"]\n", zcu, acc), {"strategy", "\"latency\" or \"resource\"", "fast"}},
      {impl_search_toml("pe = [2]\n", zcu, acc), {"pe", "hls4ml back end"}},
      {impl_search_toml("reuse_factor = [1, 2]\n", "backend = \"finn\"\n" + zcu, acc), {"reuse_factor", "finn"}},
      {impl_search_toml("simd = [5]\n", "backend = \"finn\"\n" + zcu, acc), {"seq_blocks_1", "5"}},
      // Without a hw table an implementation key has nothing to cost.
      {[] {
         SmallSearch s;
         std::string t = s.toml();
         const std::string at = "[search.search_space.seed.seq_blocks_3.config]\n";
         return t.replace(t.find(at), at.size(), at + "reuse_factor = [1, 2]\n");
       }(),
       {"seq_blocks_3/config/reuse_factor", "[search.strategy.hw_runner.fpga]"}},
  };
  int i = 0;
  for (const auto& [toml, says] : cases) {
    const std::string name = "bad" + std::to_string(i++);
    write_text(dir / (name + ".toml"), toml);
    const auto run = dir / ("run-" + name);
    const auto r = run_small_search(dir / (name + ".toml"), "--out '" + run.string() + "'", dir);
    EXPECT_EQ(r.status, 1) << name << ": " << r.err;
    EXPECT_EQ(line_count(r.err), 1) << name << ": " << r.err;
    EXPECT_CONTAINS(r.err, name + ".toml");
    for (const auto& s : says) EXPECT_CONTAINS(r.err, s) << name;
    EXPECT_FALSE(fs::exists(run / "trials.json")) << name;
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace qdse::cli
