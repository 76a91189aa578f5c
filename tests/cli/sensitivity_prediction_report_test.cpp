// The report's "predicted vs measured" section (issue 17, item 2) through the binary on the
// small search: a `sensitivity` sampler run scores every trial after its pass against the
// pass's additive prediction, a run with `qdse sensitivity`'s table in its directory scores
// every trial against the table's; the test recomputes predictions, Spearman's rank
// correlation and the mean absolute error from trials.json (+ sensitivity.json) and compares
// them with report.json and the figure's data. A plain run has no section; a table that does
// not fit the run gives the section's one-line "omitted because" note, never a failed report.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <sstream>

#include "../support/errors.hpp"
#include "../support/prerequisites.hpp"
#include "cli_runner.hpp"
#include "small_runs.hpp"

namespace qdse::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Average ranks (1-based), ties sharing the mean of their positions.
std::vector<double> pred_cli_ranks(const std::vector<double>& v) {
  std::vector<double> r(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    double below = 0, equal = 0;
    for (double x : v) below += x < v[i], equal += x == v[i];
    r[i] = below + (equal + 1) / 2;
  }
  return r;
}

// Pearson correlation of the ranks.
double pred_cli_spearman(const std::vector<double>& a, const std::vector<double>& b) {
  const auto ra = pred_cli_ranks(a), rb = pred_cli_ranks(b);
  const double ma = std::accumulate(ra.begin(), ra.end(), 0.0) / ra.size();
  const double mb = std::accumulate(rb.begin(), rb.end(), 0.0) / rb.size();
  double sab = 0, saa = 0, sbb = 0;
  for (std::size_t i = 0; i < ra.size(); ++i)
    sab += (ra[i] - ma) * (rb[i] - mb), saa += (ra[i] - ma) * (ra[i] - ma), sbb += (rb[i] - mb) * (rb[i] - mb);
  return sab / std::sqrt(saa * sbb);
}

// Checks report.json's accuracy block against `want` (trial -> predicted) and trials.json.
void pred_cli_expect_scores(const fs::path& run, const std::map<int, double>& want) {
  const json data = read_json(run / "report" / "report.json");
  ASSERT_TRUE(data.contains("sensitivity_prediction")) << data.dump().substr(0, 300);
  const json& acc = data.at("sensitivity_prediction").at("metrics").at("accuracy");
  std::map<int, double> measured;
  for (const auto& t : read_json(run / "trials.json"))
    measured[t.at("number").get<int>()] = t.at("metrics").at("accuracy").get<double>();
  std::vector<double> p, y;
  ASSERT_EQ(acc.at("trials").size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    const int trial = acc.at("trials")[i].get<int>();
    ASSERT_TRUE(want.count(trial)) << trial;
    EXPECT_NEAR(acc.at("predicted")[i].get<double>(), want.at(trial), 1e-9) << "trial " << trial;
    EXPECT_EQ(acc.at("measured")[i].get<double>(), measured.at(trial));
    p.push_back(want.at(trial));
    y.push_back(measured.at(trial));
  }
  double mae = 0;
  for (std::size_t i = 0; i < p.size(); ++i) mae += std::abs(p[i] - y[i]) / p.size();
  EXPECT_NEAR(acc.at("spearman").get<double>(), pred_cli_spearman(p, y), 1e-12);
  EXPECT_NEAR(acc.at("mean_abs_error").get<double>(), mae, 1e-12);
  // After the first two scored trials, and the last step being all of them.
  const auto& steps = acc.at("steps");
  EXPECT_EQ(steps.size(), want.size());
  EXPECT_EQ(steps.back().at("k").get<std::size_t>(), want.size());
  EXPECT_NEAR(steps.at(2).at("mean_abs_error").get<double>(),
              (std::abs(p[0] - y[0]) + std::abs(p[1] - y[1]) + std::abs(p[2] - y[2])) / 3, 1e-12);
  // The scatter's data is the same points; both figures are drawn and in the page.
  std::istringstream dat(read_text(run / "report" / "sensitivity_prediction.dat"));
  std::size_t lines = 0;
  for (std::string line; std::getline(dat, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream cols(line);
    double pred = 0, meas = 0;
    int trial = -1;
    cols >> pred >> meas >> trial;
    EXPECT_NEAR(pred, want.at(trial), 1e-9);
    ++lines;
  }
  EXPECT_EQ(lines, want.size());
  for (const char* f : {"sensitivity_prediction.png", "sensitivity_prediction_steps.png"})
    EXPECT_GT(fs::file_size(run / "report" / f), 0u) << f;
  const auto html = read_text(run / "report" / "index.html");
  EXPECT_CONTAINS(html, "Sensitivity model: predicted vs measured");
  EXPECT_CONTAINS(html, "sensitivity_prediction_steps.png");
}

std::string pred_cli_label(const json& params, const json& group) {
  std::string label;
  for (const auto& p : group.at("params")) {
    const std::string name = p.get<std::string>();
    if (name.ends_with("/name")) continue;  // one choice: not in the labels
    label += (label.empty() ? "" : " ") + name.substr(name.find("/config/") + 8) + "=" + params.at(name).dump();
  }
  return label.empty() ? "(single choice)" : label;
}

}  // namespace

