// `qdse search` writes the HTML report, `qdse report RUN_DIR` re-creates it: the
// data behind each figure agrees with trials.json / best.json, every figure is a
// real PNG and SVG, missing gnuplot is a clear error (a warning for search), and
// headless Chromium loads the page with every image decoded.
#include <gtest/gtest.h>

#include "../support/prerequisites.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include "report_fixture.hpp"

namespace qdse::report_test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

fs::path search_run(const std::string& config, const std::string& name, const std::string& env = "") {
  const fs::path dir = fixture().dir / name;
  fs::remove_all(dir);
  const auto r = run_qdse("-q search --config '" + config + "' --out '" + dir.string() + "'", fixture().dir / (name + "-io"),
                          env);
  EXPECT_EQ(r.status, 0) << r.err;
  return dir;
}

const fs::path& single_run() {
  static const fs::path p = search_run(fixture().single_config, "single");
  return p;
}

const fs::path& multi_run() {
  static const fs::path p = search_run(fixture().multi_config, "multi");
  return p;
}

std::vector<std::string> figure_names(const json& data) {
  std::vector<std::string> names;
  for (const auto& p : data.at("pareto")) names.push_back(p.at("name"));
  names.insert(names.end(), {"history", "normalized", "bitwidths"});
  return names;
}

std::set<int> numbers(const json& a) {
  std::set<int> s;
  for (const auto& x : a) s.insert(x.is_object() ? x.at("number").get<int>() : x.get<int>());
  return s;
}

TEST(RunReport, SearchWritesEveryFigureAsPngAndSvg) {
  const auto dir = single_run() / "report";
  ASSERT_TRUE(fs::exists(dir / "index.html"));
  const auto data = read_json(dir / "report.json");
  const auto html = slurp(dir / "index.html");
  const auto names = figure_names(data);
  EXPECT_GE(names.size(), 5u);  // pareto_size, pareto_bitops, history, normalized, bitwidths
  for (const auto& n : names) {
    SCOPED_TRACE(n);
    EXPECT_TRUE(is_png(dir / (n + ".png")));
    EXPECT_TRUE(is_svg(dir / (n + ".svg")));
    EXPECT_GT(fs::file_size(dir / (n + ".dat")), 0u);
    EXPECT_NE(slurp(dir / (n + ".gp")).find("gnuplot " + n + ".gp"), std::string::npos);
    EXPECT_NE(html.find("src=\"" + n + ".png\""), std::string::npos);
  }
  // Provenance from best.json is stated.
  const auto best = read_json(single_run() / "best.json");
  EXPECT_NE(html.find(best.at("provenance").at("weights").get<std::string>()), std::string::npos);
  EXPECT_NE(html.find("sampler"), std::string::npos);
  EXPECT_NE(html.find("accuracy &gt;= 0.85 * float"), std::string::npos);
  EXPECT_NE(html.find("[search.strategy.setup]"), std::string::npos);  // config.toml embedded
}

TEST(RunReport, HistoryBestSoFarIsMonotoneAndMatchesTrials) {
  const auto data = read_json(single_run() / "report" / "report.json");
  const auto trials = read_json(single_run() / "trials.json");
  const auto best = read_json(single_run() / "best.json");
  const auto& h = data.at("history");
  ASSERT_EQ(h.at("trials").size(), trials.size());  // every trial completed
  double running = -INFINITY;
  for (std::size_t i = 0; i < trials.size(); ++i) {
    const auto& t = trials[i];
    EXPECT_EQ(h.at("trials")[i], t.at("number"));
    EXPECT_DOUBLE_EQ(h.at("values")[i].get<double>(), t.at("values")[0].get<double>());
    if (t.at("feasible").get<bool>()) running = std::max(running, t.at("values")[0].get<double>());
    if (std::isfinite(running)) EXPECT_DOUBLE_EQ(h.at("best_so_far")[i].get<double>(), running);
    else EXPECT_TRUE(h.at("best_so_far")[i].is_null());
    if (i > 0 && !h.at("best_so_far")[i - 1].is_null())
      EXPECT_GE(h.at("best_so_far")[i].get<double>(), h.at("best_so_far")[i - 1].get<double>());
  }
  ASSERT_EQ(best.at("trials").size(), 1u);
  EXPECT_DOUBLE_EQ(running, best.at("trials")[0].at("values")[0].get<double>());
  // The summary's best row is best.json's trial; compression = 32 / average bit width.
  const auto& row = data.at("summary").at("best")[0];
  EXPECT_EQ(row.at("trial"), best.at("trials")[0].at("number"));
  const auto& m = best.at("trials")[0].at("metrics");
  EXPECT_DOUBLE_EQ(row.at("compression").get<double>(), 32.0 / m.at("average_bitwidth").get<double>());
  EXPECT_DOUBLE_EQ(row.at("bitops_reduction").get<double>(),
                   best.at("float_metrics").at("bitops").get<double>() / m.at("bitops").get<double>());
}

TEST(RunReport, HeatMapRowsAreTheQuantizedLayers) {
  const auto data = read_json(single_run() / "report" / "report.json");
  const auto best = read_json(single_run() / "best.json");
  const auto& b = data.at("bitwidths");
  std::vector<std::string> expect;
  for (const char* layer : {"seq_blocks_2", "seq_blocks_5", "seq_blocks_8"})
    for (const char* slot : {"data_in", "weight", "bias"}) expect.push_back(std::string(layer) + " " + slot);
  EXPECT_EQ(b.at("rows").get<std::vector<std::string>>(), expect);
  ASSERT_FALSE(b.at("trials").empty());
  EXPECT_EQ(b.at("trials")[0], best.at("trials")[0].at("number"));
  // Column 0 holds best.json's widths.
  const auto& p = best.at("trials")[0].at("params");
  EXPECT_EQ(b.at("widths")[1][0], p.at("seq_blocks_2/config/weight_width"));
  EXPECT_EQ(b.at("widths")[3][0], p.at("seq_blocks_5/config/data_in_width"));
  for (const auto& row : b.at("widths")) EXPECT_EQ(row.size(), b.at("trials").size());
}

