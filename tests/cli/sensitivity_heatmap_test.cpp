// The report's sensitivity heat map (issue 17, item 1) through the binary on the small
// search: absent from a plain run's report; drawn from RUN_DIR/sensitivity.json (`qdse
// sensitivity --out RUN_DIR`, then `qdse report`) with the table's damages; drawn from the
// `sensitivity` sampler's pass with trial 0's accuracy minus each single deviation's.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "../support/prerequisites.hpp"
#include "cli_runner.hpp"
#include "small_runs.hpp"

namespace qdse::testing {
namespace {

namespace fs = std::filesystem;

// The damages (third column) of report/sensitivity_heatmap.dat, sorted.
std::vector<double> heatmap_damages(const fs::path& run) {
  std::istringstream in(read_text(run / "report" / "sensitivity_heatmap.dat"));
  std::vector<double> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream cols(line);
    double column = 0, row = 0, damage = 0;
    cols >> column >> row >> damage;
    out.push_back(damage);
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool report_shows_heatmap(const fs::path& run) {
  return read_text(run / "report" / "index.html").find("sensitivity_heatmap.png") != std::string::npos;
}

void expect_same_damages(std::vector<double> got, std::vector<double> want) {
  std::sort(want.begin(), want.end());
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-9) << i;
}

}  // namespace

TEST(SensitivityHeatmapReport, FromTheTableOrTheSamplersPassAndAbsentWithout) {
  QDSE_REQUIRE_SMALL_SEARCH();
  const auto dir = scratch_dir("sens-heatmap");
  run_small_sampler(dir, "plain", "random", 4);
  ASSERT_TRUE(fs::exists(dir / "plain" / "report" / "index.html"));
  EXPECT_FALSE(report_shows_heatmap(dir / "plain"));
  EXPECT_FALSE(fs::exists(dir / "plain" / "report" / "sensitivity_heatmap.png"));

  // The table measured into the run directory: one cell per (layer, choice), damage = -d_accuracy.
  measure_sensitivity_into(dir / "plain.toml", dir / "plain", dir);
  EXPECT_TRUE(report_shows_heatmap(dir / "plain"));
  EXPECT_GT(fs::file_size(dir / "plain" / "report" / "sensitivity_heatmap.png"), 0u);
  std::vector<double> want;
  const auto table = nlohmann::json::parse(read_text(dir / "plain" / "sensitivity.json"));
  for (const auto& g : table.at("groups"))
    if (g.at("choices").size() > 1)
      for (const auto& c : g.at("choices")) want.push_back(-c.at("d_accuracy").get<double>());
  EXPECT_EQ(want.size(), 12u) << "two layers x 6 choices";
  expect_same_damages(heatmap_damages(dir / "plain"), want);

  // The sensitivity sampler's pass: the reference (trial 0) and each single-param deviation.
  run_small_sampler(dir, "pass", "sensitivity", 8);
  EXPECT_TRUE(report_shows_heatmap(dir / "pass"));
  const auto trials = nlohmann::json::parse(read_text(dir / "pass" / "trials.json"));
  const double ref = trials.at(0).at("metrics").at("accuracy").get<double>();
  // Phase 1 on 2 x (data_in {4,8}, weight {2,4,8}): trial 0, then 1 + 2 deviations per layer.
  want = {0.0, 0.0, 0.0, 0.0};  // each searched param's reference cell
  for (int t = 1; t <= 6; ++t) want.push_back(ref - trials.at(t).at("metrics").at("accuracy").get<double>());
  expect_same_damages(heatmap_damages(dir / "pass"), want);
}

}  // namespace qdse::testing
