// pipeline::SearchConfig: every [search] key read by parse_search_config into its value,
// command-line overrides through apply_overrides, located one-line errors for bad keys,
// defaults without [search.strategy]; and the typed choices of a QuantSpace (values of
// their own type, matched by value rather than through their text).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "../support/errors.hpp"
#include "../support/temp_dir.hpp"
#include "qdse/io/run_config.hpp"
#include "qdse/ir/zoo.hpp"
#include "qdse/pipeline/quant_space.hpp"
#include "qdse/pipeline/run_export.hpp"
#include "qdse/pipeline/search_config.hpp"
#include "qdse/pipeline/thread_budget.hpp"

namespace qdse::pipeline {
namespace {

using qdse::testing::error_of;
using qdse::testing::TempDir;

// Seed tables over jsc-toy: 2 x 2 choices for seq_blocks_2.
const std::string kSeeds = R"([search.search_space.seed.default.config]
name = ["NA"]
[search.search_space.seed.seq_blocks_2.config]
name = ["integer"]
data_in_width = [4, 8]
weight_width = [2, 4]
)";

// Every key of [search] at a value other than its default.
const std::string kEveryKey = R"(model = "jsc-toy"
seed = 5
eval_batch_size = 64
[search]
[search.search_space]
name = "graph/quantize/mixed_precision_ptq"
setup.by = "name"
)" + kSeeds + R"([search.search_space.calibration]
num_samples = 32
statistic = "percentile"
percentile = 99.5
[search.strategy]
name = "optuna"
eval_mode = true
memo_budget_mb = 5
latency_repeats = 4
[search.strategy.sw_runner.basic_evaluation]
data_loader = "test_dataloader"
num_samples = 64
[search.strategy.hw_runner.average_bitwidth]
compare_to = 16
[search.strategy.setup]
sampler = "random"
n_trials = 7
timeout = 12.5
n_jobs = 1
sum_scaled_metrics = false
direction = "minimize"
seed = 42
storage = "memory:"
study_name = "s1"
heartbeat = 30
[search.strategy.tpe]
n_startup_trials = 3
n_ei_candidates = 11
multivariate = true
avoid_duplicates = false
ordered_categoricals = true
prior_weight = 2.5
consider_endpoints = true
[search.strategy.nsgaii]
population_size = 6
crossover_prob = 0.8
swapping_prob = 0.25
avoid_duplicates = false
[search.strategy.metrics]
accuracy.scale = 2.0
accuracy.direction = "maximize"
latency.scale = 0.5
latency.direction = "minimize"
[search.strategy.constraints]
model_size_bytes = "<= 1000"
)";

// The search space alone: no [search.strategy].
const std::string kSpaceOnly = "model = \"jsc-toy\"\n[search.search_space]\nsetup.by = \"name\"\n" + kSeeds;

// `text` with its line `old` replaced by `line` (which may hold several lines).
std::string replaced(std::string text, const std::string& old, const std::string& line) {
  const auto at = text.find("\n" + old + "\n");
  EXPECT_NE(at, std::string::npos) << old;
  if (at != std::string::npos) text.replace(at + 1, old.size(), line);
  return text;
}

// 1-based number of the line of `text` that starts with `start`.
int line_of(const std::string& text, const std::string& start) {
  int line = 1;
  std::size_t begin = 0;
  while (begin < text.size()) {
    if (text.compare(begin, start.size(), start) == 0) return line;
    begin = text.find('\n', begin);
    if (begin == std::string::npos) break;
    ++begin, ++line;
  }
  ADD_FAILURE() << "no line starts with " << start;
  return 0;
}

SearchConfig parse_text(const TempDir& dir, const std::string& text, SearchParts parts = SearchParts::All) {
  return parse_search_config(io::load_run_config(dir.write("c.toml", text)), parts);
}

