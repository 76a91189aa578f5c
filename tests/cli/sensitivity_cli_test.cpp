// `qdse sensitivity` and `qdse plan` through the binary on the small search (fmnist-mlp
// with the peer's weights, two layers x 6 choices), and their bad inputs.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "../support/errors.hpp"
#include "../support/prerequisites.hpp"
#include "cli_runner.hpp"
#include "small_search.hpp"

namespace qdse::testing {
namespace {

namespace fs = std::filesystem;

// The pass over the small search, run once for these tests: its directory.
const fs::path& sensitivity_run() {
  static const fs::path dir = [] {
    const auto d = scratch_dir("sensitivity");
    write_text(d / "c.toml", SmallSearch{}.toml());
    const auto r = run_qdse("-q sensitivity --config " + shell_quote(d / "c.toml") + " --load " +
                                shell_quote(small_search_weights()) + " --out " + shell_quote(d / "out"),
                            d);
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_CONTAINS(r.out, "pass: 13 evaluations");
    return d;
  }();
  return dir;
}

TEST(SensitivityCli, WritesTheTableAndPlanReadsIt) {
  QDSE_REQUIRE_SMALL_SEARCH();
  const fs::path& d = sensitivity_run();
  const auto doc = nlohmann::json::parse(read_text(d / "out" / "sensitivity.json"));
  // seq_blocks_1 and _3 with 6 choices; the ReLUs and seq_blocks_5 with the default's one ("NA").
  ASSERT_EQ(doc.at("groups").size(), 5u);
  EXPECT_EQ(doc.at("groups")[0].at("group"), "seq_blocks_1");
  EXPECT_EQ(doc.at("groups")[0].at("choices").size(), 6u);
  EXPECT_EQ(doc.at("evaluations"), 13);
  const std::string csv = read_text(d / "out" / "sensitivity.csv");
  EXPECT_EQ(line_count(csv), 16);  // header + 6 + 1 + 6 + 1 + 1 rows
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "group,choice,accuracy,loss,d_accuracy,d_loss,d_model_size,d_model_size_bits,d_model_size_bytes,"
            "d_bitops,d_macs,d_flops");

  const auto front = run_qdse("--json plan --sensitivity " + shell_quote(d / "out" / "sensitivity.json") +
                                  " --cost bitops",
                              d);
  ASSERT_EQ(front.status, 0) << front.err;
  const auto plans = nlohmann::json::parse(front.out).at("plans");
  ASSERT_GE(plans.size(), 2u);
  for (std::size_t i = 1; i < plans.size(); ++i) {
    EXPECT_GT(plans[i].at("cost").get<double>(), plans[i - 1].at("cost").get<double>());
    EXPECT_GT(plans[i].at("predicted_accuracy").get<double>(), plans[i - 1].at("predicted_accuracy").get<double>());
  }

  // One plan under a budget, evaluated: the budget is the cheapest point's cost.
  const double budget = plans[0].at("cost").get<double>();
  const auto one = run_qdse("--json plan --config " + shell_quote(d / "c.toml") + " --load " +
                                shell_quote(small_search_weights()) + " --sensitivity " +
                                shell_quote(d / "out" / "sensitivity.json") + " --cost bitops --evaluate --budget " +
                                nlohmann::json(budget).dump(),
                            d);
  ASSERT_EQ(one.status, 0) << one.err;
  const auto best = nlohmann::json::parse(one.out).at("plans");
  ASSERT_EQ(best.size(), 1u);
  EXPECT_EQ(best[0].at("choices"), plans[0].at("choices"));
  // Both layers are quantized in every plan, so the measurement is not predictable from
  // the table: check that one came back.
  const double measured = best[0].at("measured_accuracy").get<double>();
  EXPECT_GE(measured, 0.0);
  EXPECT_LE(measured, 1.0);
}

TEST(SensitivityCli, PlanFrontIsEvaluatedWithRankCorrelation) {
  QDSE_REQUIRE_SMALL_SEARCH();
  const fs::path& d = sensitivity_run();
  const auto r = run_qdse("plan --config " + shell_quote(d / "c.toml") + " --load " + shell_quote(small_search_weights()) +
                              " --sensitivity " + shell_quote(d / "out" / "sensitivity.json") + " --evaluate",
                          d);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_CONTAINS(r.out, "predicted plans of accuracy against model_size (solver ");
  EXPECT_CONTAINS(r.out, "spearman(predicted, measured accuracy) = ");
}

TEST(SensitivityCli, BadInputsAreOneLineErrors) {
  QDSE_REQUIRE_SMALL_SEARCH();
  const fs::path& d = sensitivity_run();
  const std::string table = shell_quote(d / "out" / "sensitivity.json");
  write_text(d / "broken.json", "{ not json");
  write_text(d / "other.json", "{\"format\": \"something else\"}");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"plan --sensitivity " + table + " --cost average_bitwidth", "--cost `average_bitwidth` is not a sum over layers"},
      {"plan --sensitivity " + table + " --cost speed", "--cost `speed` is not a metric qdse computes"},
      {"plan --sensitivity " + table + " --budget 1", "--budget 1 is below the cheapest configuration's model_size ("},
      {"plan --sensitivity " + table + " --budget -3", "--budget"},
      {"plan --sensitivity " + shell_quote(d / "missing.json"), "cannot read"},
      {"plan --sensitivity " + shell_quote(d / "broken.json"), "is not valid JSON"},
      {"plan --sensitivity " + shell_quote(d / "other.json"), "not a qdse sensitivity table"},
  };
  for (const auto& [args, message] : cases) {
    const auto r = run_qdse(args, d);
    EXPECT_EQ(r.status, 1) << args;
    EXPECT_CONTAINS(r.err, message);
    EXPECT_EQ(line_count(r.err), 1) << args << ": " << r.err;
    EXPECT_EQ(r.out, "") << args;
  }
}

}  // namespace
}  // namespace qdse::testing
