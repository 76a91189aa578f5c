// Large runs: write_run_report() draws the scatter clouds of a run with thousands of
// trials from far fewer points (one per pixel cell of its series), keeps every
// Pareto-front point, the best trials, the axis extremes and every corner of the
// best-so-far steps, and says so in report.json and the captions. A small run keeps
// every point. Runs gnuplot (as the other report tests do).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "qdse/report/run_report.hpp"

namespace qdse::report {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct Row {
  double x, y;
  std::string label;  // third column (trial number(s)), may be empty
};
using Blocks = std::vector<std::vector<Row>>;

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A gnuplot data file: '#' comments, blocks separated by blank lines, NaN rows are
// placeholders for empty blocks.
Blocks read_dat(const fs::path& p) {
  Blocks blocks(1);
  std::istringstream in(slurp(p));
  std::string line;
  bool blank = false;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] == '#') continue;
    if (line.empty()) {
      blank = true;
      continue;
    }
    if (blank) blocks.emplace_back();
    blank = false;
    std::istringstream f(line);
    std::string xs, ys, label;
    f >> xs >> ys >> label;
    if (xs == "NaN") continue;
    blocks.back().push_back({std::stod(xs), std::stod(ys), label});
  }
  return blocks;
}

// NAME.dat holds numbers with 10 significant digits.
bool same(double a, double b) { return std::abs(a - b) <= 1e-9 * std::max(1.0, std::abs(b)); }

std::set<int> trials_of(const std::vector<Row>& rows) {
  std::set<int> s;
  for (const auto& r : rows) {
    std::stringstream labels(r.label);
    for (std::string n; std::getline(labels, n, ',');) s.insert(std::stoi(n));
  }
  return s;
}

// A synthetic finished run: `n` trials on a coarse grid of model sizes and accuracies
// (many repeats, dense clusters, as a brute force produces), every 7th infeasible.
fs::path make_run(const std::string& name, int n) {
  const fs::path dir = fs::temp_directory_path() / ("qdse-thin-" + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  uint64_t s = 42;
  auto next = [&s] {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(s >> 11) / 9007199254740992.0;
  };
  json trials = json::array();
  int best = -1;
  double best_value = -1e9;
  for (int i = 0; i < n; ++i) {
    const double bits = 2 + std::floor(next() * 7);                              // 2..8
    const double size = 1000 * bits + 50 * std::floor(next() * 20);              // discrete sizes
    const double acc = std::min(0.95, 0.1 + 0.1 * bits + 0.05 * std::floor(next() * 5) + 0.001 * next());
    const bool feasible = i % 7 != 3;
    const double value = acc - 0.00625 * bits;
    json t = {{"number", i},
              {"state", "COMPLETE"},
              {"values", {value}},
              {"feasible", feasible},
              {"constraints", {feasible ? -1.0 : 0.5}},
              {"metrics",
               {{"accuracy", acc},
                {"model_size_bytes", size},
                {"bitops", size * size},
                {"average_bitwidth", bits},
                {"loss", 1.5 - acc}}},
              {"params", {{"fc1/config/name", "integer"}, {"fc1/config/weight_width", bits}}}};
    if (feasible && value > best_value) best_value = value, best = i;
    trials.push_back(t);
  }
  json b;
  b["objective"] = {{"sum_scaled_metrics", true},
                    {"direction", "maximize"},
                    {"metrics",
                     {{{"metric", "accuracy"}, {"scale", 1.0}, {"direction", "maximize"}},
                      {{"metric", "average_bitwidth"}, {"scale", -0.00625}, {"direction", "minimize"}}}}};
  b["float_metrics"] = {{"accuracy", 0.96}, {"bitops", 1e9}, {"model_size_bytes", 32000.0}, {"average_bitwidth", 32.0}};
  b["feasible"] = true;
  b["provenance"] = {{"model", "synthetic"}, {"dataset", "none"}};
  b["trials"] = json::array({trials[best]});
  std::ofstream(dir / "trials.json") << trials.dump(1);
  std::ofstream(dir / "best.json") << b.dump(1);
  return dir;
}

struct Report {
  fs::path dir;
  json data;
};

// The report of a synthetic run `name` with `n` trials.
Report report_of(const std::string& name, int n) {
  const auto dir = make_run(name, n);
  write_run_report(dir.string());
  return Report{dir / "report", json::parse(slurp(dir / "report" / "report.json"))};
}

// Made once for the tests of this file.
const Report& large() {
  static const Report r = report_of("large", 6000);
  return r;
}

const Report& small() {
  static const Report r = report_of("small", 300);
  return r;
}

TEST(ReportThinning, LargeRunDrawsFarFewerCloudPointsThanTrials) {
  const auto& r = large();
  ASSERT_EQ(r.data.at("n_complete"), 6000);
  for (const char* name : {"pareto_size", "pareto_bitops", "history", "normalized"}) {
    SCOPED_TRACE(name);
    const auto& p = r.data.at("plotted").at(name);
    EXPECT_TRUE(p.at("thinned").get<bool>());
    EXPECT_EQ(p.at("trials"), 6000);
    EXPECT_LT(p.at("plotted").get<std::size_t>(), p.at("points").get<std::size_t>());
  }
  for (const char* name : {"pareto_size", "pareto_bitops"}) {
    SCOPED_TRACE(name);
    const auto blocks = read_dat(r.dir / (std::string(name) + ".dat"));
    ASSERT_EQ(blocks.size(), 3u);
    const std::size_t cloud = blocks[0].size() + blocks[1].size();
    EXPECT_GT(cloud, 0u);
    EXPECT_LT(cloud * 4, 6000u);
    EXPECT_EQ(cloud + trials_of(blocks[2]).size(), r.data.at("plotted").at(name).at("plotted").get<std::size_t>());
  }
  // report.json keeps every trial.
  for (const auto& p : r.data.at("pareto")) EXPECT_EQ(p.at("points").size(), 6000u);
  // The caption says how many points are drawn.
  const auto html = slurp(r.dir / "index.html");
  EXPECT_NE(html.find("Drawn from " + std::to_string(r.data.at("plotted").at("pareto_size").at("plotted").get<int>()) +
                      " of its 6000 points"),
            std::string::npos);
}

TEST(ReportThinning, EveryFrontPointBestTrialAndAxisExtremeIsDrawn) {
  const auto& r = large();
  const int best = r.data.at("summary").at("best")[0].at("trial");
  for (const auto& p : r.data.at("pareto")) {
    const std::string name = p.at("name");
    SCOPED_TRACE(name);
    const auto blocks = read_dat(r.dir / (name + ".dat"));
    ASSERT_EQ(blocks.size(), 3u);
    std::set<int> front;
    for (const auto& t : p.at("front")) front.insert(t.get<int>());
    ASSERT_FALSE(front.empty());
    EXPECT_EQ(trials_of(blocks[2]), front);
    std::set<int> drawn = trials_of(blocks[0]);
    for (int t : trials_of(blocks[1])) drawn.insert(t);
    for (int t : front) drawn.insert(t);
    EXPECT_TRUE(drawn.count(best)) << "best trial " << best;
    // The same extremes, so gnuplot's autoscaled axes do not move.
    double lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY};
    for (const auto& pt : p.at("points"))
      for (int a = 0; a < 2; ++a) {
        const double v = pt.at(a ? "y" : "x").get<double>();
        lo[a] = std::min(lo[a], v), hi[a] = std::max(hi[a], v);
      }
    double dlo[2] = {INFINITY, INFINITY}, dhi[2] = {-INFINITY, -INFINITY};
    for (const auto& b : blocks)
      for (const auto& row : b)
        for (int a = 0; a < 2; ++a) {
          const double v = a ? row.y : row.x;
          dlo[a] = std::min(dlo[a], v), dhi[a] = std::max(dhi[a], v);
        }
    for (int a = 0; a < 2; ++a) {
      EXPECT_TRUE(same(dlo[a], lo[a])) << dlo[a] << " vs " << lo[a];
      EXPECT_TRUE(same(dhi[a], hi[a])) << dhi[a] << " vs " << hi[a];
    }
  }
}