TEST(SearchConfig, EveryKeyIsParsedIntoItsValue) {
  const TempDir dir("search_config");
  const SearchConfig c = parse_text(dir, kEveryKey);

  EXPECT_EQ(c.space.by, io::QuantizeBy::Name);
  EXPECT_EQ(c.space.calibration.num_samples, 32);
  EXPECT_EQ(c.space.calibration.statistic, quant::CalibrationOptions::Statistic::Percentile);
  EXPECT_EQ(c.space.calibration.percentile, 99.5);
  ASSERT_TRUE(c.space.seed.has_value());
  EXPECT_EQ(c.space.seed->keys(), (std::vector<std::string>{"default", "seq_blocks_2"}));
  EXPECT_CONTAINS(c.space.where, "c.toml:5 (search.search_space)");
  // The seed tables make the space over a graph: 2 x 2 choices for seq_blocks_2.
  const QuantSpace space(c.space, ir::build_zoo_model("jsc-toy"));
  EXPECT_EQ(space.space().size(), std::optional<std::uint64_t>(4));
  EXPECT_EQ(space.calibration().num_samples, 32);

  const StrategyConfig& s = c.strategy;
  EXPECT_EQ(s.sampler, "random");
  EXPECT_EQ(s.n_trials, 7);
  EXPECT_EQ(s.timeout_seconds, 12.5);
  EXPECT_EQ(s.n_jobs, 1);
  EXPECT_FALSE(s.sum_scaled_metrics);
  EXPECT_EQ(s.direction, search::Direction::Minimize);
  EXPECT_EQ(s.sampler_options.seed, 42u);  // setup.seed over the top-level seed
  EXPECT_EQ(s.split, data::SplitKind::Test);
  EXPECT_EQ(s.eval.num_samples, 64);
  EXPECT_EQ(s.eval.batch_size, 64);  // the top-level eval_batch_size
  EXPECT_EQ(s.eval.compare_to, 16);
  EXPECT_EQ(s.eval.memo_budget_bytes, int64_t{5} << 20);
  EXPECT_EQ(s.eval.latency_repeats, 4);
  EXPECT_TRUE(s.eval.measure_latency);  // latency is a metric
  const auto& tpe = s.sampler_options.tpe;
  EXPECT_EQ(tpe.n_startup_trials, 3);
  EXPECT_EQ(tpe.n_ei_candidates, 11);
  EXPECT_TRUE(tpe.multivariate);
  EXPECT_FALSE(tpe.avoid_duplicates);
  EXPECT_TRUE(tpe.ordered_categoricals);
  EXPECT_EQ(tpe.prior_weight, 2.5);
  EXPECT_TRUE(tpe.consider_endpoints);
  const auto& ns = s.sampler_options.nsgaii;
  EXPECT_EQ(ns.population_size, 6);
  EXPECT_EQ(ns.crossover_prob, 0.8);
  EXPECT_EQ(ns.swapping_prob, 0.25);
  EXPECT_FALSE(ns.avoid_duplicates);
  ASSERT_EQ(s.metrics.size(), 2u);  // in key order
  EXPECT_EQ(s.metrics[0].name, "accuracy");
  EXPECT_EQ(s.metrics[0].scale, 2.0);
  EXPECT_EQ(s.metrics[0].direction, search::Direction::Maximize);
  EXPECT_EQ(s.metrics[1].name, "latency");
  EXPECT_EQ(s.metrics[1].scale, 0.5);
  EXPECT_EQ(s.metrics[1].direction, search::Direction::Minimize);
  EXPECT_EQ(s.directions(), (std::vector<search::Direction>{search::Direction::Maximize, search::Direction::Minimize}));
  ASSERT_EQ(s.constraints.size(), 1u);
  EXPECT_EQ(s.constraints[0].metric, "model_size_bytes");
  EXPECT_FALSE(s.constraints[0].at_least);
  EXPECT_EQ(s.constraints[0].bound, 1000);
  EXPECT_FALSE(s.constraints[0].relative);
  EXPECT_EQ(s.constraints[0].text, "<= 1000");

  EXPECT_EQ(c.setup.storage, "memory:");
  EXPECT_EQ(c.setup.study, "s1");
  EXPECT_EQ(c.setup.heartbeat, 30);

  // Without setup.seed the sampler seed is the top-level seed.
  const SearchConfig top = parse_text(dir, replaced(kEveryKey, "seed = 42", ""));
  EXPECT_EQ(top.strategy.sampler_options.seed, 5u);
}