TEST(RunReport, ParetoPointsEqualBestJsonFront) {
  const auto data = read_json(multi_run() / "report" / "report.json");
  const auto best = read_json(multi_run() / "best.json");
  const auto trials = read_json(multi_run() / "trials.json");
  EXPECT_EQ(trials.size(), 64u);
  const auto front = numbers(best.at("trials"));
  ASSERT_FALSE(front.empty());
  bool saw_objectives = false, saw_size = false;
  for (const auto& p : data.at("pareto")) {
    std::set<int> flagged;
    for (const auto& pt : p.at("points"))
      if (pt.at("pareto").get<bool>()) flagged.insert(pt.at("trial").get<int>());
    EXPECT_EQ(flagged, numbers(p.at("front")));
    // The objectives are accuracy and model size, so both plots show best.json's front.
    if (p.at("name") == "pareto_objectives" || p.at("name") == "pareto_size") {
      EXPECT_EQ(numbers(p.at("front")), front) << p.at("name");
      saw_objectives = saw_objectives || p.at("name") == "pareto_objectives";
      saw_size = saw_size || p.at("name") == "pareto_size";
    }
  }
  EXPECT_TRUE(saw_objectives);
  EXPECT_TRUE(saw_size);
  EXPECT_EQ(numbers(data.at("bitwidths").at("trials")), front);
  // Hypervolume history never decreases.
  const auto& h = data.at("history");
  EXPECT_EQ(h.at("kind"), "hypervolume");
  for (std::size_t i = 1; i < h.at("best_so_far").size(); ++i)
    EXPECT_GE(h.at("best_so_far")[i].get<double>(), h.at("best_so_far")[i - 1].get<double>());
  EXPECT_TRUE(is_png(multi_run() / "report" / "pareto_objectives.png"));
}

// `qdse search` renders from the trials it holds in memory, `qdse report` from the files:
// both must give the same report.json.
TEST(RunReport, ReportCommandRecreatesTheReport) {
  const fs::path copy = fixture().dir / "copy of run";  // a space in the path
  fs::remove_all(copy);
  fs::create_directories(copy);
  for (const char* f : {"trials.json", "best.json", "config.toml"}) fs::copy_file(single_run() / f, copy / f);
  const auto r = run_qdse("report '" + copy.string() + "'", fixture().dir / "report-io");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("index.html"), std::string::npos);
  EXPECT_TRUE(is_png(copy / "report" / "history.png"));
  EXPECT_EQ(read_json(copy / "report" / "report.json"), read_json(single_run() / "report" / "report.json"));
}

TEST(RunReport, MissingGnuplotIsAClearErrorForReportAndAWarningForSearch) {
  const auto r = run_qdse("report '" + single_run().string() + "'", fixture().dir / "nognuplot-io",
                          "QDSE_GNUPLOT=/nonexistent/gnuplot");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("gnuplot"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("/nonexistent/gnuplot"), std::string::npos) << r.err;

  const fs::path dir = fixture().dir / "nognuplot-search";
  fs::remove_all(dir);
  const auto s = run_qdse("-q search --config '" + fixture().single_config + "' --n-trials 3 --out '" + dir.string() + "'",
                          fixture().dir / "nognuplot-search-io", "QDSE_GNUPLOT=/nonexistent/gnuplot");
  EXPECT_EQ(s.status, 0) << s.err;
  EXPECT_NE(s.err.find("warning"), std::string::npos) << s.err;
  EXPECT_NE(s.err.find("gnuplot"), std::string::npos) << s.err;
  EXPECT_TRUE(fs::exists(dir / "best.json"));
  EXPECT_FALSE(fs::exists(dir / "report" / "index.html"));
}

TEST(RunReport, NotARunDirectory) {
  const fs::path empty = fixture().dir / "empty";
  fs::create_directories(empty);
  const auto r = run_qdse("report '" + empty.string() + "'", fixture().dir / "empty-io");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("trials.json"), std::string::npos) << r.err;
}

TEST(RunReport, HeadlessChromiumDecodesEveryImage) {
  const char* chromium = "/usr/bin/chromium";
  QDSE_REQUIRE(fs::exists(chromium), "no " << chromium << ": install chromium to run this check");
  const auto dir = single_run() / "report";
  const auto n = figure_names(read_json(dir / "report.json")).size();
  const fs::path profile = fixture().dir / "chromium-profile";
  const fs::path dom = fixture().dir / "dom.html";
  const std::string cmd = std::string("timeout 90 ") + chromium +
                          " --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir='" + profile.string() +
                          "' --virtual-time-budget=5000 --dump-dom 'file://" + (dir / "index.html").string() + "' >'" +
                          dom.string() + "' 2>/dev/null";
  const int rc = std::system(cmd.c_str());
  ASSERT_TRUE(rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == 0) << "chromium failed: " << cmd;
  const std::string out = slurp(dom);
  const std::string expect = "data-images=\"" + std::to_string(n) + "/" + std::to_string(n) + "\"";
  EXPECT_NE(out.find(expect), std::string::npos) << "expected " << expect << " in the DOM:\n" << out.substr(0, 400);
}

}  // namespace
}  // namespace qdse::report_test