TEST(ReportThinning, EveryLeftOutPointIsWithinAPixelOfADrawnOneOfItsSeries) {
  const auto& r = large();
  for (const auto& p : r.data.at("pareto")) {
    const std::string name = p.at("name");
    SCOPED_TRACE(name);
    const bool log_x = p.at("log_x").get<bool>();
    auto X = [&](double x) { return log_x ? std::log10(x) : x; };
    const auto blocks = read_dat(r.dir / (name + ".dat"));
    double lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY};
    for (const auto& pt : p.at("points")) {
      lo[0] = std::min(lo[0], X(pt.at("x").get<double>())), hi[0] = std::max(hi[0], X(pt.at("x").get<double>()));
      lo[1] = std::min(lo[1], pt.at("y").get<double>()), hi[1] = std::max(hi[1], pt.at("y").get<double>());
    }
    // One pixel of an 800 x 500 image over the data range is larger than a cell.
    const double px = (hi[0] - lo[0]) / 800, py = (hi[1] - lo[1]) / 500;
    for (int b = 0; b < 2; ++b) {
      std::map<std::pair<long, long>, std::vector<const Row*>> near;
      for (const auto& row : blocks[b])
        near[{std::lround((X(row.x) - lo[0]) / px), std::lround((row.y - lo[1]) / py)}].push_back(&row);
      std::size_t checked = 0;
      for (const auto& pt : p.at("points")) {
        if (pt.at("pareto").get<bool>() || pt.at("feasible").get<bool>() != (b == 0)) continue;
        const double x = X(pt.at("x").get<double>()), y = pt.at("y").get<double>();
        const long cx = std::lround((x - lo[0]) / px), cy = std::lround((y - lo[1]) / py);
        bool found = false;
        for (long dx = -1; dx <= 1 && !found; ++dx)
          for (long dy = -1; dy <= 1 && !found; ++dy) {
            auto it = near.find({cx + dx, cy + dy});
            if (it == near.end()) continue;
            for (const Row* row : it->second)
              found = found || (std::abs(X(row->x) - x) <= px && std::abs(row->y - y) <= py);
          }
        EXPECT_TRUE(found) << "trial " << pt.at("trial") << " block " << b;
        ++checked;
      }
      EXPECT_GT(checked, 0u);
    }
  }
}

