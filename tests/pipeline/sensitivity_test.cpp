// Sensitivity pass and planning (issue 17, items 1 and 3): the pass's rows are exactly
// what a direct evaluation of each single-layer configuration gives, built without the
// pass (a space holding only that layer with only that choice, a fresh evaluator); the
// plan under a budget is the brute-force optimum over the table's predicted damages.
// fmnist-mlp with seeded random weights and data: no prerequisite, runs everywhere.
#include <gtest/gtest.h>
#include <torch/types.h>

#include <cmath>
#include <limits>

#include "../support/errors.hpp"
#include "../support/search_toml.hpp"
#include "../support/temp_dir.hpp"
#include "qdse/io/run_config.hpp"
#include "qdse/ir/zoo.hpp"
#include "qdse/pipeline/search_config.hpp"
#include "qdse/pipeline/sensitivity.hpp"
#include "qdse/pipeline/sensitivity_plan.hpp"

namespace qdse::pipeline {
namespace {

using qdse::testing::integer_layer;
using qdse::testing::SearchToml;

struct SensitivityFixture : ::testing::Test {
  qdse::testing::TempDir dir{"qdse_sensitivity"};
  ir::Graph graph = ir::build_zoo_model("fmnist-mlp", 5);
  at::Tensor x, y;
  SensitivityFixture() {
    auto gen = at::make_generator<at::CPUGeneratorImpl>(11);
    x = torch::randn({96, 1, 28, 28}, gen);
    y = torch::randint(0, 10, {96}, gen, torch::kLong);
  }
  io::RunConfig config(const SearchToml& t, const std::string& name) {
    return io::load_run_config(dir.write(name, t.toml()));
  }
  // The metrics of `config`'s only configuration (every param at its one choice),
  // measured by a fresh evaluator.
  std::map<std::string, double> direct(const SearchToml& t) {
    const QuantSpace space(config(t, "direct.toml"), graph);
    TrialEvaluator ev(graph, x, y, EvalSettings{}, std::nullopt);
    return ev.evaluate(space.decode(search::ParamVector(space.space().n_params(), 0.0))).metrics;
  }
};

const std::vector<std::string> kSensDataIn = {"4", "8"}, kSensWeight = {"2", "4", "8"};

SearchToml sens_two_layers() {
  return SearchToml{.layers = {{"seq_blocks_1", integer_layer("[4, 8]", "[2, 4, 8]")},
                               {"seq_blocks_3", integer_layer("[4, 8]", "[2, 4, 8]")}}};
}

TEST_F(SensitivityFixture, RowsEqualDirectEvaluationsOfSingleLayerConfigs) {
  const QuantSpace space(config(sens_two_layers(), "space.toml"), graph);
  TrialEvaluator ev(graph, x, y, EvalSettings{}, std::nullopt);
  const SensitivityTable t = measure_sensitivity(space, graph, io::QuantizeBy::Name, ev);
  const auto ref = direct(SearchToml{});  // nothing quantized
  EXPECT_EQ(t.reference.at("accuracy"), ref.at("accuracy"));
  EXPECT_EQ(t.reference.at("loss"), ref.at("loss"));
  // By name, the default table gives every other node (the ReLUs, the last linear) a
  // group with the one choice "NA": the float reference again, answered by the cache.
  std::vector<std::string> names;
  for (const auto& g : t.groups) names.push_back(g.name);
  EXPECT_EQ(names, (std::vector<std::string>{"seq_blocks_1", "seq_blocks_2", "seq_blocks_3", "seq_blocks_4",
                                             "seq_blocks_5"}));
  EXPECT_EQ(t.evaluations, 1 + 6 + 6);  // the reference, then every distinct choice once
  for (const auto& g : t.groups) {
    if (g.name != "seq_blocks_1" && g.name != "seq_blocks_3") {
      ASSERT_EQ(g.rows.size(), 1u) << g.name;
      EXPECT_TRUE(g.rows[0].cached) << g.name;
      EXPECT_EQ(g.rows[0].d_accuracy, 0.0) << g.name;
      continue;
    }
    ASSERT_EQ(g.rows.size(), 6u) << g.name;
    for (std::size_t i = 0; i < g.rows.size(); ++i) {
      const auto& r = g.rows[i];
      // name is first (one choice), then data_in_width, then weight_width; first slowest.
      const std::string din = kSensDataIn[i / 3], w = kSensWeight[i % 3];
      EXPECT_EQ(r.label, "data_in_width=" + din + " weight_width=" + w);
      const auto m = direct(SearchToml{.layers = {{g.name, integer_layer("[" + din + "]", "[" + w + "]")}}});
      EXPECT_EQ(r.accuracy, m.at("accuracy")) << g.name << " " << r.label;
      EXPECT_EQ(r.loss, m.at("loss")) << g.name << " " << r.label;
      EXPECT_EQ(r.d_accuracy, m.at("accuracy") - ref.at("accuracy")) << g.name << " " << r.label;
      EXPECT_EQ(r.d_loss, m.at("loss") - ref.at("loss")) << g.name << " " << r.label;
      for (const std::string c : {"model_size_bits", "bitops"})
        EXPECT_EQ(r.cost.at(c), m.at(c) - ref.at(c)) << g.name << " " << r.label << " " << c;
    }
  }
  // Costs are sums over layers: reference + both layers' changes = the two-layer config's cost.
  const auto both = direct(SearchToml{.layers = {{"seq_blocks_1", integer_layer("[4]", "[2]")},
                                                 {"seq_blocks_3", integer_layer("[8]", "[4]")}}});
  EXPECT_EQ(t.reference.at("bitops") + t.groups[0].rows[0].cost.at("bitops") + t.groups[2].rows[4].cost.at("bitops"),
            both.at("bitops"));
}

TEST_F(SensitivityFixture, ByTypeOneGroupQuantizesEveryNodeOfTheType) {
  SearchToml t{.by = "type", .layers = {{"linear", integer_layer("[8]", "[2, 4]")}}};
  const QuantSpace space(config(t, "type.toml"), graph);
  TrialEvaluator ev(graph, x, y, EvalSettings{}, std::nullopt);
  const SensitivityTable table = measure_sensitivity(space, graph, io::QuantizeBy::Type, ev);
  // The linear group first (graph order); other types get the default's one choice.
  ASSERT_FALSE(table.groups.empty());
  const auto& linear = table.groups[0];
  EXPECT_EQ(linear.name, "linear");
  ASSERT_EQ(linear.rows.size(), 2u);
  for (std::size_t g = 1; g < table.groups.size(); ++g) EXPECT_EQ(table.groups[g].rows.size(), 1u);
  const auto m = direct(SearchToml{.by = "type", .layers = {{"linear", integer_layer("[8]", "[4]")}}});
  EXPECT_EQ(linear.rows[1].accuracy, m.at("accuracy"));
  EXPECT_EQ(linear.rows[1].cost.at("model_size_bits"), m.at("model_size_bits") - table.reference.at("model_size_bits"));
  // All three linear layers changed: the cost change is more than the first layer's alone.
  const auto first = direct(SearchToml{.layers = {{"seq_blocks_1", integer_layer("[8]", "[4]")}}});
  EXPECT_LT(linear.rows[1].cost.at("model_size_bits"), first.at("model_size_bits") - table.reference.at("model_size_bits"));
}

TEST_F(SensitivityFixture, PerNodeGroupsAreNodes) {
  // by type with per_node: one table for the linear type, one group per linear node.
  SearchToml t{.by = "type\"\nsetup.per_node = true\n#", .layers = {{"linear", integer_layer("[8]", "[2, 4]")}}};
  const io::RunConfig rc = config(t, "per_node.toml");
  const SpaceConfig sc = parse_search_config(rc, SearchParts::Space).space;
  EXPECT_EQ(group_naming(sc), io::QuantizeBy::Name);
  const QuantSpace space(rc, graph);
  TrialEvaluator ev(graph, x, y, EvalSettings{}, std::nullopt);
  const SensitivityTable table = measure_sensitivity(space, graph, group_naming(sc), ev);
  ASSERT_FALSE(table.groups.empty());
  EXPECT_EQ(table.groups[0].name, "seq_blocks_1");
  ASSERT_EQ(table.groups[0].rows.size(), 2u);
  const auto m = direct(SearchToml{.layers = {{"seq_blocks_1", integer_layer("[8]", "[4]")}}});
  EXPECT_EQ(table.groups[0].rows[1].accuracy, m.at("accuracy"));
  EXPECT_EQ(table.groups[0].rows[1].cost.at("bitops"), m.at("bitops") - table.reference.at("bitops"));
}

TEST_F(SensitivityFixture, RefusesAGroupWithTooManyChoices) {
  const QuantSpace space(config(sens_two_layers(), "space.toml"), graph);
  TrialEvaluator ev(graph, x, y, EvalSettings{}, std::nullopt);
  const std::string e =
      qdse::testing::error_of([&] { measure_sensitivity(space, graph, io::QuantizeBy::Name, ev, {.max_choices_per_group = 5}); });
  EXPECT_CONTAINS(e, "group `seq_blocks_1` has 6 choices");
  EXPECT_EQ(e.find('\n'), std::string::npos);
}

TEST_F(SensitivityFixture, JsonRoundTrips) {
  const QuantSpace space(config(sens_two_layers(), "space.toml"), graph);
  TrialEvaluator ev(graph, x, y, EvalSettings{}, std::nullopt);
  const SensitivityTable t = measure_sensitivity(space, graph, io::QuantizeBy::Name, ev);
  const SensitivityTable back = sensitivity_from_json(nlohmann::json::parse(to_json(t).dump()), "s.json");
  EXPECT_EQ(to_json(back), to_json(t));
  EXPECT_CONTAINS(qdse::testing::error_of([] { sensitivity_from_json(nlohmann::json::object(), "s.json"); }),
                  "s.json: not a qdse sensitivity table");
}

// Brute force over every combination of the table's rows (odometer, first group
// slowest): the least damage (sum of -d_accuracy, in group order) whose cost (reference +
// sum of changes) is <= budget; also every combination's cost, through `costs`.
double sens_brute_best_damage(const SensitivityTable& t, const std::string& cost, double budget,
                              std::vector<double>* costs = nullptr) {
  double best = std::numeric_limits<double>::infinity();
  std::vector<std::size_t> at(t.groups.size(), 0);
  while (true) {
    double c = t.reference.at(cost), d = 0;
    for (std::size_t g = 0; g < at.size(); ++g) {
      c += t.groups[g].rows[at[g]].cost.at(cost);
      d += -t.groups[g].rows[at[g]].d_accuracy;
    }
    if (costs) costs->push_back(c);
    if (c <= budget && d < best) best = d;
    std::size_t g = at.size();
    while (g > 0 && ++at[g - 1] == t.groups[g - 1].rows.size()) at[--g] = 0;
    if (g == 0) break;
  }
  return best;
}

TEST_F(SensitivityFixture, PlanUnderABudgetEqualsBruteForceOverPredictedDamages) {
  const QuantSpace space(config(sens_two_layers(), "space.toml"), graph);
  TrialEvaluator ev(graph, x, y, EvalSettings{}, std::nullopt);
  const SensitivityTable t = measure_sensitivity(space, graph, io::QuantizeBy::Name, ev);
  for (const std::string cost : {"model_size_bits", "bitops"}) {
    const PlanProblem p = plan_problem(t, cost);
    // Every cost any combination reaches is a budget to try.
    std::vector<double> budgets;
    sens_brute_best_damage(t, cost, 0, &budgets);
    ASSERT_EQ(budgets.size(), 36u);
    for (double budget : budgets) {
      const PlanPoint plan = plan_budget(p, budget);
      const double damage = sens_brute_best_damage(t, cost, budget);
      EXPECT_DOUBLE_EQ(plan.predicted_accuracy, t.reference.at("accuracy") - damage) << cost << " <= " << budget;
      EXPECT_LE(plan.predicted_cost, budget);
      double chosen = 0;
      for (std::size_t g = 0; g < t.groups.size(); ++g) chosen += -t.groups[g].rows[plan.rows[g]].d_accuracy;
      EXPECT_EQ(chosen, damage) << cost << " <= " << budget;
    }
    // Every front point is the best under its own cost, and the front ascends in cost.
    const auto front = plan_front(p);
    ASSERT_FALSE(front.empty());
    for (std::size_t i = 0; i < front.size(); ++i) {
      EXPECT_DOUBLE_EQ(front[i].predicted_accuracy,
                       t.reference.at("accuracy") - sens_brute_best_damage(t, cost, front[i].predicted_cost));
      if (i > 0) EXPECT_GT(front[i].predicted_cost, front[i - 1].predicted_cost);
    }
    // The plan's params decode to its rows' single-group configs together.
    const auto params = plan_params(t, space, front.back());
    EXPECT_EQ(params.size(), space.space().n_params());
  }
}

TEST_F(SensitivityFixture, PlanRefusesBadCostsAndBudgets) {
  const QuantSpace space(config(sens_two_layers(), "space.toml"), graph);
  TrialEvaluator ev(graph, x, y, EvalSettings{}, std::nullopt);
  const SensitivityTable t = measure_sensitivity(space, graph, io::QuantizeBy::Name, ev);
  EXPECT_CONTAINS(qdse::testing::error_of([&] { plan_problem(t, "average_bitwidth"); }),
                  "--cost `average_bitwidth` is not a sum over layers");
  EXPECT_CONTAINS(qdse::testing::error_of([&] { plan_problem(t, "accuracy"); }), "is not a sum over layers");
  EXPECT_CONTAINS(qdse::testing::error_of([&] { plan_problem(t, "speed"); }), "is not a metric qdse computes");
  const PlanProblem p = plan_problem(t, "model_size_bits");
  EXPECT_CONTAINS(qdse::testing::error_of([&] { plan_budget(p, p.cost_offset - 1); }),
                  "is below the cheapest configuration's model_size_bits");
  EXPECT_NO_THROW(plan_budget(p, p.cost_offset));
}

TEST(Spearman, RanksWithTies) {
  EXPECT_DOUBLE_EQ(spearman({1, 2, 3, 4}, {10, 20, 30, 40}), 1.0);
  EXPECT_DOUBLE_EQ(spearman({1, 2, 3, 4}, {4, 3, 2, 1}), -1.0);
  // ranks a = 1 2 3 4, b = 1.5 1.5 3 4: rho = 4.5 / sqrt(5 * 4.5)
  EXPECT_NEAR(spearman({1, 2, 3, 4}, {7, 7, 8, 9}), 4.5 / std::sqrt(5 * 4.5), 1e-15);
  EXPECT_TRUE(std::isnan(spearman({1}, {2})));
  EXPECT_TRUE(std::isnan(spearman({1, 2}, {3, 3})));
}

}  // namespace
}  // namespace qdse::pipeline
