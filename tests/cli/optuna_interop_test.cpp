// Optuna interoperability through the `qdse` binary (issue 19). Every OptunaInterop test
// runs twice (optuna_pythons.hpp): suite Optuna3/OptunaInterop on Debian's /usr/bin/python3
// with python3-optuna 3.1, and Optuna5/OptunaInterop on the .venv of scripts/optuna-venv.sh
// with Optuna 5.x from PyPI (both with Debian's python3-plotly and python3-sklearn); the
// Python side is tests/cli/optuna_interop.py:
//  - `qdse search --storage journal:PATH` (two objectives, a constraint): Optuna's
//    load_study sees the trials `qdse trials --format json` prints (numbers, states,
//    params, values, user attrs, constraints), and its Pareto-front, optimization-history
//    and param-importance plots build;
//  - `qdse export-study` of an SQLite study: `qdse trials` prints the same JSON on the
//    export as on the source, and Optuna sees the same trials and plots them;
//  - three Optuna processes write one journal at once: `qdse studies`, `qdse trials`
//    read it, `qdse search` resumes it (only the configurations Optuna had not tried),
//    `qdse report` reports it, and Optuna reads back what qdse appended;
//  - bad `qdse export-study` inputs: one line, exit 1, nothing written.
// Model: the small search (small_search.hpp; 36 configurations, 256 samples).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "../support/temp_dir.hpp"
#include "optuna_pythons.hpp"
#include "small_search.hpp"