TEST(SearchConfig, AnOverrideReplacesItsKeyAndNoOverrideKeepsThemAll) {
  const TempDir dir("search_config");
  const SearchConfig parsed = parse_text(dir, kEveryKey);

  SearchConfig kept = parsed;
  apply_overrides(kept, SearchOverrides{});
  EXPECT_EQ(kept.strategy.sampler, "random");
  EXPECT_EQ(kept.strategy.n_trials, 7);
  EXPECT_EQ(kept.strategy.timeout_seconds, 12.5);
  EXPECT_EQ(kept.strategy.n_jobs, 1);
  EXPECT_EQ(kept.strategy.sampler_options.seed, 42u);
  EXPECT_EQ(kept.setup.storage, "memory:");
  EXPECT_EQ(kept.setup.study, "s1");
  EXPECT_EQ(kept.setup.heartbeat, 30);

  SearchOverrides o;
  o.sampler = "tpe";
  o.storage = "other.db";
  o.study = "s2";
  o.n_trials = 3;
  o.n_jobs = n_jobs_problem(2) ? 1 : 2;  // what this machine can run
  o.timeout = 0;  // 0 = no timeout: an override, unlike the -1 default
  o.heartbeat = 5;
  o.seed = 9;
  SearchConfig c = parsed;
  apply_overrides(c, o);
  EXPECT_EQ(c.strategy.sampler, "tpe");
  EXPECT_EQ(c.setup.storage, "other.db");
  EXPECT_EQ(c.setup.study, "s2");
  EXPECT_EQ(c.strategy.n_trials, 3);
  EXPECT_EQ(c.strategy.n_jobs, o.n_jobs);
  EXPECT_EQ(c.strategy.timeout_seconds, 0);
  EXPECT_EQ(c.setup.heartbeat, 5);
  EXPECT_EQ(c.strategy.sampler_options.seed, 9u);
  // What no flag overrides stays as parsed.
  EXPECT_EQ(c.strategy.metrics.size(), 2u);
  EXPECT_EQ(c.strategy.eval.latency_repeats, 4);

  // A bad flag: one line naming it, and the config is left as it was.
  SearchConfig bad = parsed;
  SearchOverrides jobs;
  jobs.n_jobs = 100000000;
  const std::string e1 = error_of([&] { apply_overrides(bad, jobs); });
  EXPECT_EQ(e1.rfind("--n-jobs: ", 0), 0u) << e1;
  EXPECT_EQ(e1.find('\n'), std::string::npos) << e1;
  SearchOverrides sampler;
  sampler.sampler = "annealing";
  const std::string e2 = error_of([&] { apply_overrides(bad, sampler); });
  EXPECT_CONTAINS(e2, "annealing");
  EXPECT_CONTAINS(e2, "tpe");  // the valid names are listed
  EXPECT_EQ(bad.strategy.sampler, "random");
  EXPECT_EQ(bad.strategy.n_jobs, 1);
}