TEST(SensitivityPredictionReport, SamplerRunScoresEveryTrialAfterThePassAgainstItsPrediction) {
  QDSE_REQUIRE_SMALL_SEARCH();
  const auto dir = scratch_dir("sens-prediction");
  run_small_sampler(dir, "run", "sensitivity", 16);
  // The pass: trial 0 and its 6 single-param deviations (1 + 2 per layer); the prior
  // predicts trial 0's accuracy plus each differing param's measured change.
  const auto trials = read_json(dir / "run" / "trials.json");
  ASSERT_EQ(trials.size(), 16u);
  const json& ref = trials.at(0).at("params");
  const double ref_acc = trials.at(0).at("metrics").at("accuracy").get<double>();
  std::map<std::string, double> change;  // "param=value" of a single deviation -> its change
  for (int t = 1; t <= 6; ++t)
    for (const auto& [name, value] : trials.at(t).at("params").items())
      if (value != ref.at(name))
        change[name + "=" + value.dump()] = trials.at(t).at("metrics").at("accuracy").get<double>() - ref_acc;
  ASSERT_EQ(change.size(), 6u);
  std::map<int, double> want;
  for (int t = 7; t < 16; ++t) {
    double p = ref_acc;
    for (const auto& [name, value] : trials.at(t).at("params").items())
      if (value != ref.at(name)) p += change.at(name + "=" + value.dump());
    want[t] = p;
  }
  pred_cli_expect_scores(dir / "run", want);
  const json data = read_json(dir / "run" / "report" / "report.json");
  EXPECT_EQ(data.at("sensitivity_prediction").at("table_trials"), json({0, 1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(data.at("sensitivity_prediction").at("source"), "sensitivity sampler pass");
}

TEST(SensitivityPredictionReport, TableInTheRunDirectoryScoresEveryTrialAndABadTableIsANote) {
  QDSE_REQUIRE_SMALL_SEARCH();
  const auto dir = scratch_dir("sens-prediction-table");
  run_small_sampler(dir, "run", "random", 10);
  // Without a table: no section, no figure, no error.
  EXPECT_FALSE(read_json(dir / "run" / "report" / "report.json").contains("sensitivity_prediction"));
  EXPECT_FALSE(fs::exists(dir / "run" / "report" / "sensitivity_prediction.png"));
  EXPECT_EQ(read_text(dir / "run" / "report" / "index.html").find("predicted vs measured"), std::string::npos);

  measure_sensitivity_into(dir / "run.toml", dir / "run", dir);
  // Prediction: the float reference's accuracy plus each layer's row (matched by its label).
  const json table = read_json(dir / "run" / "sensitivity.json");
  const double ref_acc = table.at("reference").at("metrics").at("accuracy").get<double>();
  std::map<int, double> want;
  for (const auto& t : read_json(dir / "run" / "trials.json")) {
    double p = ref_acc;
    for (const auto& g : table.at("groups")) {
      const std::string label = pred_cli_label(t.at("params"), g);
      int found = 0;
      for (const auto& row : g.at("choices"))
        if (row.at("label") == label) p += row.at("d_accuracy").get<double>(), ++found;
      ASSERT_EQ(found, 1) << g.at("group") << " " << label;
    }
    want[t.at("number").get<int>()] = p;
  }
  pred_cli_expect_scores(dir / "run", want);

  // Tables that do not fit the run: each report still succeeds, with the reason as a note.
  const json trial0 = read_json(dir / "run" / "trials.json").at(0);
  auto edited = [&](const std::function<void(json&)>& edit) {
    json t = table;
    edit(t);
    return t.dump();
  };
  const std::vector<std::pair<std::string, std::string>> bad = {
      {edited([](json& t) { t.at("groups").erase(0); }), "has no layer for param `seq_blocks_1/config/"},
      {edited([&](json& t) {  // the row trial 0 takes for its first layer
         auto& rows = t.at("groups")[0].at("choices");
         for (std::size_t c = 0; c < rows.size(); ++c)
           if (rows[c].at("label") == pred_cli_label(trial0.at("params"), t.at("groups")[0])) rows.erase(c);
       }),
       "has no choice `data_in_width="},
      {edited([](json& t) {  // a key the run's space does not have
         t.at("groups")[0].at("params").push_back("seq_blocks_1/config/bias_width");
         for (auto& row : t.at("groups")[0].at("choices")) row.at("choice").push_back(0);
       }),
       "param `seq_blocks_1/config/bias_width` of layer `seq_blocks_1` is not a param of trial 0"},
      {"{not json", "is not valid JSON"},
      {edited([](json& t) { t["format"] = "other"; }), "not a qdse sensitivity table"},
  };
  int notes = 0;
  for (std::size_t i = 0; i < bad.size(); ++i) {
    const fs::path copy = dir / ("bad" + std::to_string(i));
    fs::create_directories(copy);
    for (const char* f : {"trials.json", "best.json", "config.toml"}) fs::copy_file(dir / "run" / f, copy / f);
    write_text(copy / "sensitivity.json", bad[i].first);
    const auto r = run_qdse("-q report " + shell_quote(copy), dir);
    ASSERT_EQ(r.status, 0) << i << ": " << r.err;
    const json data = read_json(copy / "report" / "report.json");
    const std::string why = data.at("sensitivity_prediction").value("omitted", std::string());
    EXPECT_CONTAINS(why, bad[i].second);
    EXPECT_EQ(why.find('\n'), std::string::npos) << why;
    EXPECT_CONTAINS(read_text(copy / "report" / "index.html"), "Section omitted because");
    EXPECT_FALSE(fs::exists(copy / "report" / "sensitivity_prediction.png"));
    notes += why.find(bad[i].second) != std::string::npos;
  }
  EXPECT_EQ(notes, 5);
}

}  // namespace qdse::testing
