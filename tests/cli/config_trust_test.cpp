// Configs a user can trust (issue 13, items 1, 2, 12, 16), through the `qdse` binary:
// MASE's lab-3 example (tests/data/mase) with seed tables for both `by` modes runs with one warning;
// dead weight dimensions of ReLUs leave the space; NaN/inf/zero settings, duplicate
// choices and bad sampler options are refused with file, line and key; layer key
// errors point at the key's line; `--config DIR` says it is a directory; failed trials
// are counted in the summary and best.json, and `qdse report` renders such a run.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "../support/prerequisites.hpp"
#include "../support/mase_example.hpp"
#include "../support/search_toml.hpp"
#include "cli_runner.hpp"

namespace {

namespace fs = std::filesystem;
using namespace qdse::testing;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::string line;
  for (char c : text) {
    if (c == '\n') {
      out.push_back(line);
      line.clear();
    } else {
      line += c;
    }
  }
  if (!line.empty()) out.push_back(line);
  return out;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// `qdse --json space` on `text` written to <scratch>/<file>.
CliResult space_of(const std::string& text, const std::string& name, const std::string& file = "c.toml") {
  const auto dir = scratch_dir(name);
  write_text(dir / file, text);
  return run_qdse("--json space --config '" + (dir / file).string() + "'", dir / "out");
}

uint64_t size_of(const CliResult& r) {
  return nlohmann::json::parse(r.out).at("size").get<uint64_t>();
}

TEST(ConfigTrust, MaseLab3ExampleRunsWithOneWarningPerUnusedTable) {
  // by = "name": seq_blocks_2 (the Linear) is searched; `linear` names an op type.
  auto r = space_of(mase_jsc_toy("name"), "mase-name");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(size_of(r), 2u * 3u * 3u);  // data_in x weight x bias widths
  auto err = lines_of(r.err);
  ASSERT_EQ(err.size(), 1u) << r.err;
  EXPECT_TRUE(contains(err[0], "warning:")) << err[0];
  EXPECT_TRUE(contains(err[0], "`linear` (an op type)")) << err[0];
  EXPECT_TRUE(contains(err[0], "c.toml:")) << err[0];
  // by = "type": `linear` is searched, seq_blocks_2 (a node name) is not.
  r = space_of(mase_jsc_toy("type"), "mase-type");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(size_of(r), 18u);
  err = lines_of(r.err);
  ASSERT_EQ(err.size(), 1u) << r.err;
  EXPECT_TRUE(contains(err[0], "`seq_blocks_2` (a node name)")) << err[0];
  EXPECT_TRUE(contains(nlohmann::json::parse(r.out).dump(), "linear/config/weight_width")) << r.out;
}

TEST(ConfigTrust, SeedKeyThatIsNeitherNodeNorTypeIsStillAnError) {
  for (const std::string by : {"name", "type"}) {
    std::string text = mase_jsc_toy(by);
    text.replace(text.find("[search.search_space.seed.linear.config]"), 40, "[search.search_space.seed.linaer.config]");
    const auto r = space_of(text, "typo-" + by);
    EXPECT_EQ(r.status, 1) << by << ": " << r.err;
    const auto err = lines_of(r.err);
    ASSERT_EQ(err.size(), 1u) << r.err;
    EXPECT_TRUE(contains(err[0], "linaer")) << err[0];
    EXPECT_TRUE(contains(err[0], "c.toml:37")) << err[0];  // the table's line
  }
}

TEST(ConfigTrust, ByTypeWarnsAboutATypeTheModelLacks) {
  std::string text = mase_jsc_toy("type");
  text.replace(text.find("[search.search_space.seed.seq_blocks_2.config]"), 46,
               "[search.search_space.seed.conv2d.config]");
  const auto r = space_of(text, "lacks-type");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto err = lines_of(r.err);
  ASSERT_EQ(err.size(), 1u) << r.err;
  EXPECT_TRUE(contains(err[0], "`conv2d` (model 'jsc-tiny' has no conv2d layer)")) << err[0];
}

// fmnist-mlp searched by name, every layer float unless a table below says otherwise (5 lines).
const std::string kFmnistByName = [] {
  SearchToml t;
  t.space_name.clear();
  return t.space_only().toml();
}();

TEST(ConfigTrust, WeightKeysOfAReluAreNotSearchDimensions) {
  // fmnist-mlp: seq_blocks_2 is a ReLU. Its weight/bias choices would make 9 identical copies
  // of each configuration.
  const std::string text = kFmnistByName + R"([search.search_space.seed.seq_blocks_2.config]
name = ["integer"]
data_in_width = [4, 8]
weight_width = [2, 4, 8]
bias_width = [4, 8, 16]
)";
  const auto r = space_of(text, "relu-weights");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(size_of(r), 2u);
  const auto dims = nlohmann::json::parse(r.out).at("dimensions").dump();
  EXPECT_FALSE(contains(dims, "seq_blocks_2/config/weight_width")) << dims;
  const auto err = lines_of(r.err);
  ASSERT_EQ(err.size(), 1u) << r.err;
  EXPECT_TRUE(contains(err[0], "seq_blocks_2/config/weight_width")) << err[0];
  EXPECT_TRUE(contains(err[0], "seq_blocks_2/config/bias_width")) << err[0];
}

