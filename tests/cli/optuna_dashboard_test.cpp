// optuna-dashboard on a qdse journal (issue 19): `qdse search --storage journal:PATH`
// writes a study; tests/cli/optuna_dashboard.py (on the .venv of scripts/optuna-venv.sh,
// which has optuna-dashboard from PyPI) serves PATH with optuna-dashboard on 127.0.0.1,
// fetches /api/studies and /api/studies/<id>, and renders the study's trials page in
// headless Chromium (DOM text and a screenshot). The dashboard must show the trials that
// `qdse trials --format json` prints: numbers, states, params, values, user attrs,
// constraints. The helper stops the dashboard on every path; the test checks it is gone.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
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

const std::string kDashboardPy = std::string(QDSE_SOURCE_DIR) + "/tests/cli/optuna_dashboard.py";

// Runs optuna_dashboard.py on `journal` / `study` (work files in dir/dashboard, what it
// saw in dir/dashboard.json); returns its exit status. Its one-line error is in *err.
int run_dashboard_helper(const TempDir& dir, const std::string& journal, const std::string& study,
                         std::string* err) {
  fs::create_directories(dir.file("dashboard"));
  fs::remove(dir.file("dashboard/dashboard.pid"));  // written afresh by this run
  const std::string log = dir.file("dashboard_helper.err");
  // `timeout` sends SIGTERM, on which the helper still stops the dashboard.
  const std::string cmd = "timeout 300 '" + venv_python() + "' '" + kDashboardPy + "' '" + journal + "' '" + study +
                          "' '" + dir.file("dashboard") + "' '" + dir.file("dashboard.json") + "' 2>'" + log + "'";
  const int raw = std::system(cmd.c_str());
  *err = read_text(log);
  return raw != -1 && WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
}

// The dashboard the helper started has exited (it was started, and is gone).
void expect_dashboard_stopped(const TempDir& dir) {
  const std::string pid = read_text(dir.file("dashboard/dashboard.pid"));
  ASSERT_FALSE(pid.empty()) << "the helper recorded no dashboard process";
  EXPECT_FALSE(fs::exists("/proc/" + pid.substr(0, pid.find('\n')))) << "optuna-dashboard " << pid << " still runs";
}

// A qdse value (JSON) and the dashboard's text of it (Python's str(); "nan" where qdse
// writes null) are the same value.
bool same_as_dashboard_text(const json& q, const std::string& text) {
  if (q.is_string()) return q.get<std::string>() == text;
  if (q.is_boolean()) return text == (q.get<bool>() ? "True" : "False");
  if (q.is_null()) return text == "nan";
  return q.is_number() && std::strtod(text.c_str(), nullptr) == q.get<double>();
}

// A qdse object (params, metrics) and the dashboard's list of {name_key: .., value_key:
// text} entries of it hold the same names and values.
void expect_same_as_dashboard_list(const json& qdse_object, const json& served, const char* name_key,
                                   const char* value_key) {
  ASSERT_EQ(served.size(), qdse_object.size()) << served.dump();
  for (const auto& entry : served) {
    const std::string name = entry[name_key].get<std::string>();
    ASSERT_TRUE(qdse_object.contains(name)) << name;
    EXPECT_TRUE(same_as_dashboard_text(qdse_object[name], entry[value_key].get<std::string>()))
        << name << ": qdse " << qdse_object[name] << ", dashboard " << entry[value_key];
  }
}

