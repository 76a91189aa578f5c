// Multi-fidelity ([search.strategy.multi_fidelity], docs/search.md) through the binary on the
// small search (36 configurations, brute force): with the safe bound the best trial / the
// feasible front equal those of the run without it, trials that stop are stored PRUNED with
// their rung and partial figures, a resumed study keeps them and re-evaluates nothing, and
// bad keys are one-line errors naming the key.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "../support/prerequisites.hpp"
#include "cli_runner.hpp"
#include "small_search.hpp"

namespace qdse::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// The small search on 1024 validation samples (rungs of 128, 512, 1024), with `mf_lines` in
// [search.strategy.multi_fidelity] unless empty; `multi` = accuracy and average_bitwidth
// as two objectives instead of their weighted sum.
std::string mf_search_toml(const std::string& mf_lines, bool multi = false) {
  SmallSearch s;
  s.num_samples = 1024;
  if (multi) {
    s.setup = "sum_scaled_metrics = false\n";
    s.metrics = accuracy_metric() + "average_bitwidth.scale = 1.0\naverage_bitwidth.direction = \"minimize\"\n";
  }
  std::string t = s.toml();
  if (!mf_lines.empty()) t += "[search.strategy.multi_fidelity]\n" + mf_lines;
  return t;
}

json mf_trials_of(const fs::path& run) { return json::parse(read_text(run / "trials.json")); }

// best.json's winners (the best trial, or the feasible front) as number -> objective values.
std::map<int, json> mf_winners_of(const fs::path& run) {
  std::map<int, json> out;
  const json best = json::parse(read_text(run / "best.json"));  // alive for the loop
  for (const auto& t : best.at("trials"))
    out[t.at("number").get<int>()] = t.at("values");
  return out;
}

// Runs the search of `toml` into dir/name; returns the run directory.
fs::path run_mf_search(const fs::path& dir, const std::string& name, const std::string& toml,
                       const std::string& extra = "") {
  write_text(dir / (name + ".toml"), toml);
  const auto r = run_small_search(dir / (name + ".toml"), "--out '" + (dir / name).string() + "' " + extra, dir / "log");
  EXPECT_EQ(r.status, 0) << r.err;
  return dir / name;
}

// The checks shared by one and several objectives: same winners; every trial of the
// pruned run is either Complete with the unpruned run's figures or Pruned at rung 0 or 1
// with that rung's sample count and partial figures, and never among the winners.
void expect_same_winners_with_pruned_trials(const fs::path& plain, const fs::path& pruned) {
  const json a = mf_trials_of(plain), b = mf_trials_of(pruned);
  ASSERT_EQ(a.size(), 36u);
  ASSERT_EQ(b.size(), 36u);
  const auto winners = mf_winners_of(pruned);
  EXPECT_FALSE(winners.empty());
  EXPECT_EQ(winners, mf_winners_of(plain));
  int n_pruned = 0;
  const std::map<int, int> rung_samples = {{0, 128}, {1, 512}};
  for (std::size_t i = 0; i < b.size(); ++i) {
    ASSERT_EQ(a[i].at("params"), b[i].at("params")) << "brute force visits the same order";
    const auto& m = b[i].at("metrics");
    if (b[i].at("state") == "COMPLETE") {
      EXPECT_EQ(m.at("accuracy"), a[i].at("metrics").at("accuracy")) << "trial " << i;
      EXPECT_EQ(b[i].at("values"), a[i].at("values")) << "trial " << i;
      continue;
    }
    ASSERT_EQ(b[i].at("state"), "PRUNED") << "trial " << i;
    ++n_pruned;
    const int rung = m.at("pruned_rung").get<int>();
    ASSERT_TRUE(rung_samples.count(rung)) << "trial " << i << " rung " << rung;
    EXPECT_EQ(m.at("fidelity_samples").get<int>(), rung_samples.at(rung));
    EXPECT_EQ(b[i].at("values").size(), a[i].at("values").size()) << "partial values are kept";
    EXPECT_FALSE(winners.count(b[i].at("number").get<int>()));
  }
  EXPECT_GT(n_pruned, 0) << "the small space prunes something";
  const json summary = json::parse(read_text(pruned / "best.json")).at("summary");
  EXPECT_EQ(summary.at("pruned").get<int>(), n_pruned);
  EXPECT_LT(summary.at("samples_evaluated").get<int64_t>(), 36 * 1024);
  EXPECT_FALSE(json::parse(read_text(plain / "best.json")).at("summary").contains("pruned"))
      << "a run without multi-fidelity keeps its best.json";
}

