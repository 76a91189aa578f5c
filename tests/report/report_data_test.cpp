// The data behind the report figures and the strategy comparison, on hand-made
// trials whose answers are known: Pareto fronts, best-so-far, ranking, heat-map rows,
// trials-to-optimum medians.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "qdse/core/error.hpp"
#include "qdse/report/compare.hpp"
#include "qdse/report/html.hpp"
#include "qdse/report/run_report.hpp"

namespace qdse::report {
namespace {

using nlohmann::json;

json trial(int number, double acc, double size, bool feasible, const json& params = json::object()) {
  const double value = acc - size / 1000;
  return {{"number", number},
          {"state", "COMPLETE"},
          {"values", {value}},
          {"feasible", feasible},
          {"constraints", {feasible ? -1.0 : 0.5}},
          {"metrics",
           {{"accuracy", acc}, {"model_size_bytes", size}, {"bitops", size * 10}, {"average_bitwidth", size / 50},
            {"loss", 1 - acc}}},
          {"params", params}};
}

json best_of(const json& trials, int number) {
  json best;
  best["objective"] = {{"sum_scaled_metrics", true},
                       {"direction", "maximize"},
                       {"metrics", {{{"metric", "accuracy"}, {"scale", 1.0}, {"direction", "maximize"}}}}};
  best["float_metrics"] = {{"accuracy", 0.95}, {"bitops", 16000.0}, {"model_size_bytes", 1600.0},
                           {"average_bitwidth", 32.0}};
  best["feasible"] = true;
  best["trials"] = json::array();
  for (const auto& t : trials)
    if (t.at("number") == number) best["trials"].push_back(t);
  return best;
}

json params(int w1, int w2, const std::string& name2 = "integer") {
  return {{"seq_blocks_2/config/name", "integer"}, {"seq_blocks_2/config/weight_width", w1},
          {"seq_blocks_2/config/data_in_width", 8},  {"seq_blocks_10/config/name", name2},
          {"seq_blocks_10/config/weight_width", w2}, {"seq_blocks_10/config/weight_frac_width", "auto"}};
}

json sample_trials() {
  json t = json::array();
  t.push_back(trial(0, 0.5, 100, true, params(2, 2)));
  t.push_back(trial(1, 0.7, 200, true, params(4, 2)));
  t.push_back(trial(2, 0.6, 300, true, params(4, 4)));
  t.push_back(trial(3, 0.9, 400, false, params(8, 8)));
  t.push_back({{"number", 4}, {"state", "FAILED"}, {"values", json::array()}, {"metrics", json::object()}});
  t.push_back(trial(5, 0.8, 400, true, params(8, 4, "NA")));
  return t;
}

std::vector<int> ints(const json& a) {
  std::vector<int> v;
  for (const auto& x : a) v.push_back(x.get<int>());
  return v;
}

TEST(RunReportData, ParetoFrontOfFeasibleTrialsOnly) {
  const auto trials = sample_trials();
  const auto d = run_report_data(trials, best_of(trials, 1));
  ASSERT_GE(d.at("pareto").size(), 2u);
  const auto& size = d.at("pareto")[0];
  EXPECT_EQ(size.at("name"), "pareto_size");
  EXPECT_EQ(size.at("points").size(), 5u);  // the failed trial has no point
  // t2 is dominated by t1, t3 violates a constraint.
  EXPECT_EQ(ints(size.at("front")), (std::vector<int>{0, 1, 5}));
  for (const auto& p : size.at("points"))
    EXPECT_EQ(p.at("pareto").get<bool>(), p.at("trial") == 0 || p.at("trial") == 1 || p.at("trial") == 5);
  EXPECT_EQ(d.at("pareto")[1].at("name"), "pareto_bitops");
  for (const auto& p : d.at("pareto"))
    EXPECT_NE(p.at("name"), "pareto_latency");  // no latency measured
}

TEST(RunReportData, HistoryBestSoFarIgnoresInfeasibleTrials) {
  const auto trials = sample_trials();
  const auto d = run_report_data(trials, best_of(trials, 1));
  const auto& h = d.at("history");
  EXPECT_EQ(h.at("kind"), "objective");
  EXPECT_EQ(ints(h.at("trials")), (std::vector<int>{0, 1, 2, 3, 5}));
  const std::vector<double> expect = {0.4, 0.5, 0.5, 0.5, 0.5};  // t3 (0.5, infeasible) never counts
  for (std::size_t i = 0; i < expect.size(); ++i) EXPECT_NEAR(h.at("best_so_far")[i].get<double>(), expect[i], 1e-12);
}

TEST(RunReportData, HeatMapRowsAreLayerTensorsInNaturalOrder) {
  const auto trials = sample_trials();
  const auto d = run_report_data(trials, best_of(trials, 1));
  const auto& b = d.at("bitwidths");
  // No param order in best.json: seq_blocks_2 before seq_blocks_10; data_in before weight.
  EXPECT_EQ(b.at("rows"), json({"seq_blocks_2 data_in", "seq_blocks_2 weight", "seq_blocks_10 weight"}));
  // Best first: 1 (0.5), 0 and 5 (0.4, lower number first), 2 (0.3), then infeasible 3.
  EXPECT_EQ(ints(b.at("trials")), (std::vector<int>{1, 0, 5, 2, 3}));
  EXPECT_EQ(b.at("widths")[1], json({4, 2, 8, 4, 8}));
  EXPECT_EQ(b.at("widths")[2], json({2, 2, 32, 4, 8}));  // trial 5 leaves seq_blocks_10 float
}

TEST(RunReportData, HeatMapFollowsBestJsonParamOrder) {
  const auto trials = sample_trials();
  auto best = best_of(trials, 1);
  best["params"] = {"seq_blocks_10/config/name", "seq_blocks_10/config/weight_width", "seq_blocks_2/config/name",
                    "seq_blocks_2/config/weight_width", "seq_blocks_2/config/data_in_width"};
  const auto d = run_report_data(trials, best);
  EXPECT_EQ(d.at("bitwidths").at("rows"),
            json({"seq_blocks_10 weight", "seq_blocks_2 data_in", "seq_blocks_2 weight"}));
}

TEST(RunReportData, SummaryCompressionAndBitopsReduction) {
  const auto trials = sample_trials();
  const auto d = run_report_data(trials, best_of(trials, 1));
  const auto& rows = d.at("summary").at("best");
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(rows[0].at("trial"), 1);
  EXPECT_TRUE(rows[0].at("best").get<bool>());
  EXPECT_NEAR(rows[0].at("compression").get<double>(), 32.0 / 4.0, 1e-12);       // avg 200/50 = 4 bits
  EXPECT_NEAR(rows[0].at("bitops_reduction").get<double>(), 16000.0 / 2000.0, 1e-12);
  EXPECT_FALSE(rows[1].at("best").get<bool>());
}

// No feasible trial and equal violations: best.json's rule (search/best_trials.hpp) then
// takes the better objective, and the report's first row is that trial. The report used
// to keep trial order there, so its first row was not best.json's trial.
TEST(RunReportData, RankingOfInfeasibleTrialsIsBestJsonsRule) {
  json trials = json::array();
  trials.push_back(trial(0, 0.5, 100, false));  // violation 0.5, value 0.4
  trials.push_back(trial(1, 0.9, 100, false));  // violation 0.5, value 0.8: best.json's trial
  trials.push_back(trial(2, 0.95, 100, false));
  trials[2]["constraints"] = {2.0};  // better objective, larger violation
  const auto d = run_report_data(trials, best_of(trials, 1));
  const auto& rows = d.at("summary").at("best");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].at("trial"), 1);
  EXPECT_TRUE(rows[0].at("best").get<bool>());
  EXPECT_EQ(rows[1].at("trial"), 0);
  EXPECT_EQ(rows[2].at("trial"), 2);
}

