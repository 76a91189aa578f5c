// warm_start = true on tpe (issue 17, item 4) through the binary on the small search: the
// predicted front of `qdse plan` comes first (most accurate end, cheapest end, ...), from a
// sensitivity.json or from a pass measured when the search starts; bad keys are one line.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "../support/errors.hpp"
#include "../support/prerequisites.hpp"
#include "cli_runner.hpp"
#include "small_search.hpp"

namespace qdse::testing {
namespace {

namespace fs = std::filesystem;

std::string warm_toml(const std::string& tpe_lines) {
  SmallSearch s;
  s.sampler = "tpe";
  s.n_trials = 12;
  return s.toml() + "[search.strategy.tpe]\n" + tpe_lines + "[search.strategy.sensitivity]\ncost = \"bitops\"\n";
}

TEST(WarmStartCli, TpeProposesThePlannedFrontFirst) {
  QDSE_REQUIRE_SMALL_SEARCH();
  const auto dir = scratch_dir("warm-start");
  write_text(dir / "plain.toml", SmallSearch{}.toml());
  auto r = run_qdse("-q sensitivity --config '" + (dir / "plain.toml").string() + "' --load '" +
                        small_search_weights() + "' --out '" + (dir / "sens").string() + "'",
                    dir);
  ASSERT_EQ(r.status, 0) << r.err;
  r = run_qdse("--json plan --sensitivity '" + (dir / "sens" / "sensitivity.json").string() + "' --cost bitops", dir);
  ASSERT_EQ(r.status, 0) << r.err;
  const auto plans = nlohmann::json::parse(r.out).at("plans");
  ASSERT_GE(plans.size(), 3u);
  ASSERT_LE(plans.size(), 10u) << "every point of the small space's front is enqueued";

  write_text(dir / "table.toml", warm_toml("warm_start = true\nwarm_start_table = \"sens/sensitivity.json\"\n"));
  write_text(dir / "pass.toml", warm_toml("warm_start = true\n"));
  r = run_small_search(dir / "table.toml", "--out '" + (dir / "table").string() + "'", dir);
  ASSERT_EQ(r.status, 0) << r.err;
  r = run_small_search(dir / "pass.toml", "--out '" + (dir / "pass").string() + "'", dir);
  ASSERT_EQ(r.status, 0) << r.err;
  const auto table = nlohmann::json::parse(read_text(dir / "table" / "trials.json"));
  const auto pass = nlohmann::json::parse(read_text(dir / "pass" / "trials.json"));
  ASSERT_EQ(table.size(), 12u);
  const std::size_t n = plans.size();
  // BitOPs are a sum over layers, so a plan's predicted cost is its measured one.
  auto bitops = [](const nlohmann::json& t) { return t.at("metrics").at("bitops").get<double>(); };
  EXPECT_DOUBLE_EQ(bitops(table[0]), plans[n - 1].at("cost").get<double>()) << "the most accurate end first";
  EXPECT_DOUBLE_EQ(bitops(table[1]), plans[0].at("cost").get<double>()) << "then the cheapest end";
  std::vector<double> first, planned;
  for (std::size_t i = 0; i < n; ++i) {
    first.push_back(bitops(table[i]));
    planned.push_back(plans[i].at("cost").get<double>());
    EXPECT_EQ(table[i].at("params"), pass[i].at("params")) << "the pass measured at start gives the same table";
  }
  std::sort(first.begin(), first.end());
  EXPECT_EQ(first, planned);
  // Without warm_start, TPE's first trial is a random one, not the planned most accurate one.
  write_text(dir / "cold.toml", warm_toml(""));
  r = run_small_search(dir / "cold.toml", "--out '" + (dir / "cold").string() + "' --n-trials 2", dir);
  ASSERT_EQ(r.status, 0) << r.err;
  const auto cold = nlohmann::json::parse(read_text(dir / "cold" / "trials.json"));
  EXPECT_NE(cold[0].at("params"), table[0].at("params"));
}

TEST(WarmStartCli, BadKeysAreOneLineErrors) {
  expect_bad_search_keys("warm-start-bad", warm_toml, {
      {"warm_start = true\nwarm_start_table = \"missing.json\"\n", "missing.json"},
      {"warm_start_table = \"x.json\"\n", "`warm_start_table` needs `warm_start = true`"},
      {"warm_start = 1\n", "warm_start"},
  });
}

}  // namespace
}  // namespace qdse::testing