TEST(SearchConfig, BadKeysKeepTheirLocatedOneLineErrors) {
  struct Case {
    std::string old_line, new_line;  // kEveryKey's line and its replacement
    std::string at;                  // the line the error points at (its start)
    std::string path;                // the key path it names
    std::string message;             // part of the message
  };
  const std::vector<Case> cases = {
      {"[search]", "[search]\nsample = 1", "sample = 1", "search.sample", "unknown key `sample`; valid keys here: search_space, strategy"},
      {"eval_mode = true", "evalmode = true", "evalmode", "search.strategy.evalmode", "unknown key `evalmode`"},
      {"n_trials = 7", "n_trials = 0", "n_trials", "search.strategy.setup.n_trials", "`n_trials` must be in [1, 1e8], got 0"},
      {"n_jobs = 1", "n_jobs = 100000000", "n_jobs", "search.strategy.setup.n_jobs", "n_jobs"},
      {"timeout = 12.5", "timeout = nan", "timeout", "search.strategy.setup.timeout", "`timeout` must be a finite number, got nan"},
      {"heartbeat = 30", "heartbeat = -1", "heartbeat", "search.strategy.setup.heartbeat", "`heartbeat` must be > 0 seconds"},
      {"direction = \"minimize\"", "direction = \"down\"", "direction", "search.strategy.setup.direction",
       "`direction` must be \"maximize\" or \"minimize\", got \"down\""},
      {"sampler = \"random\"", "sampler = \"annealing\"", "sampler", "search.strategy.setup.sampler", "annealing"},
      {"seed = 42", "seed = -3", "seed = -3", "search.strategy.setup.seed", "`seed` must be >= 0, got -3"},
      {"data_loader = \"test_dataloader\"", "data_loader = \"dev_dataloader\"", "data_loader",
       "search.strategy.sw_runner.basic_evaluation.data_loader", "got \"dev_dataloader\""},
      {"compare_to = 16", "compare_to = 0", "compare_to", "search.strategy.hw_runner.average_bitwidth.compare_to",
       "`compare_to` must be a positive bit width"},
      {"memo_budget_mb = 5", "memo_budget_mb = -1", "memo_budget_mb", "search.strategy.memo_budget_mb",
       "`memo_budget_mb` must be in [0, 1048576], got -1"},
      {"prior_weight = 2.5", "prior_weight = 0.0", "prior_weight", "search.strategy.tpe.prior_weight", "`prior_weight` must be > 0"},
      {"crossover_prob = 0.8", "crossover_prob = 1.5", "crossover_prob", "search.strategy.nsgaii.crossover_prob",
       "`crossover_prob` must be in [0, 1], got 1.5"},
      {"accuracy.scale = 2.0", "acuracy.scale = 2.0", "acuracy", "search.strategy.metrics.acuracy",
       "metric `acuracy` is not computed by qdse; available metrics: accuracy"},
      {"model_size_bytes = \"<= 1000\"", "model_size_bytes = \"< 1000\"", "model_size_bytes",
       "search.strategy.constraints.model_size_bytes", "must look like \">= 0.99 * float\""},
      {"setup.by = \"name\"", "setup.by = \"layer\"", "setup.by", "search.search_space.setup.by",
       "`by` must be \"type\" or \"name\", got \"layer\""},
      {"name = \"graph/quantize/mixed_precision_ptq\"", "name = \"graph/quantize/other\"", "name = \"graph",
       "search.search_space.name", "search space `graph/quantize/other` is not supported"},
  };
  const TempDir dir("search_config");
  int clean = 0;
  for (const auto& c : cases) {
    const std::string text = replaced(kEveryKey, c.old_line, c.new_line);
    const std::string e = error_of([&] { parse_text(dir, text); });
    const std::string where = "c.toml:" + std::to_string(line_of(text, c.at)) + " (" + c.path + ")";
    EXPECT_CONTAINS(e, where);
    EXPECT_CONTAINS(e, c.message);
    EXPECT_EQ(e.find('\n'), std::string::npos) << e;
    clean += !e.empty() && e.find(where) != std::string::npos && e.find('\n') == std::string::npos;
  }
  EXPECT_EQ(clean, static_cast<int>(cases.size()));

  // Missing tables name the table that lacks them.
  EXPECT_CONTAINS(error_of([&] { parse_text(dir, "model = \"jsc-toy\"\n"); }), "no [search] table in ");
  const std::string no_seed = error_of([&] {
    parse_text(dir, "model = \"jsc-toy\"\n[search.search_space]\nsetup.by = \"name\"\n", SearchParts::Space);
  });
  EXPECT_CONTAINS(no_seed, "needs `seed` tables");
  EXPECT_CONTAINS(no_seed, "c.toml:2 (search.search_space)");
}

TEST(SearchConfig, NoStrategyTableGivesTheDefaultsToTheSpaceOnlyReaders) {
  const TempDir dir("search_config");
  // qdse space and the hls4ml export read the space only: the strategy keeps its defaults.
  const SearchConfig c = parse_text(dir, kSpaceOnly, SearchParts::Space);
  const StrategyConfig defaults;
  EXPECT_EQ(c.strategy.sampler, "tpe");
  EXPECT_EQ(c.strategy.n_trials, defaults.n_trials);
  EXPECT_EQ(c.strategy.timeout_seconds, 0);
  EXPECT_EQ(c.strategy.n_jobs, 1);
  EXPECT_TRUE(c.strategy.sum_scaled_metrics);
  EXPECT_EQ(c.strategy.split, data::SplitKind::Validation);
  EXPECT_TRUE(c.strategy.metrics.empty());
  EXPECT_TRUE(c.strategy.constraints.empty());
  EXPECT_EQ(c.setup.storage, "");
  EXPECT_EQ(c.setup.study, "");
  EXPECT_EQ(c.setup.heartbeat, 120);
  EXPECT_EQ(c.space.by, io::QuantizeBy::Name);
  EXPECT_EQ(c.space.calibration.num_samples, quant::CalibrationOptions{}.num_samples);

  // The same defaults as a strategy table that names only its metrics.
  const SearchConfig m = parse_text(dir, kSpaceOnly + "[search.strategy.metrics]\naccuracy.scale = 1.0\n");
  EXPECT_EQ(m.strategy.sampler, c.strategy.sampler);
  EXPECT_EQ(m.strategy.n_trials, c.strategy.n_trials);
  EXPECT_EQ(m.strategy.eval.memo_budget_bytes, c.strategy.eval.memo_budget_bytes);
  EXPECT_EQ(m.strategy.eval.latency_repeats, c.strategy.eval.latency_repeats);
  EXPECT_EQ(m.strategy.eval.compare_to, c.strategy.eval.compare_to);
  EXPECT_EQ(m.strategy.sampler_options.tpe.n_startup_trials, c.strategy.sampler_options.tpe.n_startup_trials);
  EXPECT_EQ(m.strategy.sampler_options.nsgaii.population_size, c.strategy.sampler_options.nsgaii.population_size);
  EXPECT_EQ(m.setup.heartbeat, c.setup.heartbeat);

  // A search needs the table: one located line.
  const std::string e = error_of([&] { parse_text(dir, kSpaceOnly); });
  EXPECT_CONTAINS(e, "[search] needs a `strategy` table");
  EXPECT_CONTAINS(e, "c.toml");
  EXPECT_CONTAINS(e, "(search)");
}