TEST(RunReportData, TwoObjectiveFrontEqualsDominanceUnderStudyDirections) {
  json trials = json::array();
  // (accuracy max, size min)
  const std::vector<std::pair<double, double>> pts = {{0.5, 10}, {0.6, 20}, {0.55, 30}, {0.7, 40}, {0.7, 40}};
  for (std::size_t i = 0; i < pts.size(); ++i) {
    auto t = trial(static_cast<int>(i), pts[i].first, pts[i].second, true);
    t["values"] = {pts[i].first, pts[i].second};
    trials.push_back(t);
  }
  json best;
  best["objective"] = {{"sum_scaled_metrics", false},
                       {"metrics",
                        {{{"metric", "accuracy"}, {"scale", 1.0}, {"direction", "maximize"}},
                         {{"metric", "model_size_bytes"}, {"scale", 1.0}, {"direction", "minimize"}}}}};
  best["trials"] = json::array();
  const auto d = run_report_data(trials, best);
  json obj;
  for (const auto& p : d.at("pareto"))
    if (p.at("name") == "pareto_objectives") obj = p;
  ASSERT_FALSE(obj.is_null());
  EXPECT_EQ(ints(obj.at("front")), (std::vector<int>{0, 1, 3, 4}));  // duplicates both kept
  const auto& h = d.at("history");
  EXPECT_EQ(h.at("kind"), "hypervolume");
  double prev = 0;
  for (const auto& v : h.at("best_so_far")) {
    EXPECT_GE(v.get<double>(), prev);
    prev = v.get<double>();
  }
  EXPECT_GT(prev, 0);
}