TEST(MultiFidelity, SafeBoundKeepsTheBestOfTheUnprunedRun) {
  QDSE_REQUIRE_SMALL_SEARCH();
  const auto dir = scratch_dir("mf-single");
  const auto plain = run_mf_search(dir, "plain", mf_search_toml(""));
  const auto pruned = run_mf_search(dir, "pruned", mf_search_toml("enabled = true\n"));
  expect_same_winners_with_pruned_trials(plain, pruned);
  // enabled = false is the run without it, trial for trial.
  const auto off = run_mf_search(dir, "off", mf_search_toml("enabled = false\nmargin = 0.5\n"));
  const json a = mf_trials_of(plain), c = mf_trials_of(off);
  ASSERT_EQ(c.size(), a.size());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(c[i].at("metrics"), a[i].at("metrics"));
}

TEST(MultiFidelity, SafeBoundKeepsTheFrontOfTheUnprunedRun) {
  QDSE_REQUIRE_SMALL_SEARCH();
  const auto dir = scratch_dir("mf-multi");
  const auto plain = run_mf_search(dir, "plain", mf_search_toml("", true));
  const auto pruned = run_mf_search(dir, "pruned", mf_search_toml("enabled = true\nrungs = [0.125, 0.5, 1.0]\n", true));
  expect_same_winners_with_pruned_trials(plain, pruned);
  EXPECT_GT(mf_winners_of(plain).size(), 1u) << "a front, not one point";
}

TEST(MultiFidelity, ResumedStudyKeepsItsPrunedTrials) {
  QDSE_REQUIRE_SMALL_SEARCH();
  const auto dir = scratch_dir("mf-resume");
  const auto plain = run_mf_search(dir, "plain", mf_search_toml(""));
  const std::string mf = mf_search_toml("enabled = true\n");
  // 30 trials, then the rest of the space in the same study (SQLite in the run directory).
  run_mf_search(dir, "resumed", mf, "--study s --n-trials 30");
  const json first = mf_trials_of(dir / "resumed");
  ASSERT_EQ(first.size(), 30u);
  run_mf_search(dir, "resumed", mf, "--study s --n-trials 30");
  const json all = mf_trials_of(dir / "resumed");
  ASSERT_EQ(all.size(), 36u) << "the space has 36 configurations";
  std::set<std::string> configs;
  int pruned = 0;
  for (std::size_t i = 0; i < all.size(); ++i) {
    EXPECT_TRUE(configs.insert(all[i].at("params").dump()).second) << "evaluated twice: " << all[i].at("params");
    if (i < first.size()) EXPECT_EQ(all[i].at("state"), first[i].at("state")) << "trial " << i << " as stored";
    pruned += all[i].at("state") == "PRUNED";
  }
  EXPECT_GT(pruned, 0);
  EXPECT_EQ(mf_winners_of(dir / "resumed"), mf_winners_of(plain));
  // Other multi-fidelity settings would prune by another rule: the study is not resumed
  // with them (nor without multi-fidelity), and its outputs stay as they were.
  const std::string before = read_text(dir / "resumed" / "trials.json");
  for (const std::string& lines : {std::string("enabled = true\nmargin = 0.05\n"), std::string("enabled = false\n")}) {
    write_text(dir / "changed.toml", mf_search_toml(lines));
    const auto r = run_small_search(dir / "changed.toml", "--out '" + (dir / "resumed").string() + "' --study s", dir / "log");
    EXPECT_EQ(r.status, 1) << lines;
    EXPECT_NE(r.err.find("evaluation.multi_fidelity"), std::string::npos) << r.err;
    EXPECT_EQ(read_text(dir / "resumed" / "trials.json"), before);
  }
}

TEST(MultiFidelity, BadKeysAreOneLineErrors) {
  expect_bad_search_keys("mf-bad", [](const std::string& lines) { return mf_search_toml(lines); }, {
      {"enabled = true\nrungs = [0.5, 0.25, 1.0]\n", "`rungs` must be strictly increasing"},
      {"enabled = true\nrungs = [0.5, 0.5, 1.0]\n", "`rungs` must be strictly increasing"},
      {"enabled = true\nrungs = [0.125, 0.5]\n", "`rungs` must end at 1.0"},
      {"enabled = true\nrungs = []\n", "`rungs` must be a non-empty array"},
      {"enabled = true\nrungs = 0.5\n", "`rungs` must be a non-empty array"},
      {"enabled = true\nrungs = [0, 1.0]\n", "each rung is a fraction in (0, 1]"},
      {"enabled = true\nrungs = [0.5, 1.5]\n", "each rung is a fraction in (0, 1]"},
      {"enabled = true\nrungs = [\"half\", 1.0]\n", "each rung is a fraction in (0, 1]"},
      {"enabled = true\nmargin = -0.01\n", "`margin` must be >= 0"},
      {"enabled = true\nmargin = nan\n", "`margin` must be a finite number"},
      {"enabled = true\nrung = [0.5, 1.0]\n", "rung"},
      {"enabled = \"yes\"\n", "enabled"},
  });
}

}  // namespace
}  // namespace qdse::testing