TEST(OptunaDashboard, ServesTheTrialsOfAQdseJournal) {
  QDSE_REQUIRE_SMALL_SEARCH();
  QDSE_REQUIRE_OPTUNA_PYTHON(venv_optuna(), "optuna_dashboard, PIL");
  QDSE_REQUIRE(fs::exists("/usr/bin/chromium"), "no /usr/bin/chromium (scripts/install-deps.sh installs it)");
  TempDir dir;
  SmallSearch s;
  s.constraints = "average_bitwidth = \"<= 5\"\n";  // trials with `constraints`, feasible and not
  const std::string config = dir.write("search.toml", s.toml());
  const std::string journal = dir.file("study.log"), url = "journal:" + journal;
  auto r = run_small_search(config, "--out '" + dir.file("run") + "' --storage '" + url + "' --study mlp",
                            dir.path() / "io");
  ASSERT_EQ(r.status, 0) << r.err;
  r = run_qdse("trials --storage '" + url + "' --study mlp --format json", dir.path() / "io");
  ASSERT_EQ(r.status, 0) << r.err;
  const json trials = json::parse(r.out, nullptr, false);
  ASSERT_EQ(trials.size(), 36u) << r.out;

  std::string err;
  ASSERT_EQ(run_dashboard_helper(dir, journal, "mlp", &err), 0) << err;
  expect_dashboard_stopped(dir);
  const json seen = json::parse(read_text(dir.file("dashboard.json")), nullptr, false);
  ASSERT_TRUE(seen.is_object());

  // /api/studies: the one study, with qdse's direction.
  ASSERT_EQ(seen["studies"]["study_summaries"].size(), 1u) << seen["studies"].dump();
  EXPECT_EQ(seen["studies"]["study_summaries"][0]["study_name"], "mlp");
  EXPECT_EQ(seen["studies"]["study_summaries"][0]["directions"], json({"maximize"}));

  // /api/studies/<id>: every trial as qdse prints it.
  const json& served = seen["study"]["trials"];
  ASSERT_EQ(served.size(), trials.size());
  const std::map<std::string, std::string> state = {
      {"COMPLETE", "Complete"}, {"FAILED", "Fail"}, {"PRUNED", "Pruned"}, {"RUNNING", "Running"}};
  std::set<bool> feasibility;
  for (std::size_t k = 0; k < trials.size(); ++k) {
    const json& q = trials[k];
    const json& d = served[k];
    SCOPED_TRACE("trial " + std::to_string(k));
    EXPECT_EQ(d["number"], q["number"]);
    EXPECT_EQ(d["state"], state.at(q["state"].get<std::string>()));
    expect_same_as_dashboard_list(q["params"], d["params"], "name", "param_external_value");
    EXPECT_EQ(d["values"], q["values"]);
    expect_same_as_dashboard_list(q["metrics"], d["user_attrs"], "key", "value");
    EXPECT_EQ(d["constraints"], q["constraints"]);
    feasibility.insert(q["feasible"].get<bool>());
  }
  EXPECT_EQ(feasibility.size(), 2u) << "the constraint should split the trials";

  // The page Chromium rendered lists every trial...
  const std::string text = seen["dom_text"].get<std::string>();
  EXPECT_NE(text.find("mlp (id="), std::string::npos) << text.substr(0, 400);
  EXPECT_NE(text.find("36 Trials"), std::string::npos) << text.substr(0, 400);
  for (const auto& q : trials)
    EXPECT_NE(text.find("Trial " + std::to_string(q["number"].get<int>()) + " "), std::string::npos)
        << "trial " << q["number"] << " not on the page: " << text.substr(0, 400);
  // ... and its screenshot is the rendered page: the window's size, with text on it (a
  // blank page, or the dashboard's loading or "study not found" screen, has almost no
  // dark pixels: 0 and 0.00003 of them when measured; this page ~0.01).
  const json& shot = seen["screenshot"];
  EXPECT_TRUE(fs::exists(dir.file("dashboard/trials.png")));
  EXPECT_EQ(shot["width"], 1280);
  EXPECT_EQ(shot["height"], 900);
  EXPECT_GT(shot["colours"].get<int>(), 1);
  EXPECT_GT(shot["ink"].get<double>(), 0.002) << shot.dump();

  // A failure on the way (a study the dashboard does not list) is one line, and the
  // dashboard is stopped all the same.
  ASSERT_EQ(run_dashboard_helper(dir, journal, "nope", &err), 1);
  EXPECT_EQ(line_count(err), 1) << err;
  EXPECT_NE(err.find("lists no study `nope`"), std::string::npos) << err;
  expect_dashboard_stopped(dir);
}

}  // namespace
}  // namespace qdse::cli
