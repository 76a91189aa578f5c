// `qdse search` with sampler = "sensitivity" (issue 17, item 4) through the binary on the
// small search (fmnist-mlp, peer weights, two layers x weight {2,4,8} x data_in {4,8}):
// the pass first, resume continues it exactly, the budget holds, bad keys are one line.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "../support/errors.hpp"
#include "../support/prerequisites.hpp"
#include "cli_runner.hpp"
#include "small_search.hpp"

namespace qdse::testing {
namespace {

namespace fs = std::filesystem;

std::string sens_sampler_toml(const std::string& sensitivity_table = "") {
  SmallSearch s;
  s.sampler = "sensitivity";
  s.n_trials = 12;
  std::string t = s.toml();
  if (!sensitivity_table.empty()) t += "[search.strategy.sensitivity]\n" + sensitivity_table;
  return t;
}

std::vector<std::string> sens_trial_params(const fs::path& run) {
  std::vector<std::string> out;
  for (const auto& t : nlohmann::json::parse(read_text(run / "trials.json"))) out.push_back(t.at("params").dump());
  return out;
}

TEST(SensitivitySamplerCli, PassFirstThenModelAndResumeContinuesExactly) {
  QDSE_REQUIRE_SMALL_SEARCH();
  const auto dir = scratch_dir("sens-sampler");
  write_text(dir / "s.toml", sens_sampler_toml());
  // 12 trials, then 8 more on the same study; and 20 in one go.
  auto r = run_small_search(dir / "s.toml", "--out '" + (dir / "split").string() + "'", dir);
  ASSERT_EQ(r.status, 0) << r.err;
  r = run_small_search(dir / "s.toml", "--out '" + (dir / "split").string() + "' --n-trials 8", dir);
  ASSERT_EQ(r.status, 0) << r.err;
  r = run_small_search(dir / "s.toml", "--out '" + (dir / "whole").string() + "' --n-trials 20", dir);
  ASSERT_EQ(r.status, 0) << r.err;
  const auto split = sens_trial_params(dir / "split"), whole = sens_trial_params(dir / "whole");
  ASSERT_EQ(whole.size(), 20u);
  EXPECT_EQ(split, whole) << "a resumed study continues the sampler exactly";
  EXPECT_EQ(std::set<std::string>(whole.begin(), whole.end()).size(), whole.size()) << "no configuration twice";
  // Phase 1: the widest configuration, then 6 single-key deviations (1 + 2 per layer).
  const auto trials = nlohmann::json::parse(read_text(dir / "whole" / "trials.json"));
  const auto ref = trials[0].at("params");
  for (const auto& [key, value] : ref.items())
    if (key.ends_with("_width")) EXPECT_EQ(value.dump(), "8") << key;
  for (int i = 1; i <= 6; ++i) {
    int differing = 0;
    for (const auto& [key, value] : trials[i].at("params").items()) differing += value != ref.at(key);
    EXPECT_EQ(differing, 1) << trials[i].dump();
  }
  // The model-guided phase finds the brute-force optimum of the 36 configurations.
  r = run_small_search(dir / "s.toml", "--out '" + (dir / "bf").string() + "' --sampler bruteforce --n-trials 36", dir);
  ASSERT_EQ(r.status, 0) << r.err;
  double best = -1e300, found = -1e300;
  for (const auto& t : nlohmann::json::parse(read_text(dir / "bf" / "trials.json")))
    best = std::max(best, t.at("values")[0].get<double>());
  for (const auto& t : trials) found = std::max(found, t.at("values")[0].get<double>());
  EXPECT_EQ(found, best);
}

TEST(SensitivitySamplerCli, BudgetHoldsAfterThePass) {
  QDSE_REQUIRE_SMALL_SEARCH();
  const auto dir = scratch_dir("sens-sampler-budget");
  // BitOPs: seq_blocks_1 has 200704 MACs, _3 32768, the float _5 1280 at 32 x 32 bits; the
  // reference (w8d8 twice) costs 16.3 M, the cheapest (w2d4 twice) 3.2 M: 6 M binds.
  const double budget = 6e6;
  write_text(dir / "s.toml", sens_sampler_toml("cost = \"bitops\"\nbudget = " + std::to_string(budget) + "\n"));
  const auto r = run_small_search(dir / "s.toml", "--out '" + (dir / "run").string() + "'", dir);
  ASSERT_EQ(r.status, 0) << r.err;
  const auto trials = nlohmann::json::parse(read_text(dir / "run" / "trials.json"));
  ASSERT_EQ(trials.size(), 12u);
  int over_in_pass = 0;
  for (std::size_t i = 0; i < trials.size(); ++i) {
    const double bitops = trials[i].at("metrics").at("bitops").get<double>();
    if (i >= 7) EXPECT_LE(bitops, budget) << trials[i].dump();
    else over_in_pass += bitops > budget;
  }
  EXPECT_GT(over_in_pass, 0) << "the budget binds (the pass measures the reference regardless)";
}

TEST(SensitivitySamplerCli, BadKeysAreOneLineErrors) {
  expect_bad_search_keys("sens-sampler-bad", sens_sampler_toml, {
      {"cost = \"average_bitwidth\"\n", "`cost` must be a metric that is a sum over layers"},
      {"cost = \"speed\"\n", "got \"speed\""},
      {"budget = 10\n", "`budget` needs `cost`"},
      {"cost = \"bitops\"\nbudget = 1000\n", "budget = 1000 is below the cheapest configuration's bitops ("},
      {"cost = \"bitops\"\nbudget = nan\n", "budget"},
      {"interaction = true\n", "interaction"},
  });
}

}  // namespace
}  // namespace qdse::testing