// Choices keep their TOML type: two thresholds that print alike ("0.123457") stay two
// values, and a recorded value finds its choice by value, not by text.
TEST(QuantSpaceChoices, AreTypedValuesMatchedByValue) {
  const TempDir dir("search_config");
  const SearchConfig c = parse_text(dir, R"(model = "jsc-toy"
[search.search_space]
setup.by = "name"
[search.search_space.seed.default.config]
name = ["NA"]
[search.search_space.seed.seq_blocks_2.config]
name = ["ternary", "NA"]
weight_threshold = [0.1234567, 0.1234568, 1.0]
weight_scaled = [true, false]
)", SearchParts::Space);
  const QuantSpace space(c.space, ir::build_zoo_model("jsc-toy"));
  const auto& s = space.space();
  // Params of seq_blocks_2: "name" first, then its keys in order (the default table
  // gives every other layer one "name" param).
  const std::size_t name = s.index_of("seq_blocks_2/config/name");
  const std::size_t scaled = s.index_of("seq_blocks_2/config/weight_scaled");
  const std::size_t threshold = s.index_of("seq_blocks_2/config/weight_threshold");
  EXPECT_EQ(scaled, name + 1);
  EXPECT_EQ(threshold, name + 2);
  EXPECT_EQ(space.choices(name), (std::vector<quant::ConfigValue>{std::string("ternary"), std::string("NA")}));
  EXPECT_EQ(space.choices(scaled), (std::vector<quant::ConfigValue>{true, false}));
  EXPECT_EQ(space.choices(threshold), (std::vector<quant::ConfigValue>{0.1234567, 0.1234568, 1.0}));

  // The two thresholds share a label (6 significant digits): text cannot tell them apart.
  EXPECT_EQ(choice_label(space.choices(threshold)[0]), "0.123457");
  EXPECT_EQ(choice_label(space.choices(threshold)[1]), "0.123457");
  EXPECT_EQ(choice_label(space.choices(name)[1]), "\"NA\"");
  // As JSON each keeps its type and value.
  EXPECT_EQ(choice_json(space.choices(threshold)[1]).dump(), "0.1234568");
  EXPECT_EQ(choice_json(space.choices(threshold)[2]).dump(), "1.0");
  EXPECT_EQ(choice_json(space.choices(name)[1]).dump(), "\"NA\"");
  EXPECT_EQ(choice_json(space.choices(scaled)[0]).dump(), "true");
  EXPECT_EQ(choice_json(quant::ConfigValue{int64_t{8}}).dump(), "8");

  // Every recorded value maps back to its own choice.
  for (std::size_t i = 0; i < s.n_params(); ++i)
    for (std::size_t k = 0; k < space.choices(i).size(); ++k) {
      nlohmann::json params;
      for (std::size_t j = 0; j < s.n_params(); ++j) params[s.name(j)] = choice_json(space.choices(j)[j == i ? k : 0]);
      const auto p = params_from_json(space, params, "best.json");
      EXPECT_EQ(p[i], static_cast<double>(k)) << s.name(i) << " choice " << k;
    }
  // Numbers by value: a recorded 1 is the choice 1.0; a value that is no choice is refused.
  EXPECT_EQ(space.choice_index(threshold, int64_t{1}), std::optional<std::size_t>(2));
  EXPECT_EQ(space.choice_index(threshold, 0.123457), std::nullopt);
  EXPECT_EQ(space.choice_index(scaled, std::string("true")), std::nullopt);
  nlohmann::json params;
  for (std::size_t j = 0; j < s.n_params(); ++j) params[s.name(j)] = choice_json(space.choices(j)[0]);
  params[s.name(threshold)] = 0.5;
  const std::string e = error_of([&] { params_from_json(space, params, "best.json"); });
  EXPECT_CONTAINS(e, "best.json: param 'seq_blocks_2/config/weight_threshold' = 0.5 is not one of its choices");
}

}  // namespace
}  // namespace qdse::pipeline
