// Sampler and metric names through the binary (issue 14, item 3): both come from one
// table each (search/sampler_kind.hpp, metrics/metric_kind.hpp). A sampler spelled
// another accepted way is stored under its canonical name; an unknown sampler or metric
// is a one-line error listing the table; a latency metric makes the evaluator time passes.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "../support/errors.hpp"
#include "qdse/metrics/metric_kind.hpp"
#include "qdse/search/sampler_kind.hpp"
#include "small_search.hpp"

namespace qdse::cli {
namespace {

namespace fs = std::filesystem;
using namespace qdse::testing;

// Before the table, `sampler = "Brute_Force"` ran brute force but kept the raw spelling:
// provenance showed "Brute_Force" and the progress bar did not count the space's cells.
TEST(SamplerNames, OtherSpellingsAreStoredUnderTheCanonicalName) {
  QDSE_REQUIRE_SMALL_SEARCH();
  const auto dir = scratch_dir("sampler-spelling");
  SmallSearch s;
  s.sampler = "Brute_Force";
  write_text(dir / "config.toml", s.toml());
  const auto r = run_small_search(dir / "config.toml", "--n-trials 2 --out '" + (dir / "a").string() + "'", dir);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(read_json(dir / "a" / "best.json").at("provenance").at("sampler"), "bruteforce");
  const auto flag = run_small_search(dir / "config.toml",
                                     "--sampler NSGA-II --n-trials 2 --out '" + (dir / "b").string() + "'", dir);
  ASSERT_EQ(flag.status, 0) << flag.err;
  EXPECT_EQ(read_json(dir / "b" / "best.json").at("provenance").at("sampler"), "nsgaii");
  fs::remove_all(dir);
}

// Bad sampler names in the config, in --sampler and in compare's --strategies: one line, exit 1.
TEST(SamplerNames, UnknownOnesAreOneLineErrorsListingTheTable) {
  QDSE_REQUIRE_SMALL_SEARCH();
  const auto dir = scratch_dir("sampler-unknown");
  const std::string valid = "valid names: " + search::sampler_name_list();
  SmallSearch s;
  s.sampler = "annealing";
  write_text(dir / "bad.toml", s.toml());
  write_text(dir / "good.toml", SmallSearch{}.toml());
  const auto in_config = run_small_search(dir / "bad.toml", "--out '" + (dir / "r1").string() + "'", dir);
  const auto in_flag =
      run_small_search(dir / "good.toml", "--sampler cmaes --out '" + (dir / "r2").string() + "'", dir);
  const auto in_compare = run_qdse("-q compare --config '" + (dir / "good.toml").string() + "' --load '" +
                                       small_search_weights() + "' --strategies tpe,grid --out '" +
                                       (dir / "r3").string() + "'",
                                   dir);
  for (const auto& [r, name] : {std::pair{in_config, "annealing"}, {in_flag, "cmaes"}, {in_compare, "grid"}}) {
    EXPECT_EQ(r.status, 1) << r.err;
    EXPECT_EQ(line_count(r.err), 1) << r.err;
    EXPECT_CONTAINS(r.err, "unknown sampler `" + std::string(name) + "`");
    EXPECT_CONTAINS(r.err, valid);
  }
  EXPECT_CONTAINS(in_config.err, "bad.toml");  // located at the key
  EXPECT_CONTAINS(in_config.err, "sampler");
  for (const char* run : {"r1", "r2", "r3"}) EXPECT_FALSE(fs::exists(dir / run / "trials.json")) << run;
  fs::remove_all(dir);
}

// Unknown metrics, as an objective or as a constraint: one line naming file and key,
// listing every metric of the table.
TEST(MetricNames, UnknownOnesAreOneLineErrorsListingTheTable) {
  QDSE_REQUIRE_SMALL_SEARCH();
  SmallSearch objective;
  objective.metrics = "acuracy.scale = 1.0\nacuracy.direction = \"maximize\"\n";
  SmallSearch constraint;
  constraint.constraints = "bogus_cost = \"<= 1000\"\n";
  const std::string listed = "` is not computed by qdse; available metrics: " + metrics::metric_name_list();
  expect_bad_search_configs(scratch_dir("metric-unknown"),
                            {{"objective", "metric `acuracy" + listed}, {"constraint", "metric `bogus_cost" + listed}},
                            [&](const std::string& which) { return (which == "objective" ? objective : constraint).toml(); });
}

// needs_latency: a constraint on a latency metric alone makes every trial timed; without
// one, trials carry no latency (timing costs passes).
TEST(MetricNames, LatencyMetricsAreTimedOnlyWhenAsked) {
  QDSE_REQUIRE_SMALL_SEARCH();
  const auto dir = scratch_dir("metric-latency");
  SmallSearch timed;
  timed.constraints = "latency_per_sample_us = \"<= 1e12\"\n";
  write_text(dir / "timed.toml", timed.toml());
  write_text(dir / "plain.toml", SmallSearch{}.toml());
  for (const char* name : {"timed", "plain"}) {
    const auto run = dir / name;
    const auto r = run_small_search(dir / (std::string(name) + ".toml"), "--n-trials 2 --out '" + run.string() + "'",
                                    dir);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto trials = read_json(run / "trials.json");
    ASSERT_EQ(trials.size(), 2u);
    for (const auto& t : trials) {
      const auto& m = t.at("metrics");
      const bool is_timed = std::string(name) == "timed";
      EXPECT_EQ(m.contains("latency"), is_timed) << m.dump();
      EXPECT_EQ(m.contains("latency_per_sample_us"), is_timed) << m.dump();
      if (is_timed) EXPECT_GT(m.at("latency_per_sample_us").get<double>(), 0);
      // Every other metric the evaluator computes (the rows up to flops) is reported.
      for (const auto& row : metrics::metric_table().first(static_cast<std::size_t>(metrics::MetricKind::Flops) + 1))
        if (!row.needs_latency) EXPECT_TRUE(m.contains(std::string(row.name))) << row.name;
    }
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace qdse::cli