search::FrozenTrial ft(int number, std::vector<double> values, bool feasible = true) {
  search::FrozenTrial t;
  t.number = number;
  t.state = search::TrialState::Complete;
  t.values = std::move(values);
  if (!feasible) t.constraints = {1.0};
  return t;
}

RawRun raw(const std::string& s, uint64_t seed, const std::vector<double>& values, int infeasible_at = -1) {
  RawRun r;
  r.strategy = s;
  r.seed = seed;
  for (std::size_t i = 0; i < values.size(); ++i)
    r.trials.push_back(ft(static_cast<int>(i), {values[i]}, static_cast<int>(i) != infeasible_at));
  return r;
}

TEST(SummarizeRuns, TrialsToOptimumAndTolerance) {
  std::vector<RawRun> runs = {raw("bruteforce", 0, {0.1, 0.5, 0.3, 0.9, 0.2}),
                              raw("random", 0, {0.2, 0.88, 0.9}), raw("random", 1, {0.3, 0.95, 0.5}, 1),
                              raw("random", 2, {0.9, 0.1, 0.1})};
  runs[2].cached = 2;
  const auto r = summarize_runs(runs, {search::Direction::Maximize}, 0.05, true);
  ASSERT_TRUE(r.optimum);
  EXPECT_DOUBLE_EQ(*r.optimum, 0.9);
  EXPECT_EQ(r.total_trials, 14);
  EXPECT_EQ(r.distinct_configs, 12);
  ASSERT_EQ(r.runs.size(), 4u);
  EXPECT_EQ(r.runs[0].to_optimum, 4);
  EXPECT_EQ(r.runs[1].to_optimum, 3);
  EXPECT_EQ(r.runs[1].to_tolerance, 2);
  EXPECT_FALSE(r.runs[2].to_optimum);  // 0.95 was infeasible
  EXPECT_FALSE(r.runs[2].to_tolerance);
  EXPECT_EQ(r.runs[3].to_optimum, 1);
  ASSERT_EQ(r.summaries.size(), 2u);
  const auto& s = r.summaries[1];
  EXPECT_EQ(s.strategy, "random");
  EXPECT_EQ(s.runs, 3);
  EXPECT_EQ(s.reached_optimum, 2);
  EXPECT_EQ(s.median_to_optimum, 3.0);  // {1, 3, never}
  EXPECT_EQ(s.median_to_tolerance, 2.0);
  EXPECT_DOUBLE_EQ(s.median[0], 0.3);  // {0.2, 0.3, 0.9}
  EXPECT_DOUBLE_EQ(s.min[2], 0.5);
  EXPECT_DOUBLE_EQ(s.max[2], 0.9);
  EXPECT_NEAR(s.within_tolerance[0], 1.0 / 3, 1e-12);
  EXPECT_NEAR(s.within_tolerance[2], 2.0 / 3, 1e-12);
  EXPECT_DOUBLE_EQ(s.final_median, 0.9);
}

