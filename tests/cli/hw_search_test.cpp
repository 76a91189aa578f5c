// FPGA cost metrics inside the search (issue 16, items 3 and 6), through the binary:
// [search.strategy.hw_runner.fpga] makes every trial carry lut, ff, dsp, bram, uram,
// latency_cycles, latency_ns, ii and <resource>_utilization, usable as objectives and
// constraints. The stored figures are checked against the hw layer's own functions, called
// here on the trial's formats (the mapping of docs/hardware.md, "In the search"), and every
// bad input is one line, exit 1, before any trial.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "../support/errors.hpp"
#include "qdse/hw/device.hpp"
#include "qdse/hw/finn_cost.hpp"
#include "qdse/hw/hls4ml_cost.hpp"
#include "qdse/hw/network_cost.hpp"
#include "small_search.hpp"

namespace qdse::cli {
namespace {

namespace fs = std::filesystem;
using namespace qdse::testing;

// The small search (fmnist-mlp, seq_blocks_1 and seq_blocks_3 integer) with seq_blocks_1's
// weights up to 12 bits, so that some configurations need DSPs (hls4ml's estimator puts
// weights below 9 bits in LUTs), then `hw` appended as [search.strategy.hw_runner.fpga].
std::string hw_search_toml(const std::string& hw, const std::string& metrics, const std::string& constraints) {
  SmallSearch s;
  s.first_weight_widths = "[4, 8, 12]";
  s.metrics = metrics;
  s.constraints = constraints;
  return s.toml() + (hw.empty() ? "" : "[search.strategy.hw_runner.fpga]\n" + hw);
}

// An integer format with frac_width "NA" (width / 2) as ap_fixed: integer = width - frac.
hw::FixedType hw_test_fixed(int width) { return hw::FixedType{width, width - width / 2, true}; }

// The three dense layers of fmnist-mlp with a trial's formats: seq_blocks_1 and _3 read
// data_in and weight from the params (bias follows the weight, MASE's rule); everything
// the trial leaves float -- seq_blocks_5, the relus that read each result -- is hls4ml's
// default ap_fixed<16,6>.
std::vector<std::pair<hw::LayerShape, hw::LayerFormats>> hw_test_layers(const nlohmann::json& params) {
  const hw::FixedType def{16, 6, true};
  auto quantized = [&](const std::string& node) {
    hw::LayerFormats f;
    f.data = hw_test_fixed(params.at(node + "/config/data_in_width").get<int>());
    f.weight = hw_test_fixed(params.at(node + "/config/weight_width").get<int>());
    f.bias = f.weight;
    f.output = def;
    return f;
  };
  hw::LayerFormats last{def, def, def, true, std::nullopt, def};
  return {{hw::dense_shape("seq_blocks_1", 784, 256), quantized("seq_blocks_1")},
          {hw::dense_shape("seq_blocks_3", 256, 128), quantized("seq_blocks_3")},
          {hw::dense_shape("seq_blocks_5", 128, 10), last}};
}

// hls4ml on the ZCU102: every trial's figures equal the hw layer's for its formats; the
// DSP constraint marks exactly the trials above 80% of the device's DSPs infeasible, and
// the best trial is a feasible one.
TEST(HwSearch, Hls4mlTrialMetricsEqualTheHwLayersFiguresUnderADspConstraint) {
  QDSE_REQUIRE_SMALL_SEARCH();
  const auto dir = scratch_dir("hw-search-hls4ml");
  write_text(dir / "hw.toml",
             hw_search_toml("backend = \"hls4ml\"\ndevice = \"xczu9eg\"\nstrategy = \"latency\"\nreuse_factor = 1\n",
                            accuracy_metric() + minimized_metric("latency_ns", "-0.001"),
                            "dsp_utilization = \"<= 0.8\"\n"));
  const auto r = run_small_search(dir / "hw.toml", "--out '" + (dir / "run").string() + "'", dir);
  ASSERT_EQ(r.status, 0) << r.err;
  const auto trials = read_json(dir / "run" / "trials.json");
  ASSERT_EQ(trials.size(), 36u);  // 2 x 3 x 2 x 3 configurations
  const hw::Device zcu = hw::load_device("xczu9eg");
  int infeasible = 0;
  for (const auto& t : trials) {
    const auto& m = t.at("metrics");
    std::vector<hw::LayerCost> layers;
    for (const auto& [shape, formats] : hw_test_layers(t.at("params")))
      layers.push_back({shape.name, hw::hls4ml_layer_cost(shape, formats, hw::Hls4mlImpl{}, zcu)});
    const hw::Cost c = hw::network_cost(layers).total;
    EXPECT_EQ(m.at("lut").get<double>(), static_cast<double>(c.lut)) << t.dump();
    EXPECT_EQ(m.at("ff").get<double>(), static_cast<double>(c.ff));
    EXPECT_EQ(m.at("dsp").get<double>(), static_cast<double>(c.dsp));
    EXPECT_EQ(m.at("bram").get<double>(), static_cast<double>(c.bram18));
    EXPECT_EQ(m.at("uram").get<double>(), static_cast<double>(c.uram));
    EXPECT_EQ(m.at("latency_cycles").get<double>(), static_cast<double>(c.latency_cycles));
    EXPECT_DOUBLE_EQ(m.at("latency_ns").get<double>(), static_cast<double>(c.latency_cycles) * zcu.clock_ns);
    EXPECT_EQ(m.at("ii").get<double>(), static_cast<double>(c.ii));
    const double util = static_cast<double>(c.dsp) / static_cast<double>(zcu.dsp);
    EXPECT_DOUBLE_EQ(m.at("dsp_utilization").get<double>(), util);
    EXPECT_DOUBLE_EQ(m.at("lut_utilization").get<double>(), static_cast<double>(c.lut) / static_cast<double>(zcu.lut));
    EXPECT_EQ(t.at("feasible").get<bool>(), util <= 0.8) << t.dump();
    infeasible += util > 0.8;
  }
  // Both kinds exist: 12-bit weights on seq_blocks_1 take 200704 DSPs, 4 and 8 bits none.
  EXPECT_EQ(infeasible, 12);
  const auto best = read_json(dir / "run" / "best.json");
  EXPECT_TRUE(best.at("feasible").get<bool>());
  const auto& bm = best.at("trials").at(0).at("metrics");
  EXPECT_LE(bm.at("dsp_utilization").get<double>(), 0.8);
  // hw_layers.csv: the best trial's three layers and their total, which is its metrics.
  const std::string csv = read_text(dir / "run" / "hw_layers.csv");
  const std::string n = std::to_string(best.at("trials").at(0).at("number").get<int>());
  EXPECT_EQ(csv.rfind("trial,layer,lut,ff,dsp,bram18,uram,latency_cycles,ii\n", 0), 0u) << csv;
  for (const char* layer : {"seq_blocks_1", "seq_blocks_3", "seq_blocks_5"})
    EXPECT_CONTAINS(csv, "\n" + n + "," + layer + ",");
  auto whole = [&](const char* key) { return std::to_string(static_cast<int64_t>(bm.at(key).get<double>())); };
  EXPECT_CONTAINS(csv, "\n" + n + ",total," + whole("lut") + "," + whole("ff") + "," + whole("dsp") + "," +
                           whole("bram") + "," + whole("uram") + "," + whole("latency_cycles") + "," + whole("ii") +
                           "\n");
  // The HTML report shows the table (the report needs gnuplot, which CI has).
  if (fs::exists(dir / "run" / "report" / "index.html")) {
    const std::string html = read_text(dir / "run" / "report" / "index.html");
    EXPECT_CONTAINS(html, "<h2>FPGA resources</h2>");
    EXPECT_CONTAINS(html, "seq_blocks_3");
  }
  fs::remove_all(dir);
}

// FINN on the PYNQ-Z2 with a user device file given by a path relative to the config:
// the MVAU figures per trial, and no FF figure (FINN has no FF rule).
TEST(HwSearch, FinnTrialMetricsEqualTheMvauFigures) {
  QDSE_REQUIRE_SMALL_SEARCH();
  const auto dir = scratch_dir("hw-search-finn");
  fs::create_directories(dir / "boards");
  write_text(dir / "boards" / "mine.toml",
             "name = \"mine\"\ndsp_slice = \"DSP48E1\"\nlut = 53200\nff = 106400\ndsp = 220\nbram18 = 280\n"
             "uram = 0\nclock_ns = 10.0\n");
  write_text(dir / "finn.toml", hw_search_toml("backend = \"finn\"\ndevice = \"boards/mine.toml\"\npe = 2\nsimd = 16\n",
                                               accuracy_metric() + minimized_metric("lut", "-1e-6"), ""));
  const auto r = run_small_search(dir / "finn.toml", "--n-trials 8 --out '" + (dir / "run").string() + "'", dir);
  ASSERT_EQ(r.status, 0) << r.err;
  const auto trials = read_json(dir / "run" / "trials.json");
  ASSERT_EQ(trials.size(), 8u);
  const hw::Device mine = hw::load_device((dir / "boards" / "mine.toml").string());
  hw::FinnImpl impl;
  impl.pe = 2;
  impl.simd = 16;
  for (const auto& t : trials) {
    const auto& m = t.at("metrics");
    std::vector<hw::LayerCost> layers;
    for (const auto& [shape, formats] : hw_test_layers(t.at("params")))
      layers.push_back({shape.name, hw::finn_mvau_cost(shape, formats, impl, mine)});
    const hw::NetworkCost net = hw::network_cost(layers);
    EXPECT_EQ(m.at("lut").get<double>(), static_cast<double>(net.total.lut)) << t.dump();
    EXPECT_EQ(m.at("dsp").get<double>(), static_cast<double>(net.total.dsp));
    EXPECT_EQ(m.at("bram").get<double>(), static_cast<double>(net.total.bram18));
    EXPECT_EQ(m.at("latency_cycles").get<double>(), static_cast<double>(net.total.latency_cycles));
    EXPECT_DOUBLE_EQ(m.at("latency_ns").get<double>(), static_cast<double>(net.total.latency_cycles) * 10.0);
    EXPECT_EQ(m.at("ii").get<double>(), static_cast<double>(net.max_stage_cycles));
    EXPECT_FALSE(m.contains("ff")) << m.dump();
    EXPECT_FALSE(m.contains("uram_utilization")) << m.dump();  // the device has no URAM
  }
  fs::remove_all(dir);
}

// Without the table, trials carry no hw metric (and the goldens' outputs are unchanged).
TEST(HwSearch, NoHwTableNoHwMetrics) {
  QDSE_REQUIRE_SMALL_SEARCH();
  const auto dir = scratch_dir("hw-search-none");
  write_text(dir / "plain.toml", SmallSearch{}.toml());
  const auto r = run_small_search(dir / "plain.toml", "--n-trials 2 --out '" + (dir / "run").string() + "'", dir);
  ASSERT_EQ(r.status, 0) << r.err;
  for (const auto& t : read_json(dir / "run" / "trials.json"))
    for (const char* name : {"lut", "dsp", "latency_cycles", "dsp_utilization"})
      EXPECT_FALSE(t.at("metrics").contains(name)) << name;
  EXPECT_FALSE(fs::exists(dir / "run" / "hw_layers.csv"));
  if (fs::exists(dir / "run" / "report" / "index.html"))
    for (const char* absent : {"FPGA resources", "pareto_lut", "pareto_dsp", "pareto_fpga_latency"})
      EXPECT_EQ(read_text(dir / "run" / "report" / "index.html").find(absent), std::string::npos) << absent;
  fs::remove_all(dir);
}

// The target is part of the study's identity: resuming a study under another device (or
// back end, clock, reuse factor) is refused, naming the difference, so one study never
// mixes hw figures of two targets.
TEST(HwSearch, AStudyIsNotResumedUnderAnotherTarget) {
  QDSE_REQUIRE_SMALL_SEARCH();
  const auto dir = scratch_dir("hw-search-resume");
  const std::string acc = accuracy_metric();
  write_text(dir / "hw.toml", hw_search_toml("device = \"xczu9eg\"\n", acc, "dsp_utilization = \"<= 0.8\"\n"));
  const auto first = run_small_search(dir / "hw.toml", "--n-trials 2 --out '" + (dir / "run").string() + "'", dir);
  ASSERT_EQ(first.status, 0) << first.err;
  write_text(dir / "hw.toml", hw_search_toml("device = \"xcu250\"\n", acc, "dsp_utilization = \"<= 0.8\"\n"));
  const auto other = run_small_search(dir / "hw.toml", "--n-trials 2 --out '" + (dir / "run").string() + "'", dir);
  EXPECT_EQ(other.status, 1) << other.err;
  EXPECT_EQ(line_count(other.err), 1) << other.err;
  EXPECT_CONTAINS(other.err, "evaluation.hw.device");
  EXPECT_EQ(read_json(dir / "run" / "trials.json").size(), 2u);  // the stored trials are untouched
  write_text(dir / "hw.toml", hw_search_toml("device = \"xczu9eg\"\n", acc, "dsp_utilization = \"<= 0.8\"\n"));
  const auto same = run_small_search(dir / "hw.toml", "--n-trials 2 --out '" + (dir / "run").string() + "'", dir);
  EXPECT_EQ(same.status, 0) << same.err;
  EXPECT_EQ(read_json(dir / "run" / "trials.json").size(), 4u);
  fs::remove_all(dir);
}

// A `<=` constraint on an FPGA figure that no configuration can meet is refused before the
// first trial, with the smallest value the space reaches and the layers behind it: here
// seq_blocks_5, left float (hls4ml's default ap_fixed<16,6>, 16-bit weights on DSPs), needs
// 128 x 10 DSP slices at R = 1 whatever the other layers choose, and the 4/8-bit weights of
// the others take none. The float design (every layer 16-bit) needs 234,752: 0.004 x that
// is 939.
TEST(HwSearch, UnreachableConstraintIsRefusedBeforeTheFirstTrial) {
  QDSE_REQUIRE_SMALL_SEARCH();
  const auto dir = scratch_dir("hw-search-unreachable");
  const std::string hls = "backend = \"hls4ml\"\ndevice = \"xczu9eg\"\n";
  struct Unreachable {
    std::string constraint;
    std::vector<std::string> says;
  };
  const std::vector<Unreachable> cases = {
      {"dsp = \"<= 10\"\n", {"`dsp <= 10` cannot be met", "smallest dsp it reaches is 1280", "seq_blocks_5 1280 DSP"}},
      {"dsp_utilization = \"<= 0.004 * float\"\n", {"dsp_utilization", "cannot be met", "seq_blocks_5 1280 DSP"}},
      {"latency_cycles = \"<= 2\"\n", {"latency_cycles", "cannot be met", "cycles"}},
  };
  int i = 0;
  for (const auto& c : cases) {
    const std::string name = "unreachable" + std::to_string(i++);
    write_text(dir / (name + ".toml"), hw_search_toml(hls, accuracy_metric(), c.constraint));
    const auto run = dir / ("run-" + name);
    const auto r = run_small_search(dir / (name + ".toml"), "--out '" + run.string() + "'", dir);
    EXPECT_EQ(r.status, 1) << name << ": " << r.err;
    EXPECT_EQ(line_count(r.err), 1) << r.err;
    EXPECT_CONTAINS(r.err, name + ".toml");
    for (const auto& s : c.says) EXPECT_CONTAINS(r.err, s);
    EXPECT_FALSE(fs::exists(run / "trials.json")) << name;
  }
  // The same space under a bound it can meet runs (1280 DSPs of the ZU9EG's 2520).
  write_text(dir / "reachable.toml", hw_search_toml(hls, accuracy_metric(), "dsp = \"<= 1280\"\n"));
  const auto ok = run_small_search(dir / "reachable.toml", "--n-trials 4 --out '" + (dir / "ok").string() + "'", dir);
  EXPECT_EQ(ok.status, 0) << ok.err;
  fs::remove_all(dir);
}

struct HwBadInput {
  std::string name;         // config file stem
  std::string toml;         // the whole config
  std::vector<std::string> says;  // parts of the one-line message
};

// Every bad input: exit 1, one line naming the file and the key, no trial run.
TEST(HwSearch, BadInputsAreOneLineErrors) {
  QDSE_REQUIRE_SMALL_SEARCH();
  const auto dir = scratch_dir("hw-search-bad");
  write_text(dir / "no_dsp.toml", "dsp_slice = \"DSP48E2\"\nlut = 1000\nff = 2000\nbram18 = 10\nuram = 0\nclock_ns = 5\n");
  write_text(dir / "negative.toml",
             "dsp_slice = \"DSP48E2\"\nlut = -1000\nff = 2000\ndsp = 10\nbram18 = 10\nuram = 0\nclock_ns = 5\n");
  const std::string acc = accuracy_metric();
  const std::string dsp_cap = "dsp_utilization = \"<= 0.8\"\n";
  auto hls = [](const std::string& more) { return "backend = \"hls4ml\"\ndevice = \"xczu9eg\"\n" + more; };
  const std::vector<HwBadInput> cases = {
      {"unknown_device", hw_search_toml("device = \"xczu99\"\n", acc, dsp_cap), {"device", "xczu99", "xczu9eg"}},
      {"missing_field", hw_search_toml("device = \"no_dsp.toml\"\n", acc, dsp_cap), {"device", "no_dsp.toml", "dsp"}},
      {"negative_field", hw_search_toml("device = \"negative.toml\"\n", acc, dsp_cap),
       {"device", "negative.toml", "lut"}},
      {"unknown_backend", hw_search_toml("backend = \"vivado\"\ndevice = \"xczu9eg\"\n", acc, dsp_cap),
       {"backend", "vivado", "\"hls4ml\" or \"finn\""}},
      {"no_hw_table", hw_search_toml("", acc, dsp_cap), {"dsp_utilization", "[search.strategy.hw_runner.fpga]"}},
      {"no_hw_table_objective", hw_search_toml("", acc + minimized_metric("latency_ns", "-1"), ""),
       {"latency_ns", "[search.strategy.hw_runner.fpga]"}},
      {"unknown_resource", hw_search_toml(hls(""), acc, "carry_utilization = \"<= 0.5\"\n"),
       {"carry_utilization", "resource `carry`", "lut, ff, dsp, bram or uram"}},
      {"reuse_not_dividing", hw_search_toml(hls("reuse_factor = 3\n"), acc, dsp_cap),
       {"seq_blocks_1", "reuse_factor 3 does not divide", "hw_runner.fpga"}},
      {"finn_ff", hw_search_toml("backend = \"finn\"\ndevice = \"xczu9eg\"\n", acc, "ff = \"<= 1000\"\n"),
       {"ff", "FINN"}},
      {"no_uram", hw_search_toml("device = \"xc7z020\"\n", acc, "uram_utilization = \"<= 0.5\"\n"),
       {"uram_utilization", "has none"}},
      {"zero_clock", hw_search_toml(hls("clock_ns = 0\n"), acc, dsp_cap), {"clock_ns", "> 0"}},
      {"other_backend_key", hw_search_toml(hls("pe = 4\n"), acc, dsp_cap), {"pe", "hls4ml back end"}},
      {"minifloat_space",
       [] {
         SmallSearch s;
         s.constraints = "dsp_utilization = \"<= 0.8\"\n";
         return s.toml() + "[search.search_space.seed.seq_blocks_5.config]\nname = [\"minifloat\"]\n" +
                "data_in_width = [8]\nweight_width = [8]\n" +
                "[search.strategy.hw_runner.fpga]\ndevice = \"xczu9eg\"\n";
       }(),
       {"seq_blocks_5/config/name", "minifloat", "fixed-point"}},
  };
  for (const auto& c : cases) {
    write_text(dir / (c.name + ".toml"), c.toml);
    const auto run = dir / ("run-" + c.name);
    const auto r = run_small_search(dir / (c.name + ".toml"), "--out '" + run.string() + "'", dir);
    EXPECT_EQ(r.status, 1) << c.name << ": " << r.err;
    EXPECT_EQ(line_count(r.err), 1) << c.name << ": " << r.err;
    EXPECT_CONTAINS(r.err, c.name + ".toml");
    for (const auto& part : c.says) EXPECT_CONTAINS(r.err, part) << c.name;
    EXPECT_FALSE(fs::exists(run / "trials.json")) << c.name;
  }
  fs::remove_all(dir);
}

// Implementation parameters searched beside the formats (issue 16, item 3): reuse_factor
// and strategy (hls4ml), pe and simd (FINN) listed in a seed table become dimensions of
// the space. Each trial's hw figures are those of its own choices, trials that differ only
// in implementation share one evaluation of the network (the result cache keys on the
// quantization), and every choice a layer cannot take is refused before the first trial.

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

TEST(HwImplSearch, EachTrialIsCostedWithItsOwnReuseFactorAndStrategy) {
  QDSE_REQUIRE_SMALL_SEARCH();
  const auto dir = scratch_dir("hw-impl-search");
  write_text(dir / "impl.toml",
             impl_search_toml("reuse_factor = [1, 16, 112]\nstrategy = [\"latency\", \"resource\"]\n",
                              "device = \"xczu9eg\"\nreuse_factor = 4\n",
                              accuracy_metric() + minimized_metric("latency_ns", "-0.001")));
  const auto r = run_small_search(dir / "impl.toml", "--out '" + (dir / "run").string() + "'", dir);
  ASSERT_EQ(r.status, 0) << r.err;
  const auto trials = read_json(dir / "run" / "trials.json");
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
  const auto best = read_json(dir / "run" / "best.json").at("trials").at(0);
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
  const auto trials = read_json(dir / "run" / "trials.json");
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
  const auto best = read_json(dir / "run" / "best.json");
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
  const auto report = read_json(dir / "run" / "report" / "report.json");
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