TEST(ConfigTrust, DuplicateAndNonFiniteChoicesAreRefusedAtTheirLine) {
  const std::string head = kFmnistByName + R"([search.search_space.seed.seq_blocks_1.config]
name = ["integer"]
)";
  struct Case {
    std::string line, expect;
  };
  for (const auto& c : std::vector<Case>{{"weight_width = [4, 4, 4]", "twice"},
                                         {"weight_width = [4, 4.0]", "twice"},
                                         {"weight_width = [4, nan]", "finite"},
                                         {"weight_width = [inf]", "finite"}}) {
    const auto r = space_of(head + "data_in_width = [8]\n" + c.line + "\n", "dup");
    EXPECT_EQ(r.status, 1) << c.line << ": " << r.err;
    const auto err = lines_of(r.err);
    ASSERT_EQ(err.size(), 1u) << r.err;
    EXPECT_TRUE(contains(err[0], c.expect)) << err[0];
    EXPECT_TRUE(contains(err[0], "c.toml:9 (search.search_space.seed.seq_blocks_1.config.weight_width)")) << err[0];
  }
}

TEST(ConfigTrust, LayerKeyErrorsPointAtTheKeyLine) {
  // The bad key is on line 10; `name` is on line 7.
  const std::string text = kFmnistByName + R"([search.search_space.seed.seq_blocks_1.config]
name = ["minifloat"]
data_in_width = [8]
weight_width = [8]
weight_exponent_width = [9]
)";
  const auto r = space_of(text, "key-line");
  EXPECT_EQ(r.status, 1) << r.err;
  const auto err = lines_of(r.err);
  ASSERT_EQ(err.size(), 1u) << r.err;
  EXPECT_TRUE(contains(err[0], "weight_exponent_width")) << err[0];
  EXPECT_TRUE(contains(err[0], "c.toml:10")) << err[0];
}

TEST(ConfigTrust, ConfigDirectoryIsNamedAsSuch) {
  const auto dir = scratch_dir("config-dir");
  const auto r = run_qdse("space --config '" + dir.string() + "'", dir / "out");
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_TRUE(contains(r.err, "is a directory")) << r.err;
  EXPECT_EQ(lines_of(r.err).size(), 1u) << r.err;
}

const std::string kWeights = peer_model("fmnist-mlp.json");

