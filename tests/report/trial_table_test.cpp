// The one trial writer (report/trial_table.hpp): retry_of of every trial as the storage
// recorded it (also with the shortcut that only asks for repeated params), round-trip
// numbers in CSV, labels from a stored space description.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <sstream>

#include "qdse/report/trial_table.hpp"
#include "qdse/search/brute_force_sampler.hpp"
#include "qdse/search/study.hpp"

namespace qdse::report {
namespace {

using search::Direction;
using search::TrialState;

TEST(TrialTable, RetriesOfMatchesWhatTheStorageRecorded) {
  auto storage = std::make_shared<search::InMemoryStorage>();
  const search::SearchSpace space({{"a", search::IntDistribution{0, 9, 1}}});
  {
    // A worker dies with trials 0 and 1 Running; a new one fails them and retries both.
    search::Study dead(space, {Direction::Minimize}, storage, std::make_unique<search::BruteForceSampler>(), "dead");
    dead.ask();
    dead.ask();
    const auto t2 = dead.ask();
    dead.tell(t2->number, {2.0});
  }
  search::Study study(space, {Direction::Minimize}, storage, std::make_unique<search::BruteForceSampler>(), "new");
  ASSERT_EQ(study.fail_stale_trials(0.0).size(), 2u);
  for (int i = 0; i < 4; ++i) {
    const auto t = study.ask();
    ASSERT_TRUE(t);
    study.tell(t->number, {0.1 * t->number});
  }
  const auto trials = storage->trials();
  const auto got = retries_of(*storage, trials);
  ASSERT_EQ(got.size(), trials.size());
  int retries = 0;
  for (std::size_t k = 0; k < trials.size(); ++k) {
    EXPECT_EQ(got[k], storage->retry_of(trials[k].number)) << "trial " << trials[k].number;
    retries += got[k].has_value();
  }
  EXPECT_EQ(retries, 2);
  // Both formats carry it.
  const auto params = TrialParams::from_description(R"({"params": [{"name": "a", "choices": []}]})");
  const std::string csv = trials_csv(trials, params, 1, got);
  EXPECT_NE(csv.find(",retry_of\n"), std::string::npos) << csv;
  for (std::size_t k = 0; k < trials.size(); ++k)
    EXPECT_EQ(trial_json(trials[k], params, got[k]).at("retry_of"),
              got[k] ? nlohmann::json(*got[k]) : nlohmann::json(nullptr));
}

TEST(TrialTable, CsvNumbersRoundTripAndLabelsComeFromTheDescription) {
  search::FrozenTrial t;
  t.number = 7;
  t.state = TrialState::Complete;
  t.params = {1, 0, 2.5};
  t.values = {0.1 + 0.2};  // 0.30000000000000004: "%.10g" printed 0.3
  t.metrics = {{"accuracy", 0.8878000001234567}, {"latency", std::nan("")}};
  t.eval_seconds = 1.0 / 3.0;
  t.worker = "host,with:comma";
  const auto params = TrialParams::from_description(
      R"({"params": [{"name": "l/config/name", "choices": ["NA", "integer"]},
                     {"name": "l/config/weight_width", "choices": [4, 8]}]})");
  const std::string csv = trials_csv({t}, params, 1, {std::optional<int>(3)});
  std::istringstream in(csv);
  std::string header, row;
  std::getline(in, header);
  std::getline(in, row);
  EXPECT_EQ(header,
            "number,state,feasible,value_0,l/config/name,l/config/weight_width,p2,accuracy,latency,sample_seconds,"
            "eval_seconds,start_time,end_time,worker,retry_of");
  EXPECT_EQ(row, "7,COMPLETE,1,0.30000000000000004,integer,4,2.5,0.8878000001234567,,0.0,0.3333333333333333,,,"
                 "\"host,with:comma\",3");
  const auto j = trial_json(t, params, std::nullopt);
  EXPECT_EQ(j.at("params").at("l/config/weight_width"), 4);
  EXPECT_EQ(j.at("params").at("p2"), 2.5);  // beyond the description: the raw number
  EXPECT_TRUE(j.at("retry_of").is_null());
  EXPECT_EQ(j.at("state"), "COMPLETE");
}

// One trial with categorical labels and non-finite numbers, through every format of the
// writer: JSON writes null, CSV an empty cell, the human table what printf writes.
TEST(TrialTable, NonFiniteNumbersAndCategoricalLabelsInEveryFormat) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  search::FrozenTrial t;
  t.number = 3;
  t.state = TrialState::Complete;
  t.params = {0, 1};
  t.values = {kInf, std::nan("")};
  t.constraints = {-kInf};
  t.metrics = {{"accuracy", 0.5}, {"bitops", kInf}, {"loss", std::nan("")}};
  t.worker = "w";
  const auto params = TrialParams::from_description(
      R"({"params": [{"name": "fc/config/name", "choices": ["integer", "minifloat"]},
                     {"name": "fc/config/weight_width", "choices": [2, 8]}]})");
  const auto j = trial_json(t, params, std::nullopt);
  EXPECT_EQ(j.at("params").dump(), R"({"fc/config/name":"integer","fc/config/weight_width":8})");
  EXPECT_EQ(j.at("values").dump(), "[null,null]");
  EXPECT_EQ(j.at("constraints").dump(), "[null]");
  EXPECT_EQ(j.at("metrics").dump(), R"({"accuracy":0.5,"bitops":null,"loss":null})");
  EXPECT_EQ(j.at("feasible"), true);  // -inf satisfies the constraint

  const std::string csv = trials_csv({t}, params, 2, {});
  EXPECT_EQ(csv,
            "number,state,feasible,value_0,value_1,fc/config/name,fc/config/weight_width,accuracy,bitops,loss,"
            "sample_seconds,eval_seconds,start_time,end_time,worker,retry_of\n"
            "3,COMPLETE,1,,,integer,8,0.5,,,0.0,0.0,,,w,\n");

  EXPECT_EQ(trials_text({t}, params),
            " trial  state      value         params\n"
            "     3  COMPLETE   inf,nan       fc.weight_width=8\n");
  EXPECT_EQ(compact_param("fc/config/name", "integer"), "");  // a label: the widths tell the story
  EXPECT_EQ(compact_param("a/b/c", nullptr), "a.c=null");
  EXPECT_EQ(compact_param("plain", 2.5), "plain=2.5");
}

}  // namespace
}  // namespace qdse::report