namespace qdse::cli {
namespace {

using namespace qdse::testing;
using nlohmann::json;
namespace fs = std::filesystem;

const std::string kInteropPy = std::string(QDSE_SOURCE_DIR) + "/tests/cli/optuna_interop.py";

// The Optuna a test runs against: GetParam() (optuna_pythons.hpp).
class OptunaInterop : public ::testing::TestWithParam<OptunaPython> {
 protected:
  const std::string& python() const { return GetParam().python; }
};

std::string interop_param_name(const ::testing::TestParamInfo<OptunaPython>& info) {
  return info.param.python == venv_python() ? "venv_python" : "debian_python3";
}

INSTANTIATE_TEST_SUITE_P(Optuna3, OptunaInterop, ::testing::Values(debian_optuna()), interop_param_name);
INSTANTIATE_TEST_SUITE_P(Optuna5, OptunaInterop, ::testing::Values(venv_optuna()), interop_param_name);

#define QDSE_REQUIRE_OPTUNA_PLOTS() QDSE_REQUIRE_OPTUNA_PYTHON(GetParam(), "plotly, sklearn")

// `qdse <args>` with its own stdout/stderr files in `dir`.
CliResult interop_qdse(const TempDir& dir, const std::string& args) { return run_qdse(args, dir.path() / "io"); }

// What Optuna sees of `study` in the journal `path` (optuna_interop.py view).
json optuna_sees(const std::string& python, const TempDir& dir, const std::string& path, const std::string& study) {
  const std::string out = dir.file("optuna_view.json"), log = dir.file("python.log");
  const std::string cmd = "'" + python + "' '" + kInteropPy + "' view '" + path + "' '" + study + "' '" +
                          out + "' >>'" + log + "' 2>&1";
  const int rc = std::system(cmd.c_str());
  EXPECT_EQ(rc, 0) << read_text(log);
  return json::parse(read_text(out), nullptr, false);
}

// `qdse trials --format json` of `study` in `url`.
json qdse_trials(const TempDir& dir, const std::string& url, const std::string& study) {
  const auto r = interop_qdse(dir, "trials --storage '" + url + "' --study '" + study + "' --format json");
  EXPECT_EQ(r.status, 0) << r.err;
  return json::parse(r.out, nullptr, false);
}

// A qdse number as optuna_interop.py writes Optuna's: NaN/infinity (null in qdse's
// JSON) are strings there.
json optuna_number(const json& qdse_value, const json& optuna_value) {
  if (qdse_value.is_null() && optuna_value.is_string()) return optuna_value;
  return qdse_value;
}

// Optuna's view and `qdse trials --format json` describe the same trials. Optuna's
// params may lack those in `implied` (single-choice params a study Optuna wrote never
// suggested; qdse shows their only choice).
void expect_same_trials(const json& optuna, const json& qdse, const std::set<std::string>& implied = {}) {
  ASSERT_TRUE(optuna.is_object());
  ASSERT_TRUE(qdse.is_array());
  ASSERT_EQ(optuna["trials"].size(), qdse.size());
  const std::map<std::string, std::string> state = {
      {"COMPLETE", "COMPLETE"}, {"FAILED", "FAIL"}, {"PRUNED", "PRUNED"}, {"RUNNING", "RUNNING"}};
  for (std::size_t k = 0; k < qdse.size(); ++k) {
    const json& q = qdse[k];
    const json& o = optuna["trials"][k];
    SCOPED_TRACE("trial " + std::to_string(k));
    EXPECT_EQ(o["number"], q["number"]);
    EXPECT_EQ(o["state"], state.at(q["state"].get<std::string>()));
    for (const auto& [name, v] : q["params"].items()) {  // the choices as the user wrote them
      if (o["params"].contains(name)) EXPECT_EQ(o["params"][name], v) << name;
      else EXPECT_TRUE(implied.count(name)) << "Optuna's trial lacks " << name;
    }
    EXPECT_LE(o["params"].size(), q["params"].size());
    if (q["state"] == "COMPLETE") {
      ASSERT_EQ(o["values"].size(), q["values"].size());
      for (std::size_t i = 0; i < q["values"].size(); ++i)
        EXPECT_EQ(o["values"][i], optuna_number(q["values"][i], o["values"][i]));
    } else {
      EXPECT_TRUE(o["values"].is_null());
    }
    ASSERT_EQ(o["user_attrs"].size(), q["metrics"].size());
    for (const auto& [name, v] : q["metrics"].items())
      EXPECT_EQ(o["user_attrs"][name], optuna_number(v, o["user_attrs"][name])) << name;
    if (q["constraints"].empty()) EXPECT_TRUE(o["constraints"].is_null());
    else EXPECT_EQ(o["constraints"], q["constraints"]);
  }
}

// Each plot optuna_interop.py built, with at least one trace.
void expect_plots(const json& view, const std::vector<std::string>& names) {
  ASSERT_EQ(view["plots"].size(), names.size()) << view["plots"].dump();
  for (std::size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(view["plots"][i][0], names[i]);
    EXPECT_GE(view["plots"][i][1].get<int>(), 1) << names[i];
  }
}

std::string write_config(const TempDir& dir, const SmallSearch& s) { return dir.write("search.toml", s.toml()); }

TEST_P(OptunaInterop, SearchIntoAJournalIsAnOptunaStudy) {
  QDSE_REQUIRE_SMALL_SEARCH();
  QDSE_REQUIRE_OPTUNA_PLOTS();
  TempDir dir;
  SmallSearch s;
  s.setup = "sum_scaled_metrics = false\n";  // accuracy (max) and average_bitwidth (min): a Pareto front
  s.constraints = "average_bitwidth = \"<= 5\"\n";
  const std::string journal = dir.file("study.log"), url = "journal:" + journal;
  const std::string args = "--out '" + dir.file("run") + "' --storage '" + url + "' --study mlp";
  const auto r = run_small_search(write_config(dir, s), args, dir.path() / "io");
  ASSERT_EQ(r.status, 0) << r.err;
  const json trials = qdse_trials(dir, url, "mlp");
  ASSERT_EQ(trials.size(), 36u);
  std::set<bool> feasibility;
  for (const auto& t : trials) feasibility.insert(t["feasible"].get<bool>());
  EXPECT_EQ(feasibility.size(), 2u) << "the constraint should split the trials";
  const json view = optuna_sees(python(), dir, journal, "mlp");
  EXPECT_EQ(view["directions"], json({"MAXIMIZE", "MINIMIZE"}));
  expect_same_trials(view, trials);
  expect_plots(view, {"pareto_front", "optimization_history", "param_importances"});
}

TEST_P(OptunaInterop, ExportedSqliteStudyIsTheSameOptunaStudy) {
  QDSE_REQUIRE_SMALL_SEARCH();
  QDSE_REQUIRE_OPTUNA_PLOTS();
  TempDir dir;
  SmallSearch s;
  s.constraints = "average_bitwidth = \"<= 5\"\n";
  const std::string db = dir.file("run/study.db"), journal = dir.file("export.log");
  auto r = run_small_search(write_config(dir, s), "--out '" + dir.file("run") + "' --n-trials 20", dir.path() / "io");
  ASSERT_EQ(r.status, 0) << r.err;
  r = interop_qdse(dir, "export-study --from '" + db + "' --study search --to 'journal:" + journal + "'");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("20 trials"), std::string::npos) << r.out;
  // The export is the same study for qdse: the same JSON, times, workers and all.
  const json from_sqlite = qdse_trials(dir, db, "search");
  EXPECT_EQ(qdse_trials(dir, "journal:" + journal, "search").dump(1), from_sqlite.dump(1));
  const auto studies_db = interop_qdse(dir, "--json studies --storage '" + db + "'");
  const auto studies_journal = interop_qdse(dir, "--json studies --storage 'journal:" + journal + "'");
  EXPECT_EQ(studies_journal.out, studies_db.out);
  // ... and for Optuna.
  const json view = optuna_sees(python(), dir, journal, "search");
  EXPECT_EQ(view["directions"], json({"MAXIMIZE"}));
  expect_same_trials(view, from_sqlite);
  expect_plots(view, {"optimization_history", "param_importances"});
}

TEST_P(OptunaInterop, QdseReadsResumesAndReportsAStudyThreeOptunaProcessesWrote) {
  QDSE_REQUIRE_SMALL_SEARCH();
  QDSE_REQUIRE_OPTUNA_PLOTS();
  TempDir dir;
  const std::string journal = dir.file("optuna.log"), url = "journal:" + journal, log = dir.file("optimize.log");
  // Three Optuna processes at once on one file (Optuna's lock protocol between them).
  std::string cmd;
  for (int seed = 1; seed <= 3; ++seed)
    cmd += "'" + python() + "' '" + kInteropPy + "' optimize '" + journal + "' peer 6 " + std::to_string(seed) +
           " >>'" + log + "' 2>&1 & ";
  ASSERT_EQ(std::system(("sh -c \"" + cmd + "wait\"").c_str()), 0);
  const json optuna_before = optuna_sees(python(), dir, journal, "peer");
  ASSERT_EQ(optuna_before["trials"].size(), 18u) << read_text(log);

  auto r = interop_qdse(dir, "--json studies --storage '" + url + "'");
  ASSERT_EQ(r.status, 0) << r.err;
  const json studies = json::parse(r.out, nullptr, false);
  ASSERT_EQ(studies.size(), 1u) << r.out;
  EXPECT_EQ(studies[0]["name"], "peer");
  EXPECT_EQ(studies[0]["complete"], 18);
  EXPECT_EQ(studies[0]["directions"], json({"maximize"}));
  const json before = qdse_trials(dir, url, "peer");
  // The small search's single-choice params, which optuna_interop.py (as the peer
  // harness) does not suggest.
  const std::set<std::string> implied = {"seq_blocks_1/config/name", "seq_blocks_2/config/name",
                                         "seq_blocks_3/config/name", "seq_blocks_4/config/name",
                                         "seq_blocks_5/config/name"};
  expect_same_trials(optuna_before, before, implied);

  // qdse resumes the study with brute force: only what Optuna had not tried, each once.
  std::set<std::string> by_optuna;
  for (const auto& t : before) by_optuna.insert(t["params"].dump());
  r = run_small_search(write_config(dir, SmallSearch{}),
                       "--out '" + dir.file("run") + "' --storage '" + url + "' --study peer", dir.path() / "io");
  ASSERT_EQ(r.status, 0) << r.err;
  const json after = qdse_trials(dir, url, "peer");
  ASSERT_EQ(after.size(), 18u + (36u - by_optuna.size()));
  std::set<std::string> by_qdse;
  for (std::size_t k = 18; k < after.size(); ++k) {
    const std::string p = after[k]["params"].dump();
    EXPECT_EQ(after[k]["state"], "COMPLETE");
    EXPECT_FALSE(by_optuna.count(p)) << "qdse re-evaluated a configuration Optuna had: " << p;
    EXPECT_TRUE(by_qdse.insert(p).second) << "qdse evaluated a configuration twice: " << p;
  }
  // Optuna's trials are unchanged; their params now come with the implied ones.
  for (std::size_t k = 0; k < 18; ++k) {
    json was = before[k], now = after[k];
    for (const auto& [name, v] : was["params"].items()) EXPECT_EQ(now["params"][name], v) << "trial " << k;
    EXPECT_EQ(now["params"].size(), was["params"].size() + implied.size());
    was.erase("params");
    now.erase("params");
    EXPECT_EQ(now, was) << "trial " << k << " changed";
  }
  // The run directory covers Optuna's trials too, and `qdse report` reports them.
  EXPECT_EQ(json::parse(read_text(dir.file("run/trials.json")), nullptr, false).size(), after.size());
  fs::remove_all(dir.file("run/report"));
  r = interop_qdse(dir, "report '" + dir.file("run") + "'");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(fs::exists(dir.file("run/report/index.html")));

  // Optuna reads back every trial, qdse's included.
  const json view = optuna_sees(python(), dir, journal, "peer");
  expect_same_trials(view, after, implied);
  expect_plots(view, {"optimization_history", "param_importances"});
}

TEST(OptunaExportStudy, BadInputsAreOneLineErrors) {
  QDSE_REQUIRE_SMALL_SEARCH();
  TempDir dir;
  const std::string db = dir.file("run/study.db");
  auto r = run_small_search(write_config(dir, SmallSearch{}), "--out '" + dir.file("run") + "' --n-trials 3",
                            dir.path() / "io");
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string kept = dir.write("kept.log", "not to be overwritten\n");
  fs::create_directories(dir.file("a_directory"));
  struct Case {
    std::string args, expect;
  };
  const std::vector<Case> cases = {
      {"--from '" + db + "' --to 'sqlite:///" + dir.file("x.db") + "'", "give journal:PATH"},
      {"--from '" + db + "' --to 'journal:'", "has no file path"},
      {"--from 'nosuch:thing' --to 'journal:" + dir.file("x.log") + "'", "unknown kind"},
      {"--from '" + db + "' --study nope --to 'journal:" + dir.file("x.log") + "'", "no study `nope`"},
      {"--from '" + db + "' --to 'journal:" + kept + "'", "give --force to replace it"},
      {"--from '" + db + "' --to 'journal:" + dir.file("a_directory") + "' --force", "is a directory"},
      {"--from '" + db + "' --to 'journal:" + dir.file("no/such/dir/x.log") + "'", "no/such/dir/x.log"},
      {"--from 'journal:" + dir.file("missing.log") + "' --to 'journal:" + dir.file("x.log") + "'", "no studies"},
      {"--to 'journal:" + dir.file("x.log") + "'", "--from is required"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.args);
    r = interop_qdse(dir, "export-study " + c.args);
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(line_count(r.err), 1) << r.err;
    EXPECT_NE(r.err.find(c.expect), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
  EXPECT_EQ(read_text(kept), "not to be overwritten\n");
  EXPECT_FALSE(fs::exists(dir.file("x.log")));
  EXPECT_FALSE(fs::exists(dir.file("x.db")));
  // --force replaces the file with the study.
  r = interop_qdse(dir, "export-study --from '" + db + "' --to 'journal:" + kept + "' --force");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(qdse_trials(dir, "journal:" + kept, "search").size(), 3u);
}

}  // namespace
}  // namespace qdse::cli
