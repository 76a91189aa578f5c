#include <gtest/gtest.h>
#include <torch/types.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "../support/search_toml.hpp"
#include "qdse/core/error.hpp"
#include "qdse/ir/zoo.hpp"
#include "qdse/pipeline/quant_space.hpp"
#include "qdse/pipeline/search_runner.hpp"
#include "qdse/pipeline/search_config.hpp"
#include "qdse/pipeline/trial_evaluator.hpp"
#include "qdse/report/run_outputs.hpp"
#include "qdse/search/sampler_factory.hpp"
#include "qdse/search/storage.hpp"

namespace qdse::pipeline {
namespace {

using qdse::testing::accuracy_metric;
using qdse::testing::integer_layer;
using qdse::testing::minimized_metric;
using qdse::testing::SearchToml;

std::string write_toml(const std::string& name, const std::string& body) {
  const auto dir = std::filesystem::temp_directory_path() / ("qdse_pipe_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / name) << body;
  return (dir / name).string();
}

const std::string kSpace =
    SearchToml{.model = "jsc-toy",
               .layers = {{"seq_blocks_2", integer_layer("[4, 8]", "[2, 4, 8]", "weight_frac_width = [\"NA\", \"auto\"]\n")},
                          {"seq_blocks_5", integer_layer("[8]", "[4, 8]")},
                          {"seq_blocks_8", "name = [\"integer\", \"NA\"]\ndata_in_width = [8]\nweight_width = [8]\n"}},
               .metrics = accuracy_metric() + minimized_metric("bitops", "-1e-6")}
        .toml();

TEST(QuantSpace, FlattensLikeMaseInGraphOrder) {
  const auto cfg = io::load_run_config(write_toml("space.toml", kSpace));
  const auto g = ir::build_zoo_model("jsc-toy");
  const QuantSpace qs(cfg, g);
  const auto& s = qs.space();
  // Nodes in graph order (the default table gives the input batch norm and the relus a
  // one-choice "NA" dim: they take a data_in format), "name" first within a node, then
  // keys sorted.
  EXPECT_EQ(s.name(0), "seq_blocks_0/config/name");
  EXPECT_EQ(s.name(1), "seq_blocks_1/config/name");
  EXPECT_EQ(s.index_of("seq_blocks_2/config/data_in_width"), s.index_of("seq_blocks_2/config/name") + 1);
  EXPECT_LT(s.index_of("seq_blocks_2/config/weight_width"), s.index_of("seq_blocks_5/config/name"));
  EXPECT_LT(s.index_of("seq_blocks_5/config/weight_width"), s.index_of("seq_blocks_8/config/name"));
  EXPECT_EQ(*s.size(), 2u * 3 * 2 * 2 * 2);  // 48
  // Decode: last param choices; seq_blocks_8 name "NA" leaves it float.
  search::ParamVector p(s.n_params(), 0.0);
  p[s.index_of("seq_blocks_8/config/name")] = 1;
  p[s.index_of("seq_blocks_2/config/weight_width")] = 2;
  const auto qc = qs.decode(p);
  EXPECT_FALSE(qc.find("seq_blocks_8"));
  EXPECT_EQ(std::get<quant::IntegerFormat>(qc.find("seq_blocks_2")->weight->format.params).width, 8);
}

// Only a space with an "auto" frac choice needs calibration (and training samples).
TEST(QuantSpace, KnowsWhetherItUsesAutoFrac) {
  const auto g = ir::build_zoo_model("jsc-toy");
  EXPECT_TRUE(QuantSpace(io::load_run_config(write_toml("auto.toml", kSpace)), g).uses_auto_frac());
  std::string fixed = kSpace;
  fixed.replace(fixed.find("[\"NA\", \"auto\"]"), 14, "[\"NA\", 3]");
  EXPECT_FALSE(QuantSpace(io::load_run_config(write_toml("fixed.toml", fixed)), g).uses_auto_frac());
}

TEST(QuantSpace, BadChoicesFailBeforeAnyTrial) {
  std::string bad = kSpace;
  bad.replace(bad.find("weight_width = [4, 8]"), 21, "weight_width = [4, 64]");
  const auto cfg = io::load_run_config(write_toml("bad.toml", bad));
  try {
    QuantSpace(cfg, ir::build_zoo_model("jsc-toy"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("`weight_width` must be in [1, 32], got 64"), std::string::npos) << e.what();
  }
}

TEST(StrategyConfig, UnknownMetricIsAnErrorNotAConstant) {
  std::string s = kSpace;
  s.replace(s.find("bitops.scale"), 6, "flopz");
  s.replace(s.find("bitops.direction"), 6, "flopz");
  const auto cfg = io::load_run_config(write_toml("metric.toml", s));
  try {
    parse_search_config(cfg);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("metric `flopz` is not computed"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("bitops"), std::string::npos);
  }
}

TEST(StrategyConfig, ConstraintsParseAndMeasureViolation) {
  const auto cfg = io::load_run_config(write_toml("cons.toml", std::string(kSpace) + R"(
[search.strategy.constraints]
accuracy = ">= 0.99 * float"
model_size_bytes = "<= 1000"
)"));
  const auto st = parse_search_config(cfg).strategy;
  ASSERT_EQ(st.constraints.size(), 2u);
  EXPECT_NEAR(st.constraints[0].violation(0.80, 0.90), 0.891 - 0.80, 1e-12);
  EXPECT_NEAR(st.constraints[1].violation(900, 0), -100, 1e-12);
  EXPECT_EQ(st.sampler, "bruteforce");
  EXPECT_EQ(st.objective_values({{"accuracy", 0.5}, {"bitops", 2e6}}), std::vector<double>{0.5 - 2.0});
}

// jsc-tiny: one 16x5 linear -> bitops = 80 x data width x weight width.
TEST(CostMetrics, JscTinyByHand) {
  const auto g = ir::build_zoo_model("jsc-tiny");
  metrics::CostModel cm(g);
  quant::QuantConfig qc;
  quant::NodeQuantConfig c;
  c.data_in = quant::SlotFormat{quant::Format{quant::IntegerFormat{.width = 6}}, false};
  c.weight = quant::SlotFormat{quant::Format{quant::IntegerFormat{.width = 3}}, false};
  c.bias = quant::SlotFormat{quant::Format{quant::IntegerFormat{.width = 5}}, false};
  qc.nodes["seq_blocks_2"] = c;
  const auto m = cm.evaluate(qc);
  EXPECT_DOUBLE_EQ(m.bitops, 80.0 * 6 * 3);
  EXPECT_DOUBLE_EQ(m.macs, 80.0);
  // weight 80 x 3 + bias 5 x 5 + batch norm affine 32 x 32
  EXPECT_DOUBLE_EQ(m.model_size_bits, 80 * 3 + 5 * 5 + 32 * 32);
  EXPECT_DOUBLE_EQ(m.average_bitwidth, (80 * 3 + 5 * 5 + 32 * 32) / 117.0);
  EXPECT_DOUBLE_EQ(cm.evaluate({}).bitops, 80.0 * 32 * 32);
}

std::pair<at::Tensor, at::Tensor> data(int64_t n) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(5);
  return {torch::randn({n, 16}, gen), torch::randint(0, 5, {n}, gen, torch::kLong)};
}

TEST(TrialEvaluator, PrefixMemoAndCacheGiveTheUncachedResults) {
  // Every reuse layer (prefix memo, input codes memo, integer kernels, result cache)
  // against the plain path: the same metrics bit for bit.
  const auto cfg = io::load_run_config(write_toml("memo.toml", kSpace));
  const auto g = ir::build_zoo_model("jsc-toy", 3);
  const QuantSpace qs(cfg, g);
  auto [x, y] = data(300);
  const auto stats = quant::calibrate(g, x, {});
  EvalSettings with_memo, no_memo, float_kernels;
  no_memo.memo_budget_bytes = 0;
  no_memo.batch_size = 64;
  float_kernels.integer_kernels = false;
  TrialEvaluator a(g, x, y, with_memo, stats), b(g, x, y, no_memo, stats), c(g, x, y, float_kernels, stats);
  const auto n = *qs.space().size();
  int reused = 0;
  for (uint64_t i = 0; i < n; ++i) {
    const auto p = search::config_at(qs.space(), i);
    const auto ra = a.evaluate(qs.decode(p)), rb = b.evaluate(qs.decode(p)), rc = c.evaluate(qs.decode(p));
    for (const auto& m : TrialEvaluator::metric_names()) {
      if (!rb.metrics.count(m)) continue;  // latency is not measured here
      EXPECT_EQ(ra.metrics.at(m), rb.metrics.at(m)) << m << " " << i;
      EXPECT_EQ(rc.metrics.at(m), rb.metrics.at(m)) << m << " " << i;
    }
    reused += ra.first_recomputed_node > 0 ? 1 : 0;
  }
  EXPECT_GT(reused, static_cast<int>(n) / 2);  // brute-force order reuses prefixes
  EXPECT_LT(a.macs_computed(), b.macs_computed());
  EXPECT_GT(a.integer_nodes(), 0);
  EXPECT_EQ(c.integer_nodes(), 0);
  // A repeat is answered from the cache.
  EXPECT_TRUE(a.evaluate(qs.decode(search::config_at(qs.space(), 0))).cached);
}

// The peer's small space on fmnist-mlp (3 linear layers, frac = width // 2): every
// configuration through the integer kernels equals the plain float path.
const std::string kPeerSmall = [] {
  const std::string widths = integer_layer("[4, 8]", "[2, 4, 8]");
  return SearchToml{.layers = {{"seq_blocks_1", widths}, {"seq_blocks_3", widths}, {"seq_blocks_5", widths}},
                    .n_trials = 216, .metrics = std::nullopt}
      .toml();
}();

TEST(TrialEvaluator, IntegerKernelsEqualThePlainPathOnTheMlpSpace) {
  const auto cfg = io::load_run_config(write_toml("mlp.toml", kPeerSmall));
  auto g = ir::build_zoo_model("fmnist-mlp", 4);
  const QuantSpace qs(cfg, g);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(9);
  const auto x = torch::randn({96, 1, 28, 28}, gen) * 1.5;
  const auto y = torch::randint(0, 10, {96}, gen, torch::kLong);
  EvalSettings fast, plain;
  fast.memo_budget_bytes = int64_t{64} << 20;
  plain.memo_budget_bytes = 0;
  TrialEvaluator a(g, x, y, fast, std::nullopt), b(g, x, y, plain, std::nullopt);
  const auto n = *qs.space().size();
  ASSERT_EQ(n, 216u);
  for (uint64_t i = 0; i < n; ++i) {
    const auto qc = qs.decode(search::config_at(qs.space(), i));
    const auto ra = a.evaluate(qc), rb = b.evaluate(qc);
    EXPECT_EQ(ra.metrics.at("accuracy"), rb.metrics.at("accuracy")) << i;
    EXPECT_EQ(ra.metrics.at("macro_accuracy"), rb.metrics.at("macro_accuracy")) << i;
    EXPECT_EQ(ra.metrics.at("loss"), rb.metrics.at("loss")) << i;
  }
  // 6 + 36 + 216 linear evaluations, all on the integer kernels; the memo recomputes only
  // from the first changed layer.
  EXPECT_EQ(a.integer_nodes(), 6 + 36 + 216);
  const int64_t macs = 784 * 256 + 256 * 128 + 128 * 10;
  EXPECT_EQ(b.macs_computed(), 216 * 96 * macs);
  EXPECT_EQ(a.macs_computed(), 96 * (6 * 784 * 256 + 36 * 256 * 128 + 216 * 128 * 10));
}

TEST(SearchRunner, BruteForceVisitsEveryConfigurationOnceAndWritesOutputs) {
  const auto cfg = io::load_run_config(write_toml("bf.toml", kSpace));
  const auto g = ir::build_zoo_model("jsc-toy", 1);
  const QuantSpace qs(cfg, g);
  const auto st = parse_search_config(cfg).strategy;
  auto [x, y] = data(200);
  TrialEvaluator ev(g, x, y, st.eval, quant::calibrate(g, x, {}));
  search::Study study(qs.space(), st.directions(), std::make_shared<search::InMemoryStorage>(),
                      search::make_sampler(st.sampler, st.sampler_options));
  const auto summary = run_search(study, qs, ev, st, nullptr);
  EXPECT_EQ(summary.trials, 48);
  EXPECT_TRUE(summary.exhausted);
  std::set<search::ParamVector> seen;
  for (const auto& t : study.trials()) {
    EXPECT_EQ(t.state, search::TrialState::Complete);
    EXPECT_TRUE(seen.insert(t.params).second);
  }
  // weight_frac_width NA and auto may resolve to the same formats: such trials are
  // answered from the result cache, and counted as such.
  EXPECT_EQ(summary.cached, ev.cache_hits());
  const auto dir = std::filesystem::temp_directory_path() / ("qdse_run_" + std::to_string(::getpid()));
  const auto best = report::write_run_outputs(dir.string(), study, qs, st, summary, {{"seed", 0}});
  ASSERT_EQ(best["trials"].size(), 1u);
  // The best trial is the true optimum of the recorded values.
  double top = -1e300;
  for (const auto& t : study.trials()) top = std::max(top, t.values[0]);
  EXPECT_EQ(best["trials"][0]["values"][0].get<double>(), top);
  for (const char* f : {"trials.json", "trials.csv", "best.json"})
    EXPECT_GT(std::filesystem::file_size(dir / f), 100u) << f;
}

}  // namespace
}  // namespace qdse::pipeline
