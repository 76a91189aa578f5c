// Predicted against measured (issue 17, item 2; pipeline/sensitivity_prediction.hpp) on
// hand-made tables and trial records: the prior of a sensitivity table and of a sampler's
// pass predicts reference + summed changes, the steps score the first k trials, and a table
// that does not fit the run is a one-line error naming what is missing.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "../support/errors.hpp"
#include "qdse/pipeline/sensitivity_prediction.hpp"

namespace qdse::testing {
namespace {

using nlohmann::json;
using pipeline::SensitivityTable;

// Two layers a and b: name = "integer" (one choice) x weight_width {2, 8}; reference float
// accuracy 0.9, loss 0.3. Damages: a2 0.30, a8 0.01, b2 0.20, b8 0.02.
SensitivityTable pred_test_table() {
  SensitivityTable t;
  t.reference = {{"accuracy", 0.9}, {"loss", 0.3}};
  t.cost_metrics = {};
  t.evaluations = 5;
  for (const auto& [layer, d2, d8] : {std::tuple{"a", 0.30, 0.01}, std::tuple{"b", 0.20, 0.02}}) {
    pipeline::SensitivityGroup g;
    g.name = layer;
    g.params = {std::string(layer) + "/config/name", std::string(layer) + "/config/weight_width"};
    pipeline::SensitivityRow r2, r8;
    r2.label = "weight_width=2", r2.choice = {0, 0}, r2.d_accuracy = -d2, r2.d_loss = 10 * d2;
    r8.label = "weight_width=8", r8.choice = {0, 1}, r8.d_accuracy = -d8, r8.d_loss = 10 * d8;
    g.rows = {r2, r8};
    t.groups.push_back(g);
  }
  return t;
}

json pred_test_trial(int number, int wa, int wb, double accuracy, const std::string& state = "COMPLETE") {
  return {{"number", number},
          {"state", state},
          {"params",
           {{"a/config/name", "integer"}, {"a/config/weight_width", wa}, {"b/config/name", "integer"},
            {"b/config/weight_width", wb}}},
          {"metrics", {{"accuracy", accuracy}, {"loss", 1.0 - accuracy}}}};
}

const pipeline::MetricPrediction& pred_test_metric(const pipeline::PredictionReport& r, const std::string& m) {
  for (const auto& x : r.metrics)
    if (x.metric == m) return x;
  throw std::runtime_error("no metric " + m);
}

}  // namespace

TEST(SensitivityPrediction, TablePriorPredictsReferencePlusLayerChangesAndScoresEveryTrial) {
  const json trials = json::array({pred_test_trial(0, 8, 8, 0.88), pred_test_trial(1, 2, 8, 0.55),
                                   pred_test_trial(2, 8, 2, 0.69, "FAIL"), pred_test_trial(3, 2, 2, 0.45),
                                   pred_test_trial(4, 8, 2, 0.70)});
  const auto r = pipeline::predict_trials(pipeline::prior_from_table(pred_test_table(), "t.json"), trials);
  EXPECT_TRUE(r.table_trials.empty());
  EXPECT_TRUE(r.unpredictable.empty());
  const auto& acc = pred_test_metric(r, "accuracy");
  EXPECT_EQ(acc.trials, (std::vector<int>{0, 1, 3, 4})) << "the failed trial is not scored";
  const std::vector<double> want = {0.9 - 0.01 - 0.02, 0.9 - 0.30 - 0.02, 0.9 - 0.30 - 0.20, 0.9 - 0.01 - 0.20};
  ASSERT_EQ(acc.predicted.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(acc.predicted[i], want[i], 1e-12) << i;
  EXPECT_EQ(acc.measured, (std::vector<double>{0.88, 0.55, 0.45, 0.70}));
  // One step per k; k = 1 has no rank correlation; the ranks agree from k = 2 on.
  ASSERT_EQ(acc.steps.size(), 4u);
  EXPECT_TRUE(std::isnan(acc.steps[0].spearman));
  EXPECT_EQ(acc.steps[3].k, 4u);
  EXPECT_EQ(acc.steps[3].trial, 4);
  EXPECT_DOUBLE_EQ(acc.steps[3].spearman, 1.0);
  const double errors[] = {0.87 - 0.88, 0.58 - 0.55, 0.40 - 0.45, 0.69 - 0.70};
  EXPECT_NEAR(acc.steps[3].mean_abs_error, (0.01 + 0.03 + 0.05 + 0.01) / 4, 1e-12);
  EXPECT_NEAR(acc.steps[3].mean_error, (errors[0] + errors[1] + errors[2] + errors[3]) / 4, 1e-12);
  EXPECT_NEAR(acc.steps[1].mean_abs_error, (0.01 + 0.03) / 2, 1e-12);
  const auto& loss = pred_test_metric(r, "loss");
  EXPECT_NEAR(loss.predicted[2], 0.3 + 3.0 + 2.0, 1e-12);
  const json j = pipeline::prediction_to_json(r);
  EXPECT_EQ(j.at("metrics").at("accuracy").at("spearman").get<double>(), 1.0);
  EXPECT_TRUE(j.at("metrics").at("accuracy").at("steps").at(0).at("spearman").is_null());
}

TEST(SensitivityPrediction, TableThatDoesNotFitTheRunIsOneLineNamingWhatIsMissing) {
  const auto prior = pipeline::prior_from_table(pred_test_table(), "RUN/sensitivity.json");
  auto only = [](json t) { return json::array({std::move(t)}); };
  // A layer of the run missing from the table.
  auto fewer = pred_test_table();
  fewer.groups.pop_back();
  std::string e = error_of(
      [&] { pipeline::predict_trials(pipeline::prior_from_table(fewer, "RUN/sensitivity.json"), only(pred_test_trial(0, 8, 8, 0.9))); });
  EXPECT_CONTAINS(e, "RUN/sensitivity.json has no layer for param `b/config/name` of trial 0");
  // A param of the table that the run does not have.
  json t = pred_test_trial(0, 8, 8, 0.9);
  t["params"].erase("a/config/weight_width");
  e = error_of([&] { pipeline::predict_trials(prior, only(t)); });
  EXPECT_CONTAINS(e, "param `a/config/weight_width` of layer `a` is not a param of trial 0");
  // A choice the table has no row for.
  e = error_of([&] { pipeline::predict_trials(prior, only(pred_test_trial(3, 4, 8, 0.9))); });
  EXPECT_CONTAINS(e, "RUN/sensitivity.json has no choice `weight_width=4` for layer `a` (trial 3)");
  // A param with one choice in the table that the trials set to two values.
  json other = pred_test_trial(5, 8, 8, 0.9);
  other["params"]["b/config/name"] = "minifloat";
  e = error_of([&] { pipeline::predict_trials(prior, json::array({pred_test_trial(1, 8, 8, 0.9), other})); });
  EXPECT_CONTAINS(e, "param `b/config/name` has one choice there, but trial 5 sets it to \"minifloat\" and trial 1");
  for (const auto& msg : {e}) EXPECT_EQ(msg.find('\n'), std::string::npos);
}

TEST(SensitivityPrediction, PassPriorScoresOnlyTheTrialsAfterThePass) {
  // Trial 0 the reference (8, 8), trials 1 and 2 its single deviations, then the model's.
  const json trials = json::array({pred_test_trial(0, 8, 8, 0.90), pred_test_trial(1, 2, 8, 0.60),
                                   pred_test_trial(2, 8, 2, 0.80), pred_test_trial(3, 2, 2, 0.45),
                                   pred_test_trial(4, 4, 8, 0.85), pred_test_trial(5, 2, 2, 0.1, "FAIL")});
  const auto prior = pipeline::prior_from_pass(trials);
  ASSERT_TRUE(prior);
  const auto r = pipeline::predict_trials(*prior, trials);
  EXPECT_EQ(r.table_trials, (std::vector<int>{0, 1, 2, 4})) << "trial 4 is a single deviation too";
  EXPECT_TRUE(r.unpredictable.empty());
  const auto& acc = pred_test_metric(r, "accuracy");
  EXPECT_EQ(acc.trials, (std::vector<int>{3}));
  EXPECT_NEAR(acc.predicted.at(0), 0.90 + (0.60 - 0.90) + (0.80 - 0.90), 1e-12);
  // Trial 4 missing: a configuration with weight_width 4 on layer a and 2 on b has no
  // measurement of its own for (a, 4) but the pass has one; drop trial 4 and it is unknown.
  json cut = trials;
  cut.erase(4);
  cut.push_back(pred_test_trial(6, 4, 2, 0.70));
  const auto r2 = pipeline::predict_trials(*pipeline::prior_from_pass(cut), cut);
  EXPECT_EQ(r2.unpredictable, (std::vector<int>{6}));
  EXPECT_EQ(pred_test_metric(r2, "accuracy").trials, (std::vector<int>{3}));
  // No complete trial 0: no pass to learn from.
  EXPECT_FALSE(pipeline::prior_from_pass(json::array({pred_test_trial(0, 8, 8, 0.9, "FAIL")})));
}

}  // namespace qdse::testing