TEST(SummarizeRuns, MedianRunThatNeverArrivesIsReportedAsNotReached) {
  const auto r = summarize_runs({raw("bruteforce", 0, {1, 3}), raw("tpe", 0, {1, 1}), raw("tpe", 1, {3, 3}),
                                 raw("tpe", 2, {2, 2})},
                                {search::Direction::Maximize}, 0, true);
  EXPECT_EQ(r.summaries[1].reached_optimum, 1);
  EXPECT_FALSE(r.summaries[1].median_to_optimum);
  EXPECT_NE(format_compare_table(r).find(">2 (1/3)"), std::string::npos) << format_compare_table(r);
}

TEST(SummarizeRuns, MinimizeAndNoBruteForce) {
  const auto r = summarize_runs({raw("random", 0, {5, 3, 4}), raw("random", 1, {2, 6, 7})},
                                {search::Direction::Minimize}, 0.5, false);
  EXPECT_EQ(r.optimum_source, "best of all runs");
  EXPECT_DOUBLE_EQ(*r.optimum, 2);
  EXPECT_FALSE(r.runs[0].to_tolerance);  // 3 > 2 + 0.5
  EXPECT_EQ(r.runs[1].to_optimum, 1);
  EXPECT_DOUBLE_EQ(r.summaries[0].median[1], 2.5);  // {3, 2}
}

TEST(SummarizeRuns, HypervolumeForTwoObjectives) {
  using search::Direction;
  auto mo = [](const std::string& s, uint64_t seed, std::vector<std::vector<double>> pts) {
    RawRun r;
    r.strategy = s;
    r.seed = seed;
    for (std::size_t i = 0; i < pts.size(); ++i) r.trials.push_back(ft(static_cast<int>(i), pts[i]));
    return r;
  };
  const auto r = summarize_runs({mo("bruteforce", 0, {{0.5, 10}, {0.9, 30}, {0.7, 20}, {0.6, 25}}),
                                 mo("random", 0, {{0.6, 25}, {0.9, 30}})},
                                {Direction::Maximize, Direction::Minimize}, 0.0, true);
  EXPECT_TRUE(r.multi_objective);
  EXPECT_EQ(r.measure, "hypervolume");
  ASSERT_TRUE(r.optimum);
  EXPECT_DOUBLE_EQ(r.runs[0].final_value, *r.optimum);
  EXPECT_EQ(r.runs[0].to_optimum, 3);  // the front {0,1,2} is complete after trial 3
  EXPECT_LT(r.runs[1].final_value, *r.optimum);
  for (std::size_t k = 1; k < r.runs[0].curve.size(); ++k) EXPECT_GE(r.runs[0].curve[k], r.runs[0].curve[k - 1]);
}

TEST(CompareStrategies, CanonicalNamesAndUnknownOnes) {
  EXPECT_EQ(canonical_strategy("BruteForce"), "bruteforce");
  EXPECT_EQ(canonical_strategy("brute_force"), "bruteforce");
  EXPECT_EQ(canonical_strategy("NSGA2"), "nsgaii");
  EXPECT_THROW(canonical_strategy("annealing"), qdse::Error);
}

TEST(Html, EscapesAndChecksImages) {
  EXPECT_EQ(html_escape("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
  const auto page = html_page("t<", "<p>x</p>");
  EXPECT_NE(page.find("<title>t&lt;</title>"), std::string::npos);
  EXPECT_NE(page.find("naturalWidth"), std::string::npos);
  EXPECT_EQ(fmt_num(NAN), "-");
}

}  // namespace
}  // namespace qdse::report
