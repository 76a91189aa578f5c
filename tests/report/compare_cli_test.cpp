// `qdse compare` on a 64-configuration space: table, CSVs and figures with sane
// numbers (brute force finds the optimum within the space, no run beats it, the
// shared evaluator evaluates each configuration at most once).
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <sstream>

#include "../support/csv_rows.hpp"
#include "report_fixture.hpp"

namespace qdse::report_test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::vector<std::vector<std::string>> read_csv(const fs::path& p) { return qdse::testing::csv_rows(slurp(p)); }

struct CompareRun {
  fs::path dir;
  Run result;
  json summary;
};

CompareRun compare(const std::string& config, const std::string& name, const std::string& extra) {
  CompareRun c;
  c.dir = fixture().dir / name;
  fs::remove_all(c.dir);
  c.result = run_qdse("-q compare --config '" + config + "' --out '" + c.dir.string() + "' " + extra,
                      fixture().dir / (name + "-io"));
  EXPECT_EQ(c.result.status, 0) << c.result.err;
  if (c.result.status == 0) c.summary = read_json(c.dir / "compare.json");
  return c;
}

const CompareRun& single() {
  static const CompareRun c =
      compare(fixture().single_config, "compare-single", "--strategies bruteforce,random,tpe --repeats 3 --n-trials 20");
  return c;
}

TEST(Compare, BruteForceDefinesTheOptimumAndNothingBeatsIt) {
  const auto& j = single().summary;
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j.at("optimum_source"), "bruteforce");
  EXPECT_EQ(j.at("space_size"), 64);
  const double opt = j.at("optimum").get<double>();
  std::map<std::string, json> by;
  for (const auto& s : j.at("strategies")) by[s.at("strategy")] = s;
  ASSERT_EQ(by.size(), 3u);
  EXPECT_EQ(by["bruteforce"].at("runs"), 1);
  EXPECT_EQ(by["bruteforce"].at("trials_per_run"), 64);
  EXPECT_EQ(by["bruteforce"].at("reached_optimum"), 1);
  const double bf_at = by["bruteforce"].at("median_trials_to_optimum").get<double>();
  EXPECT_GE(bf_at, 1);
  EXPECT_LE(bf_at, 64);
  for (const char* s : {"random", "tpe"}) {
    EXPECT_EQ(by[s].at("runs"), 3);
    EXPECT_EQ(by[s].at("trials_per_run"), 20);
    EXPECT_LE(by[s].at("final_max").get<double>(), opt + 1e-12);
    EXPECT_LE(by[s].at("final_min").get<double>(), by[s].at("final_median").get<double>());
    EXPECT_LE(by[s].at("reached_optimum").get<int>(), by[s].at("reached_tolerance").get<int>());
  }
  // One evaluator shared by all 64 + 2 x 3 x 20 trials: at most 64 distinct configurations.
  EXPECT_EQ(j.at("total_trials"), 64 + 120);
  EXPECT_LE(j.at("distinct_configs").get<int>(), 64);
  // Per run: seeds 0..2, trial counts within the run length.
  int runs = 0;
  for (const auto& r : j.at("runs")) {
    ++runs;
    if (!r.at("trials_to_optimum").is_null()) EXPECT_LE(r.at("trials_to_optimum").get<int>(), r.at("trials").get<int>());
    if (!r.at("trials_to_optimum").is_null())
      EXPECT_LE(r.at("trials_to_tolerance").get<int>(), r.at("trials_to_optimum").get<int>());
  }
  EXPECT_EQ(runs, 7);
}

TEST(Compare, CsvFilesAndTable) {
  const auto& c = single();
  const auto table = read_csv(c.dir / "compare.csv");
  ASSERT_EQ(table.size(), 4u);  // header + 3 strategies
  EXPECT_EQ(table[0][0], "strategy");
  EXPECT_EQ(table[1][0], "bruteforce");
  const auto runs = read_csv(c.dir / "compare_runs.csv");
  EXPECT_EQ(runs.size(), 8u);
  const auto curves = read_csv(c.dir / "compare_curves.csv");
  ASSERT_EQ(curves.size(), 1u + 64 + 20 + 20);
  // Per strategy: min <= median <= max and the median never gets worse.
  std::map<std::string, double> last;
  for (std::size_t i = 1; i < curves.size(); ++i) {
    const auto& r = curves[i];
    // Empty: no feasible trial yet (in at least half the runs for the median, in some
    // run for the min).
    if (r[2].empty()) continue;
    const double med = std::stod(r[2]), hi = std::stod(r[4]);
    if (!r[3].empty()) EXPECT_LE(std::stod(r[3]), med + 1e-12);
    EXPECT_LE(med, hi + 1e-12);
    if (last.count(r[0])) EXPECT_GE(med, last[r[0]] - 1e-12) << r[0] << " trial " << r[1];
    last[r[0]] = med;
    const double frac = std::stod(r[5]);
    EXPECT_GE(frac, 0);
    EXPECT_LE(frac, 1);
  }
  // The terminal table names the optimum and every strategy.
  const auto& out = c.result.out;
  EXPECT_NE(out.find("optimum best objective"), std::string::npos) << out;
  EXPECT_NE(out.find("brute force over all 64 configurations"), std::string::npos) << out;
  for (const char* s : {"bruteforce", "random", "tpe"}) EXPECT_NE(out.find(s), std::string::npos) << out;
}

TEST(Compare, FiguresAndPage) {
  const auto& c = single();
  for (const char* n : {"compare_curves", "compare_success"}) {
    EXPECT_TRUE(is_png(c.dir / (std::string(n) + ".png"))) << n;
    EXPECT_TRUE(is_svg(c.dir / (std::string(n) + ".svg"))) << n;
  }
  const auto html = slurp(c.dir / "compare.html");
  EXPECT_NE(html.find("src=\"compare_curves.png\""), std::string::npos);
  EXPECT_NE(html.find("<table>"), std::string::npos);
}

TEST(Compare, MultiObjectiveUsesHypervolume) {
  const auto c = compare(fixture().multi_config, "compare-multi", "--strategies bruteforce,nsgaii --repeats 2 --n-trials 16");
  const auto& j = c.summary;
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j.at("measure"), "hypervolume");
  EXPECT_EQ(j.at("hv_reference_losses").size(), 2u);
  const double opt = j.at("optimum").get<double>();
  EXPECT_GT(opt, 0);
  for (const auto& s : j.at("strategies")) {
    EXPECT_LE(s.at("final_max").get<double>(), opt * (1 + 1e-12));
    if (s.at("strategy") == "bruteforce") EXPECT_DOUBLE_EQ(s.at("final_max").get<double>(), opt);
  }
}

TEST(Compare, LargeSpaceSkipsBruteForce) {
  const auto c = compare(fixture().single_config, "compare-skip",
                         "--strategies bruteforce,random --repeats 2 --n-trials 5 --max-bruteforce 10");
  ASSERT_TRUE(c.summary.is_object());
  EXPECT_EQ(c.summary.at("optimum_source"), "best of all runs");
  EXPECT_EQ(c.summary.at("strategies").size(), 1u);
  EXPECT_NE(c.result.out.find("brute force skipped"), std::string::npos) << c.result.out;
}

TEST(Compare, UnknownStrategyIsAnError) {
  const auto r = run_qdse("-q compare --config '" + fixture().single_config + "' --strategies random,annealing",
                          fixture().dir / "compare-bad-io");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("annealing"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace qdse::report_test
