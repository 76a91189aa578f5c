// `qdse compare` on the small search (issue 17): a warm-started TPE pays for the sensitivity
// pass behind its front (every trial count starts after the pass's evaluations, whether the
// pass is measured at start or read from a table), and `--hv-reference` fixes the
// hypervolume's reference point (the Optuna peer's accuracy 0 / average bit width 32), with
// one-line errors for values that do not fit the objectives.
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

CliResult run_small_compare(const fs::path& config, const std::string& extra, const fs::path& scratch) {
  return run_qdse("--json -q compare --config " + shell_quote(config) + " --load " +
                      shell_quote(small_search_weights()) + " " + extra,
                  scratch);
}

std::string two_objective_small_search() {
  SmallSearch s;
  s.sampler = "tpe";
  s.metrics = "accuracy.direction = \"maximize\"\naverage_bitwidth.direction = \"minimize\"\n";
  s.setup = "sum_scaled_metrics = false\n";
  return s.toml();
}

// The area a front of (accuracy up, bit width down) dominates up to (0, 32), as the peer's
// mase_search.py hypervolume_2d computes it.
double peer_hypervolume(const std::vector<std::pair<double, double>>& points) {
  std::vector<std::pair<double, double>> front;
  for (const auto& [acc, bw] : points) {
    bool dominated = false;
    for (const auto& [a, b] : points) dominated |= a >= acc && b <= bw && (a > acc || b < bw);
    if (!dominated) front.emplace_back(acc, bw);
  }
  std::sort(front.begin(), front.end());  // accuracy up, so bit width up too
  double hv = 0.0, prev = 0.0;
  for (const auto& [acc, bw] : front) {
    if (acc <= prev || bw >= 32) continue;
    hv += (acc - prev) * (32 - bw);
    prev = acc;
  }
  return hv;
}

}  // namespace

TEST(CompareWarmStart, PassEvaluationsCountBeforeTheTrials) {
  QDSE_REQUIRE_SMALL_SEARCH();
  const auto dir = scratch_dir("compare-warm");
  SmallSearch plain;
  write_text(dir / "plain.toml", plain.toml());
  auto r = run_qdse("-q sensitivity --config " + shell_quote(dir / "plain.toml") + " --load " +
                        shell_quote(small_search_weights()) + " --out " + shell_quote(dir / "sens"),
                    dir);
  ASSERT_EQ(r.status, 0) << r.err;
  const int pass = nlohmann::json::parse(read_text(dir / "sens" / "sensitivity.json")).at("evaluations").get<int>();
  ASSERT_GT(pass, 1);

  auto warm = [&](const std::string& tpe_lines) {
    SmallSearch s;
    s.sampler = "tpe";
    return s.toml() + "[search.strategy.tpe]\n" + tpe_lines + "[search.strategy.sensitivity]\ncost = \"bitops\"\n";
  };
  write_text(dir / "at_start.toml", warm("warm_start = true\n"));
  write_text(dir / "from_table.toml", warm("warm_start = true\nwarm_start_table = \"sens/sensitivity.json\"\n"));
  write_text(dir / "cold.toml", warm(""));
  const int n_trials = 6;
  const std::string flags = "--strategies bruteforce,tpe --repeats 2 --n-trials " + std::to_string(n_trials);
  for (const std::string name : {"at_start", "from_table", "cold"}) {
    SCOPED_TRACE(name);
    r = run_small_compare(dir / (name + ".toml"), flags + " --out " + shell_quote(dir / ("out-" + name)), dir);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    const int counted = name == "cold" ? 0 : pass;
    int tpe_runs = 0;
    for (const auto& run : j.at("runs")) {
      if (run.at("strategy") != "tpe") continue;
      ++tpe_runs;
      EXPECT_EQ(run.at("trials").get<int>(), counted + n_trials);
      // Reaching anything takes the pass plus at least one trial.
      for (const char* key : {"trials_to_optimum", "trials_to_tolerance"})
        if (!run.at(key).is_null()) EXPECT_GT(run.at(key).get<int>(), counted) << key;
    }
    EXPECT_EQ(tpe_runs, 2);
    const std::string notes = j.at("notes").dump();
    if (name == "cold") {
      EXPECT_EQ(notes.find("sensitivity pass"), std::string::npos) << notes;
    } else {
      EXPECT_CONTAINS(notes, "sensitivity pass of " + std::to_string(pass) + " evaluations");
      EXPECT_CONTAINS(notes, name == "at_start" ? "measured at start" : "from `sens/sensitivity.json`");
    }
  }
}

TEST(CompareHvReference, PeerReferencePointAndOneLineErrors) {
  QDSE_REQUIRE_SMALL_SEARCH();
  const auto dir = scratch_dir("compare-hvref");
  write_text(dir / "multi.toml", two_objective_small_search());
  auto r = run_small_compare(dir / "multi.toml", "--strategies bruteforce --hv-reference 0,32 --out " +
                                                     shell_quote(dir / "cmp"),
                             dir);
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j.at("hv_reference_losses").size(), 2u);
  EXPECT_DOUBLE_EQ(j.at("hv_reference_losses")[0].get<double>(), 0.0);  // accuracy 0, negated
  EXPECT_DOUBLE_EQ(j.at("hv_reference_losses")[1].get<double>(), 32.0);
  // The optimum is the whole space's front measured as the peer measures it.
  r = run_qdse("-q search --config " + shell_quote(dir / "multi.toml") + " --load " +
                   shell_quote(small_search_weights()) + " --sampler bruteforce --storage memory: --out " +
                   shell_quote(dir / "all"),
               dir);
  ASSERT_EQ(r.status, 0) << r.err;
  std::vector<std::pair<double, double>> points;
  for (const auto& t : nlohmann::json::parse(read_text(dir / "all" / "trials.json")))
    points.emplace_back(t.at("values")[0].get<double>(), t.at("values")[1].get<double>());
  ASSERT_EQ(points.size(), 36u);
  EXPECT_NEAR(j.at("optimum").get<double>(), peer_hypervolume(points), 1e-9);

  SmallSearch one;  // one objective: accuracy - 0.00625 x average bit width
  write_text(dir / "one.toml", one.toml());
  const std::vector<std::tuple<std::string, std::string, std::string>> bad = {
      {"multi.toml", "--hv-reference 0", "needs one value per objective (2), got 1"},
      {"multi.toml", "--hv-reference 0,abc", "--hv-reference: expected finite numbers separated by commas, got 'abc'"},
      {"one.toml", "--hv-reference 0,32", "needs two or more objectives"},
  };
  int i = 0;
  for (const auto& [config, flag, expected] : bad) {
    const auto out = dir / ("bad" + std::to_string(i++));
    r = run_small_compare(dir / config, "--strategies random --repeats 1 --n-trials 2 " + flag + " --out " +
                                            shell_quote(out),
                          dir);
    EXPECT_EQ(r.status, 1) << flag;
    EXPECT_CONTAINS(r.err, expected);
    EXPECT_EQ(line_count(r.err), 1) << r.err;
    EXPECT_FALSE(fs::exists(out)) << "nothing written for " << flag;
  }
}

}  // namespace qdse::testing
