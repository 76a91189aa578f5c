// Configs a user can trust (issue 13, items 1, 2, 12, 16), through the `qdse` binary:
// MASE's lab-3 example with seed tables for both `by` modes runs with one warning;
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
#include "cli_runner.hpp"

namespace {

namespace fs = std::filesystem;
using qdse::testing::read_text;
using qdse::testing::run_qdse;
using qdse::testing::scratch_dir;
using qdse::testing::write_text;

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

// MASE's configs/examples/jsc_toy_by_type.toml (lab 3), key for key: one seed table per
// `by` mode (`linear` for "type", `seq_blocks_2` for "name"), setup.by = "name".
std::string mase_jsc_toy(const std::string& by) {
  return R"(model = "jsc-tiny"
dataset = "jsc"
task = "cls"
max_epochs = 5
batch_size = 512
learning_rate = 1e-2
accelerator = "gpu"
project = "jsc-tiny"
seed = 42
log_every_n_steps = 5

[passes.quantize]
by = "type"
[passes.quantize.default.config]
name = "NA"
[passes.quantize.linear.config]
name = "integer"
"data_in_width" = 8
"data_in_frac_width" = 4
"weight_width" = 8
"weight_frac_width" = 4
"bias_width" = 8
"bias_frac_width" = 4

[transform]
style = "graph"

[search.search_space]
name = "graph/quantize/mixed_precision_ptq"

[search.search_space.setup]
by = ")" + by + R"("

[search.search_space.seed.default.config]
name = ["NA"]

[search.search_space.seed.linear.config]
name = ["integer"]
data_in_width = [4, 8]
data_in_frac_width = ["NA"]
weight_width = [2, 4, 8]
weight_frac_width = ["NA"]
bias_width = [2, 4, 8]
bias_frac_width = ["NA"]

[search.search_space.seed.seq_blocks_2.config]
name = ["integer"]
data_in_width = [4, 8]
data_in_frac_width = ["NA"]
weight_width = [2, 4, 8]
weight_frac_width = ["NA"]
bias_width = [2, 4, 8]
bias_frac_width = ["NA"]

[search.strategy]
name = "optuna"
eval_mode = true

[search.strategy.sw_runner.basic_evaluation]
data_loader = "val_dataloader"
num_samples = 512

[search.strategy.hw_runner.average_bitwidth]
compare_to = 32

[search.strategy.setup]
n_jobs = 1
n_trials = 5
timeout = 20000
sampler = "tpe"
sum_scaled_metrics = false

[search.strategy.metrics]
accuracy.scale = 1.0
accuracy.direction = "maximize"
average_bitwidth.scale = 0.2
average_bitwidth.direction = "minimize"
)";
}

// `qdse --json space` on `text` written to <scratch>/<file>.
qdse::testing::CliResult space_of(const std::string& text, const std::string& name, const std::string& file = "c.toml") {
  const auto dir = scratch_dir(name);
  write_text(dir / file, text);
  return run_qdse("--json space --config '" + (dir / file).string() + "'", dir / "out");
}

uint64_t size_of(const qdse::testing::CliResult& r) {
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
const std::string kFmnistByName = R"(model = "fmnist-mlp"
[search.search_space]
setup.by = "name"
[search.search_space.seed.default.config]
name = ["NA"]
)";

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

const std::string kWeights = qdse::testing::peer_model("fmnist-mlp.json");

// A small fmnist-mlp search (64 test samples); `strategy`, `setup` and `metrics` are
// lines added to those tables (on lines 13, 20 and 22).
std::string search_config(const std::string& strategy, const std::string& setup, const std::string& metrics) {
  return R"(model = "fmnist-mlp"
dataset = "fashion_mnist"
preprocess = "normalize"
[search.search_space]
setup.by = "name"
[search.search_space.seed.default.config]
name = ["NA"]
[search.search_space.seed.seq_blocks_1.config]
name = ["integer"]
data_in_width = [8]
weight_width = [2, 4, 8]
[search.strategy]
)" + strategy + R"(
[search.strategy.sw_runner.basic_evaluation]
data_loader = "test_dataloader"
num_samples = 64
[search.strategy.setup]
sampler = "random"
n_trials = 2
)" + setup + R"(
[search.strategy.metrics]
)" + metrics + "\n";
}

TEST(ConfigTrust, NonFiniteZeroAndOutOfRangeStrategySettingsAreRefused) {
  struct Case {
    std::string strategy, setup, metrics, key, line;
  };
  const std::string ok = "accuracy.scale = 1.0";
  const std::vector<Case> cases = {
      {"", "", "accuracy.scale = nan", "metrics.accuracy.scale", ":22"},
      {"", "", "accuracy.scale = inf", "metrics.accuracy.scale", ":22"},
      {"", "", "accuracy.scale = -inf", "metrics.accuracy.scale", ":22"},
      {"", "timeout = nan", ok, "setup.timeout", ":20"},
      {"", "timeout = inf", ok, "setup.timeout", ":20"},
      {"", "timeout = -5", ok, "setup.timeout", ":20"},
      {"", "seed = -1", ok, "setup.seed", ":20"},
      {"hw_runner.average_bitwidth.compare_to = 0", "", ok, "average_bitwidth.compare_to", ":13"},
      {"hw_runner.average_bitwidth.compare_to = nan", "", ok, "average_bitwidth.compare_to", ":13"},
      {"tpe.n_ei_candidates = 0", "", ok, "tpe.n_ei_candidates", ":13"},
      {"tpe.n_startup_trials = 10000000000000", "", ok, "tpe.n_startup_trials", ":13"},
      {"tpe.prior_weight = nan", "", ok, "tpe.prior_weight", ":13"},
      {"nsgaii.population_size = 1", "", ok, "nsgaii.population_size", ":13"},
      {"nsgaii.crossover_prob = nan", "", ok, "nsgaii.crossover_prob", ":13"},
      {"latency_repeats = 0", "", ok, "latency_repeats", ":13"},
  };
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
  QDSE_REQUIRE(fs::exists(qdse::testing::fashion_mnist_dir()), "Fashion-MNIST");
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