TEST(ReportThinning, HistoryKeepsEveryStepOfTheBestSoFar) {
  const auto& r = large();
  const auto& h = r.data.at("history");
  const auto blocks = read_dat(r.dir / "history.dat");
  ASSERT_EQ(blocks.size(), 3u);
  const auto& steps = blocks[2];
  ASSERT_FALSE(steps.empty());
  EXPECT_LT(steps.size() * 10, h.at("trials").size());
  EXPECT_EQ(steps.front().x, h.at("trials")[0].get<double>());
  EXPECT_EQ(steps.back().x, h.at("trials").back().get<double>());
  // `with steps` holds each value until the next row: the best so far of every trial.
  std::size_t k = 0;
  for (std::size_t i = 0; i < h.at("trials").size(); ++i) {
    const double t = h.at("trials")[i].get<double>();
    while (k + 1 < steps.size() && steps[k + 1].x <= t) ++k;
    EXPECT_TRUE(same(steps[k].y, h.at("best_so_far")[i].get<double>())) << "trial " << t;
  }
  // The trials that set a new best are drawn in the cloud.
  const auto drawn = [&] {
    std::set<int> s;
    for (const auto& row : blocks[0]) s.insert(static_cast<int>(row.x));
    return s;
  }();
  for (std::size_t i = 1; i < h.at("trials").size(); ++i) {
    if (h.at("best_so_far")[i] != h.at("best_so_far")[i - 1]) {
      EXPECT_TRUE(drawn.count(h.at("trials")[i].get<int>())) << "trial " << h.at("trials")[i];
    }
  }
}

TEST(ReportThinning, NormalizedLinesKeepTheirEndsAndExtremes) {
  const auto& r = large();
  const auto& n = r.data.at("normalized");
  const auto blocks = read_dat(r.dir / "normalized.dat");
  const std::size_t k = n.at("metrics").size();
  ASSERT_EQ(blocks.size(), 2 * k);
  const auto& rows = n.at("rows");
  for (std::size_t m = 0; m < k; ++m) {
    SCOPED_TRACE(n.at("metrics")[m].get<std::string>());
    const auto& line = blocks[2 * m];
    ASSERT_FALSE(line.empty());
    // At most the first, last, lowest and highest point of each of the 900 pixel columns.
    EXPECT_LE(line.size(), 4u * 901);
    EXPECT_LT(line.size() + blocks[2 * m + 1].size(), rows.size());
    EXPECT_EQ(line.front().x, rows[0].at("trial").get<double>());
    EXPECT_EQ(line.back().x, rows.back().at("trial").get<double>());
    double lo = INFINITY, hi = -INFINITY;
    for (const auto& row : rows) {
      lo = std::min(lo, row.at("values")[m].get<double>());
      hi = std::max(hi, row.at("values")[m].get<double>());
    }
    double dlo = INFINITY, dhi = -INFINITY;
    for (const auto& row : line) dlo = std::min(dlo, row.y), dhi = std::max(dhi, row.y);
    EXPECT_TRUE(same(dlo, lo)) << dlo << " vs " << lo;
    EXPECT_TRUE(same(dhi, hi)) << dhi << " vs " << hi;
    EXPECT_TRUE(std::is_sorted(line.begin(), line.end(), [](const Row& a, const Row& b) { return a.x < b.x; }));
  }
}

TEST(ReportThinning, SmallRunKeepsEveryPoint) {
  const auto& r = small();
  for (const auto& [name, p] : r.data.at("plotted").items()) {
    SCOPED_TRACE(name);
    EXPECT_FALSE(p.at("thinned").get<bool>());
    EXPECT_EQ(p.at("plotted"), p.at("points"));
  }
  for (const auto& p : r.data.at("pareto")) {
    const std::string name = p.at("name");
    const auto blocks = read_dat(r.dir / (name + ".dat"));
    ASSERT_EQ(blocks.size(), 3u);
    std::set<int> drawn = trials_of(blocks[0]);
    for (int t : trials_of(blocks[1])) drawn.insert(t);
    for (int t : trials_of(blocks[2])) drawn.insert(t);
    EXPECT_EQ(drawn.size(), 300u) << name;
    EXPECT_EQ(blocks[0].size() + blocks[1].size() + p.at("front").size(), 300u) << name;
  }
  const auto history = read_dat(r.dir / "history.dat");
  EXPECT_EQ(history[0].size() + history[1].size(), 300u);
  EXPECT_EQ(history[2].size(), 300u);
  const auto normalized = read_dat(r.dir / "normalized.dat");
  for (std::size_t m = 0; m < normalized.size(); m += 2) {
    EXPECT_EQ(normalized[m].size(), 300u);
    EXPECT_TRUE(normalized[m + 1].empty());
  }
  EXPECT_EQ(slurp(r.dir / "index.html").find("Drawn from"), std::string::npos);
}

}  // namespace
}  // namespace qdse::report
