// Interop with Optuna itself (Debian's /usr/bin/python3 + python3-optuna 3.1 and
// python3-plotly) through a journal file, driven by tests/storage/optuna_journal.py:
//  - a study qdse writes is loaded by optuna.load_study with the same trials (numbers,
//    states, params as the user sees them, values, user attrs, constraints), and
//    Optuna's Pareto-front and optimization-history plots build on it; the same for an
//    SQLite study exported with export_to_journal (`qdse export-study`);
//  - a study two Optuna processes wrote at once is read by qdse with the same trials,
//    adopted and resumed by a qdse brute-force worker, and Optuna then sees every trial.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "../support/prerequisites.hpp"
#include "qdse/search/space.hpp"
#include "qdse/storage/journal_export.hpp"
#include "qdse/storage/journal_storage.hpp"
#include "qdse/storage/sqlite_storage.hpp"
#include "mixed_study.hpp"
#include "storage_test_util.hpp"

namespace qdse::storage::testing {
namespace {

using nlohmann::json;
using search::TrialState;

const std::string kHelper = std::string(QDSE_SOURCE_DIR) + "/tests/storage/optuna_journal.py";

bool have_optuna() {
  return std::system("/usr/bin/python3 -c 'import optuna, plotly' >/dev/null 2>&1") == 0;
}

#define QDSE_REQUIRE_OPTUNA()                                                                                  \
  QDSE_REQUIRE(have_optuna(), "/usr/bin/python3 cannot import optuna and plotly (scripts/install-deps.sh " \
                              "installs python3-optuna and python3-plotly)")

int run_helper(const std::string& args, const std::string& log) {
  return std::system(("/usr/bin/python3 '" + kHelper + "' " + args + " >>'" + log + "' 2>&1").c_str());
}

// What Optuna sees of `study` (optuna_journal.py dump).
json optuna_view(const TempDir& dir, const std::string& path, const std::string& study) {
  const std::string out = dir.file("optuna_view.json"), log = dir.file("python.log");
  EXPECT_EQ(run_helper("dump '" + path + "' '" + study + "' '" + out + "'", log), 0) << "see " << log;
  std::ifstream in(out);
  return json::parse(in, nullptr, false);
}

std::string optuna_state(TrialState s) {
  switch (s) {
    case TrialState::Complete: return "COMPLETE";
    case TrialState::Failed: return "FAIL";
    case TrialState::Pruned: return "PRUNED";
    default: return "RUNNING";
  }
}

// Optuna's JSON of a double as optuna_journal.py writes it (non-finite as strings).
json plain(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  return v;
}

// Optuna's view of study `study` in the journal `path` (from optuna_journal.py dump)
// equals `trials`: numbers, states, params as the user sees them, values, user attrs,
// constraints; its Pareto-front and optimization-history plots build.
void expect_optuna_sees(const TempDir& dir, const std::string& path, const std::string& study,
                        const std::vector<search::FrozenTrial>& trials) {
  const json view = optuna_view(dir, path, study);
  ASSERT_TRUE(view.is_object());
  EXPECT_EQ(view["directions"], json({"MAXIMIZE", "MINIMIZE"}));
  ASSERT_EQ(view["trials"].size(), trials.size());
  const json choices_w = {2, 4, 8}, choices_mode = {"fixed", "minifloat"};
  for (const auto& t : trials) {
    const json& o = view["trials"][static_cast<std::size_t>(t.number)];
    SCOPED_TRACE("trial " + std::to_string(t.number));
    EXPECT_EQ(o["number"], t.number);
    EXPECT_EQ(o["state"], optuna_state(t.state));
    // Params as the user sees them: the choice itself for categoricals.
    EXPECT_EQ(o["params"]["w"], choices_w[static_cast<std::size_t>(t.params[0])]);
    EXPECT_EQ(o["params"]["mode"], choices_mode[static_cast<std::size_t>(t.params[1])]);
    EXPECT_EQ(o["params"]["n"], static_cast<int>(t.params[2]));
    EXPECT_EQ(o["params"]["lr"].get<double>(), t.params[3]);
    if (t.state == TrialState::Complete) {
      json values = json::array();
      for (double v : t.values) values.push_back(plain(v));
      EXPECT_EQ(o["values"], values);
    } else {
      EXPECT_TRUE(o["values"].is_null());  // Optuna keeps values of finished trials only when complete
    }
    json attrs = json::object();
    for (const auto& [k, v] : t.metrics) attrs[k] = plain(v);
    EXPECT_EQ(o["user_attrs"], attrs);
    if (t.constraints.empty()) {
      EXPECT_TRUE(o["constraints"].is_null());
    } else {
      EXPECT_EQ(o["constraints"], json(t.constraints));
    }
  }
  EXPECT_EQ(view["plots"][0][0], "pareto_front");
  EXPECT_GE(view["plots"][0][1].get<int>(), 1);
  EXPECT_EQ(view["plots"][1][0], "optimization_history");
}

TEST(OptunaJournal, OptunaLoadsAStudyQdseWrote) {
  QDSE_REQUIRE_OPTUNA();
  TempDir dir;
  const std::string path = dir.file("qdse.log");
  JournalStorage s(path, "mixed", kMixedSpace, kMixedDirections);
  fill_mixed_study(s);
  expect_optuna_sees(dir, path, "mixed", s.trials());
}

// `qdse export-study`'s library side: an SQLite study with every kind of trial, exported
// to a journal, is the same study for Optuna.
TEST(OptunaJournal, OptunaLoadsAnExportedSqliteStudy) {
  QDSE_REQUIRE_OPTUNA();
  TempDir dir;
  const std::string db = dir.file("study.db"), path = dir.file("export.log");
  SqliteStorage s(db, "mixed", kMixedSpace, kMixedDirections);
  fill_mixed_study(s);
  EXPECT_EQ(export_to_journal(db, "mixed", path, false).n_trials, 8);
  expect_optuna_sees(dir, path, "mixed", s.trials());
}

TEST(OptunaJournal, QdseReadsAndResumesAStudyTwoOptunaProcessesWrote) {
  QDSE_REQUIRE_OPTUNA();
  TempDir dir;
  const std::string path = dir.file("optuna.log"), log = dir.file("python.log");
  // Two Optuna processes at once on one file (Optuna's own lock protocol between them).
  const std::string cmd = "/usr/bin/python3 '" + kHelper + "' optimize '" + path + "' opt 12 1 >>'" + log +
                          "' 2>&1 & /usr/bin/python3 '" + kHelper + "' optimize '" + path + "' opt 12 2 >>'" + log +
                          "' 2>&1 & wait";
  ASSERT_EQ(std::system(("sh -c \"" + cmd + "\"").c_str()), 0);
  const json before = optuna_view(dir, path, "opt");
  ASSERT_EQ(before["trials"].size(), 24u) << "see " << log;

  const auto studies = JournalStorage::list_studies(path);
  ASSERT_EQ(studies.size(), 1u);
  EXPECT_EQ(studies[0].name, "opt");
  EXPECT_EQ(studies[0].n_complete, 24);
  const auto space = space_3x4x5();
  {
    JournalStorage reader(path, "opt", "", {}, /*read_only=*/true);
    const auto trials = reader.trials();
    ASSERT_EQ(trials.size(), 24u);
    const std::vector<std::string> abc = {"x", "y", "z"};
    for (const auto& t : trials) {
      const json& o = before["trials"][static_cast<std::size_t>(t.number)];
      SCOPED_TRACE("trial " + std::to_string(t.number));
      EXPECT_EQ(t.state, TrialState::Complete);
      ASSERT_EQ(t.params.size(), 3u);  // params in name order: a, b, c
      EXPECT_EQ(o["params"]["a"], abc[static_cast<std::size_t>(t.params[0])]);
      EXPECT_EQ(o["params"]["b"], static_cast<int>(t.params[1]));
      EXPECT_EQ(o["params"]["c"], static_cast<int>(t.params[2]));
      EXPECT_EQ(t.values, (std::vector<double>{objective(space, t.params)}));
      EXPECT_EQ(o["values"][0].get<double>(), t.values[0]);
      EXPECT_EQ(t.metrics.at("accuracy"), o["user_attrs"]["accuracy"].get<double>());
    }
  }
  // Resume with qdse's description of the same space: adopted, then a brute-force
  // worker evaluates exactly the configurations Optuna did not.
  const char* space_json =
      R"({"params": [{"name": "a", "choices": ["x", "y", "z"]}, {"name": "b", "distribution": "int[0, 3]"},)"
      R"( {"name": "c", "distribution": "int[10, 14]"}]})";
  JournalStorage resumed(path, "opt", space_json, kMin);
  std::set<std::uint64_t> by_optuna;
  for (const auto& t : resumed.trials()) by_optuna.insert(search::config_index(space, t.params));
  const auto done = run_brute_force(resumed, space, "qdse");
  EXPECT_EQ(done.size(), 60u - by_optuna.size());
  const auto all = resumed.trials();
  std::set<std::uint64_t> covered;
  for (int n : done) {
    const auto i = search::config_index(space, all[static_cast<std::size_t>(n)].params);
    EXPECT_FALSE(by_optuna.count(i)) << "qdse re-evaluated a configuration Optuna had";
    EXPECT_TRUE(covered.insert(i).second) << "qdse evaluated a configuration twice";
  }
  EXPECT_EQ(covered.size() + by_optuna.size(), 60u);

  const json after = optuna_view(dir, path, "opt");
  ASSERT_EQ(after["trials"].size(), all.size());
  for (const auto& o : after["trials"]) EXPECT_EQ(o["state"], "COMPLETE");
  EXPECT_EQ(after["plots"][0][0], "optimization_history");
}

}  // namespace
}  // namespace qdse::storage::testing
