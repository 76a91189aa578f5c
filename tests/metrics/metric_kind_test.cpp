// The metric table (metrics/metric_kind.hpp): rows, lookups, errors, documentation.
#include "qdse/metrics/metric_kind.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "../support/enum_values.hpp"
#include "../support/errors.hpp"
#include "qdse/core/error.hpp"

namespace qdse::metrics {
namespace {

using qdse::testing::error_of;

std::vector<MetricKind> every_metric_kind() { return qdse::testing::every_enum_value<MetricKind, kMetricKindCount>(); }

TEST(MetricKindTable, OneRowPerKindWithUniqueNames) {
  qdse::testing::expect_kind_table<MetricKind, kMetricKindCount>(
      metric_table(), [](MetricKind k) -> const MetricInfo& { return info_of(k); },
      [](std::string_view name) { return parse_metric_kind(name); });
  for (auto kind : every_metric_kind()) {
    EXPECT_EQ(name_of(kind), info_of(kind).name);
    EXPECT_EQ(find_metric(info_of(kind).name), kind);
  }
}

// The order configs' error messages and TrialEvaluator::metric_names() have always used;
// new rows go at the end.
TEST(MetricKindTable, NamesKeepTheirHistoricOrder) {
  const std::vector<std::string> before = {
      "accuracy",        "macro_accuracy",   "loss",             "latency",        "latency_per_sample_us",
      "model_size",      "model_size_bits",  "model_size_bytes", "average_bitwidth", "memory_density",
      "bitops",          "macs",             "flops"};
  ASSERT_GE(metric_names().size(), before.size());
  EXPECT_EQ(std::vector<std::string>(metric_names().begin(), metric_names().begin() + before.size()), before);
  EXPECT_EQ(metric_name_list().rfind("accuracy, macro_accuracy, loss, latency, ", 0), 0u) << metric_name_list();
}

// Bad names: each is a qdse::Error(Config) naming the input and listing every metric.
TEST(MetricKindTable, UnknownNamesListEveryMetric) {
  for (const std::string bad : {"acuracy", "", "Accuracy", "accuracy ", "latency_ms", "not_a_metric"}) {
    EXPECT_FALSE(find_metric(bad).has_value()) << bad;
    const std::string msg = error_of([&] { parse_metric_kind(bad); });
    EXPECT_CONTAINS(msg, "metric `" + bad + "` is not computed by qdse; available metrics: ");
    for (const auto& name : metric_names()) EXPECT_CONTAINS(msg, name);
  }
  try {
    parse_metric_kind("acuracy");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Config);
  }
}

TEST(MetricKindTable, TraitColumns) {
  // The evaluator's metrics (rows up to flops; later rows carry their own expectations).
  std::set<std::string_view> timed, summed;
  for (const auto& row : metric_table().first(static_cast<std::size_t>(MetricKind::Flops) + 1)) {
    if (row.needs_latency) timed.insert(row.name);
    if (row.sum_over_layers) summed.insert(row.name);
  }
  EXPECT_EQ(timed, (std::set<std::string_view>{"latency", "latency_per_sample_us"}));
  EXPECT_EQ(summed, (std::set<std::string_view>{"model_size", "model_size_bits", "model_size_bytes", "bitops",
                                                "macs", "flops"}));
  EXPECT_EQ(info_of(MetricKind::Accuracy).better, Better::Higher);
  EXPECT_EQ(info_of(MetricKind::MemoryDensity).better, Better::Higher);
  EXPECT_EQ(info_of(MetricKind::Bitops).better, Better::Lower);
  EXPECT_EQ(info_of(MetricKind::Latency).unit, "ms");
}

// A row added without its definition in docs/metrics.md fails here.
TEST(MetricKindTable, EveryMetricIsDocumented) {
  std::ifstream in(std::string(QDSE_SOURCE_DIR) + "/docs/metrics.md");
  ASSERT_TRUE(in) << "docs/metrics.md";
  std::stringstream text;
  text << in.rdbuf();
  for (const auto& name : metric_names()) EXPECT_CONTAINS(text.str(), "`" + name + "`");
}

}  // namespace
}  // namespace qdse::metrics