// A small fmnist-mlp search (64 test samples); `strategy`, `setup` and `metrics` are
// lines added to those tables (on lines 13, 20 and 22).
std::string search_config(const std::string& strategy, const std::string& setup, const std::string& metrics) {
  return SearchToml{.dataset = "fashion_mnist", .preprocess = "normalize", .space_name = "",
                    .layers = {{"seq_blocks_1", integer_layer("[8]", "[2, 4, 8]")}}, .strategy = strategy + "\n",
                    .data_loader = "test_dataloader", .num_samples = 64, .sampler = "random", .n_trials = 2,
                    .setup = setup + "\n", .metrics = metrics + "\n"}
      .toml();
}

TEST(ConfigTrust, NonFiniteZeroAndOutOfRangeStrategySettingsAreRefused) {
  struct Case {
    std::string strategy, setup, metrics, key, line;
  };
  const std::string ok = "accuracy.scale = 1.0";
  std::vector<Case> cases;
  for (const std::string v : {"nan", "inf", "-inf"})
    cases.push_back({"", "", "accuracy.scale = " + v, "metrics.accuracy.scale", ":22"});
  for (const std::string v : {"nan", "inf", "-5"}) cases.push_back({"", "timeout = " + v, ok, "setup.timeout", ":20"});
  cases.push_back({"", "seed = -1", ok, "setup.seed", ":20"});
  // Lines of [search.strategy]: the error names the key (a runner's without `hw_runner.`).
  for (const std::string line :
       {"hw_runner.average_bitwidth.compare_to = 0", "hw_runner.average_bitwidth.compare_to = nan",
        "tpe.n_ei_candidates = 0", "tpe.n_startup_trials = 10000000000000", "tpe.prior_weight = nan",
        "nsgaii.population_size = 1", "nsgaii.crossover_prob = nan", "latency_repeats = 0"}) {
    const std::string key = line.substr(0, line.find(" = "));
    cases.push_back({line, "", ok, key.rfind("hw_runner.", 0) == 0 ? key.substr(10) : key, ":13"});
  }
  const auto dir = scratch_dir("strategy");
  for (const auto& c : cases) {
    write_text(dir / "s.toml", search_config(c.strategy, c.setup, c.metrics));
    const auto r = run_qdse("search -q --config '" + (dir / "s.toml").string() + "' --load '" + kWeights +
                                "' --storage memory: --out '" + (dir / "run").string() + "'",
                            dir / "out");
    const std::string what = c.strategy + c.setup + c.metrics;
    EXPECT_EQ(r.status, 1) << what << ": " << r.err;
    const auto err = lines_of(r.err);
    ASSERT_EQ(err.size(), 1u) << what << ": " << r.err;
    EXPECT_TRUE(contains(err[0], "s.toml" + c.line)) << what << ": " << err[0];
    EXPECT_TRUE(contains(err[0], c.key)) << what << ": " << err[0];
    EXPECT_FALSE(contains(err[0], "Options::")) << err[0];  // no C++ struct names
  }
}

TEST(ConfigTrust, FailedTrialsAreCountedAndTheReportRenders) {
  QDSE_REQUIRE(fs::exists(kWeights), "peer weights at " << kWeights);
  QDSE_REQUIRE(fs::exists(fashion_mnist_dir()), "Fashion-MNIST");
  // bitops (~1e5) x 1e308 overflows to inf: every objective is non-finite, so every
  // trial is recorded FAILED by the study (as Optuna does).
  const auto dir = scratch_dir("failed");
  write_text(dir / "f.toml", search_config("", "", "accuracy.scale = 1.0\nbitops.scale = 1e308"));
  const auto run = dir / "run";
  const auto r = run_qdse("search --config '" + (dir / "f.toml").string() + "' --load '" + kWeights +
                              "' --storage memory: --out '" + run.string() + "'",
                          dir / "out");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "2 failed")) << r.out;
  const auto best = nlohmann::json::parse(read_text(run / "best.json"));
  EXPECT_EQ(best.at("summary").at("failed").get<int>(), 2) << best.dump();
  const auto rep = run_qdse("report '" + run.string() + "'", dir / "out2");
  EXPECT_EQ(rep.status, 0) << rep.err;
  EXPECT_TRUE(fs::exists(run / "report" / "index.html"));
}

}  // namespace
