// write_run_report(): renders run_report_data() as gnuplot figures and one HTML
// page; see include/qdse/report/run_report.hpp.
#include "qdse/report/run_report.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "qdse/core/error.hpp"
#include "qdse/report/finetune_section.hpp"
#include "qdse/report/gnuplot.hpp"
#include "qdse/report/hw_section.hpp"
#include "qdse/report/html.hpp"
#include "qdse/report/run_outputs.hpp"
#include "qdse/report/sensitivity_heatmap.hpp"
#include "qdse/report/sensitivity_prediction_section.hpp"

namespace qdse::report {
namespace {

using nlohmann::json;

double num_or_nan(const json& j) {
  return j.is_number() ? j.get<double>() : std::numeric_limits<double>::quiet_NaN();
}

// obj[key] as a number, `fallback` when absent, null (NaN is written as null) or not a number.
double num_at(const json& obj, const char* key, double fallback) {
  if (!obj.is_object()) return fallback;
  const auto it = obj.find(key);
  return it != obj.end() && it->is_number() ? it->get<double>() : fallback;
}

json read_json(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    throw Error(ErrorKind::Io, "cannot read " + path + " (is this a `qdse search` run directory?)");
  try {
    return json::parse(in);
  } catch (const json::exception& e) {
    throw Error(ErrorKind::Io, path + " is not valid JSON: " + e.what());
  }
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  if (!in) return "";
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Plot clauses joined with ", \\\n", only for non-empty data blocks.
struct PlotBuilder {
  std::vector<std::string> clauses;
  void add(const std::string& c) { clauses.push_back(c); }
  std::string str() const {
    std::string s = "  plot ";
    for (std::size_t i = 0; i < clauses.size(); ++i) s += (i ? ", \\\n       " : "") + clauses[i];
    return s + "\n";
  }
};

// ---- Thinning of large figures (docs/report.md, "Large runs") ----
// A figure with more than kThinAbove trials is drawn from the points that can show on
// screen: the image's data range is cut into cells no larger than a pixel, and a
// trial whose marker would land in a cell already drawn by an earlier trial of the
// same series (same colour and marker) is left out of NAME.dat. Fronts, best-so-far
// lines, the summary table's trials and the points with the extreme x and y (which
// set gnuplot's autoscaled axes) are always kept; report.json keeps every trial.
constexpr std::size_t kThinAbove = 2000;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// One axis of a figure: where gnuplot places a value (log10 on a log axis) and the
// extent of the values drawn on it.
struct Axis {
  bool log = false;
  double lo = std::numeric_limits<double>::infinity(), hi = -std::numeric_limits<double>::infinity();
  double pos(double v) const {
    if (!std::isfinite(v) || (log && v <= 0)) return kNaN;  // gnuplot draws nothing there
    return log ? std::log10(v) : v;
  }
  void add(double v) {
    const double p = pos(v);
    if (std::isfinite(p)) lo = std::min(lo, p), hi = std::max(hi, p);
  }
  // Cell of v among n cells over [lo, hi]; -1 when v cannot be placed.
  long cell(double v, int n) const {
    const double p = pos(v);
    if (!std::isfinite(p) || !(hi >= lo)) return -1;
    if (hi == lo) return 0;
    return std::clamp(static_cast<long>(std::floor((p - lo) / (hi - lo) * n)), 0L, static_cast<long>(n));
  }
};

// The data extent split into as many cells as the image has pixels. The plot area is
// smaller than the image and an autoscaled axis covers at least the data, so a cell
// is under one pixel on screen and a left-out marker lies within a pixel of a drawn one.
struct Grid {
  Axis x, y;
  int nx = 800, ny = 500;
  long cell(double xv, double yv) const {
    const long cx = x.cell(xv, nx), cy = y.cell(yv, ny);
    return cx < 0 || cy < 0 ? -1 : cx * (ny + 1) + cy;
  }
};

struct XY {
  double x, y;
  int trial;
};

// Which points of one scatter series (in trial order) to draw: the first in each
// cell, those the grid cannot place, those with `keep` set, and one point each with
// the smallest and largest x and y.
std::vector<bool> thin_scatter(const std::vector<XY>& pts, const Grid& g, const std::vector<bool>& keep) {
  std::vector<bool> out(pts.size(), false);
  std::vector<bool> seen(static_cast<std::size_t>(g.nx + 1) * (g.ny + 1), false);
  std::size_t ext[4] = {0, 0, 0, 0};  // min x, max x, min y, max y
  bool any = false;
  for (std::size_t i = 0; i < pts.size(); ++i) {
    const long c = g.cell(pts[i].x, pts[i].y);
    if (c < 0 || keep[i] || !seen[c]) out[i] = true;
    if (c < 0) continue;
    seen[c] = true;
    const double px = g.x.pos(pts[i].x), py = g.y.pos(pts[i].y);
    if (!any) std::fill(std::begin(ext), std::end(ext), i), any = true;
    if (px < g.x.pos(pts[ext[0]].x)) ext[0] = i;
    if (px > g.x.pos(pts[ext[1]].x)) ext[1] = i;
    if (py < g.y.pos(pts[ext[2]].y)) ext[2] = i;
    if (py > g.y.pos(pts[ext[3]].y)) ext[3] = i;
  }
  if (any)
    for (std::size_t e : ext) out[e] = true;
  return out;
}

// Which points of one series drawn `with linespoints` in x order. kLine: in each pixel
// column the first, last, lowest and highest point, through which the line covers the
// same pixels as through all of them; kMarker: the first other point in each cell, so
// that every marker is within a pixel of a drawn one. A series with a value gnuplot
// cannot place (a gap in its line) is kept whole.
enum Draw : char { kDrop = 0, kLine = 1, kMarker = 2 };
std::vector<char> thin_series(const std::vector<double>& xs, const std::vector<double>& ys, const Grid& g) {
  const std::size_t n = xs.size();
  std::vector<char> out(n, kLine);
  for (std::size_t i = 0; i < n; ++i)
    if (g.cell(xs[i], ys[i]) < 0) return out;
  std::fill(out.begin(), out.end(), kDrop);
  std::vector<bool> seen(static_cast<std::size_t>(g.nx + 1) * (g.ny + 1), false);
  long column = -1;
  std::size_t lo = 0, hi = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const long c = g.x.cell(xs[i], g.nx);
    if (c != column) {
      if (i > 0) out[i - 1] = out[lo] = out[hi] = kLine;  // last, lowest, highest of the previous column
      out[i] = kLine;                                     // first of this one
      column = c;
      lo = hi = i;
    }
    if (ys[i] < ys[lo]) lo = i;
    if (ys[i] > ys[hi]) hi = i;
    const long cell = g.cell(xs[i], ys[i]);
    if (!seen[cell] && out[i] == kDrop) out[i] = kMarker;
    seen[cell] = true;
  }
  if (n > 0) out[n - 1] = out[lo] = out[hi] = kLine;
  return out;
}

// What a figure draws of its trials, for report.json and the caption.
struct Plotted {
  std::size_t trials = 0;   // trials shown in the figure
  std::size_t points = 0;   // their data points (a trial per series)
  std::size_t plotted = 0;  // points written to NAME.dat
  bool thinned = false;
  json to_json() const {
    return {{"trials", trials}, {"points", points}, {"plotted", plotted}, {"thinned", thinned}};
  }
};

struct Figure {
  FigureSpec spec;
  Plotted plotted;
};

Figure pareto_figure(const json& p, const std::set<int>& keep_trials) {
  Figure fig;
  FigureSpec& f = fig.spec;
  f.name = p.at("name");
  const std::string x_label = p.at("x_label"), y_label = p.at("y_label");
  f.title = y_label + " vs " + x_label + ", feasible Pareto front labelled with trial numbers";
  std::vector<XY> cloud[2];  // feasible, infeasible (not on the front)
  std::vector<json> front;
  Grid grid;
  grid.x.log = p.value("log_x", false);
  for (const auto& pt : p.at("points")) {
    const XY xy{pt.at("x").get<double>(), pt.at("y").get<double>(), pt.at("trial").get<int>()};
    grid.x.add(xy.x);
    grid.y.add(xy.y);
    if (pt.at("pareto").get<bool>()) front.push_back(pt);
    else cloud[pt.at("feasible").get<bool>() ? 0 : 1].push_back(xy);
  }
  fig.plotted.trials = fig.plotted.points = p.at("points").size();
  fig.plotted.thinned = fig.plotted.trials > kThinAbove;
  fig.plotted.plotted = front.size();
  std::vector<std::string> blocks(3);
  for (int b = 0; b < 2; ++b) {
    std::vector<bool> draw(cloud[b].size(), true);
    if (fig.plotted.thinned) {
      std::vector<bool> keep(cloud[b].size());
      for (std::size_t i = 0; i < cloud[b].size(); ++i) keep[i] = keep_trials.count(cloud[b][i].trial) > 0;
      draw = thin_scatter(cloud[b], grid, keep);
    }
    for (std::size_t i = 0; i < cloud[b].size(); ++i) {
      if (!draw[i]) continue;
      blocks[b] += gp_num(cloud[b][i].x) + " " + gp_num(cloud[b][i].y) + " " + std::to_string(cloud[b][i].trial) + "\n";
      ++fig.plotted.plotted;
    }
  }
  std::stable_sort(front.begin(), front.end(),
                   [](const json& a, const json& b) { return a.at("x").get<double>() < b.at("x").get<double>(); });
  // Trials with the same point (a repeated configuration) share one label "15,24".
  for (std::size_t i = 0; i < front.size();) {
    std::string label = std::to_string(front[i].at("trial").get<int>());
    std::size_t j = i + 1;
    for (; j < front.size() && front[j].at("x") == front[i].at("x") && front[j].at("y") == front[i].at("y"); ++j)
      label.append(",").append(std::to_string(front[j].at("trial").get<int>()));
    blocks[2] += gp_num(front[i].at("x").get<double>()) + " " + gp_num(front[i].at("y").get<double>()) + " " + label +
                 "\n";
    i = j;
  }
  std::ostringstream data, body;
  data << "# x y trial(s); index 0: feasible, 1: infeasible, 2: Pareto front (by x)\n";
  if (fig.plotted.thinned)
    data << "# " << fig.plotted.plotted << " of " << fig.plotted.points
         << " trials: a trial on a pixel already drawn for its index is left out (see report.json)\n";
  for (std::size_t i = 0; i < blocks.size(); ++i) data << (i ? "\n\n" : "") << (blocks[i].empty() ? "NaN NaN -1\n" : blocks[i]);
  f.data = data.str();
  body << "  set title " << gp_quote(y_label + " vs " + x_label) << "\n"
       << "  set xlabel " << gp_quote(x_label) << "\n  set ylabel " << gp_quote(y_label) << "\n"
       << "  set grid\n  set key bottom right\n"
       << (p.value("log_x", false) ? "  set logscale x\n" : "  unset logscale x\n");
  PlotBuilder plot;
  const std::string file = gp_quote(f.name + ".dat");
  if (!blocks[0].empty()) plot.add(file + " index 0 using 1:2 with points pt 7 ps 0.6 lc rgb '#6baed6' title 'feasible trial'");
  if (!blocks[1].empty()) plot.add(file + " index 1 using 1:2 with points pt 2 ps 0.6 lc rgb '#aaaaaa' title 'infeasible trial'");
  if (!blocks[2].empty()) {
    plot.add(file + " index 2 using 1:2 with steps lw 1.5 lc rgb '#d62728' notitle");
    plot.add(file + " index 2 using 1:2 with points pt 7 ps 1.0 lc rgb '#d62728' title 'Pareto front'");
    plot.add(file + " index 2 using 1:2:(stringcolumn(3)) with labels offset char 0.9,0.7 font ',8' notitle");
  }
  f.body = body.str() + plot.str();
  return fig;
}

Figure history_figure(const json& h, const std::string& objective_label, const std::set<int>& keep_trials) {
  Figure fig;
  FigureSpec& f = fig.spec;
  f.name = "history";
  const bool hv = h.at("kind") == "hypervolume";
  f.title = hv ? "hypervolume of the feasible Pareto front after each trial"
               : "objective of each trial and the best feasible so far";
  const auto& trials = h.at("trials");
  const std::size_t n = trials.size();
  std::vector<XY> cloud[2];  // feasible, infeasible trials
  std::vector<bool> keep[2];
  std::vector<double> best(n);
  Grid grid;
  for (std::size_t i = 0; i < n; ++i) {
    const int t = trials[i].get<int>();
    best[i] = num_or_nan(h.at("best_so_far")[i]);
    grid.x.add(t);
    grid.y.add(best[i]);
    if (!hv && h.at("values")[i].is_number()) {
      const int b = h.at("feasible")[i].get<bool>() ? 0 : 1;
      cloud[b].push_back({static_cast<double>(t), h.at("values")[i].get<double>(), t});
      grid.y.add(cloud[b].back().y);
      // The trial that set a new best is drawn where the best-so-far line steps.
      const bool improved = b == 0 && std::isfinite(best[i]) && (i == 0 || !(best[i] == best[i - 1]));
      keep[b].push_back(improved || keep_trials.count(t) > 0);
    }
  }
  fig.plotted.trials = n;
  fig.plotted.points = cloud[0].size() + cloud[1].size() + n;
  fig.plotted.thinned = n > kThinAbove;
  std::string blocks[3];
  for (int b = 0; b < 2; ++b) {
    const auto draw = fig.plotted.thinned ? thin_scatter(cloud[b], grid, keep[b]) : std::vector<bool>(cloud[b].size(), true);
    for (std::size_t i = 0; i < cloud[b].size(); ++i)
      if (draw[i]) {
        blocks[b] += std::to_string(cloud[b][i].trial) + " " + gp_num(cloud[b][i].y) + "\n";
        ++fig.plotted.plotted;
      }
  }
  // Drawn `with steps`: a point whose value equals the previous one only splits a
  // horizontal segment, so the corners (and the last point) draw the same line.
  for (std::size_t i = 0; i < n; ++i) {
    const bool same = i > 0 && i + 1 < n &&
                      (best[i] == best[i - 1] || (std::isnan(best[i]) && std::isnan(best[i - 1])));
    if (fig.plotted.thinned && same) continue;
    blocks[2] += std::to_string(trials[i].get<int>()) + " " + gp_num(best[i]) + "\n";
    ++fig.plotted.plotted;
  }
  std::ostringstream data, body;
  data << "# trial value; index 0: feasible trials, 1: infeasible trials, 2: "
       << (hv ? "hypervolume so far" : "best feasible so far") << "\n";
  if (fig.plotted.thinned)
    data << "# " << fig.plotted.plotted << " of " << fig.plotted.points
         << " points: a trial on a pixel already drawn for its index is left out, index 2 keeps the corners of "
            "its steps (see report.json)\n";
  for (int i = 0; i < 3; ++i) data << (i ? "\n\n" : "") << (blocks[i].empty() ? "NaN NaN\n" : blocks[i]);
  f.data = data.str();
  body << "  set title " << gp_quote(hv ? "Hypervolume of the feasible front so far" : "Optimization history") << "\n"
       << "  set xlabel 'trial'\n  set ylabel " << gp_quote(hv ? "hypervolume" : objective_label) << "\n"
       << "  set grid\n  set key bottom right\n";
  PlotBuilder plot;
  const std::string file = gp_quote("history.dat");
  if (!blocks[0].empty()) plot.add(file + " index 0 using 1:2 with points pt 7 ps 0.6 lc rgb '#1f77b4' title 'trial'");
  if (!blocks[1].empty()) plot.add(file + " index 1 using 1:2 with points pt 2 ps 0.6 lc rgb '#aaaaaa' title 'infeasible trial'");
  plot.add(file + " index 2 using 1:2 with steps lw 2 lc rgb '#d62728' title " +
           gp_quote(hv ? "hypervolume" : "best feasible so far"));
  f.body = body.str() + plot.str();
  return fig;
}

// Two data blocks per metric m: index 2m is drawn with linespoints, index 2m+1 holds
// further markers of a thinned figure (drawn with points in the same colour).
Figure normalized_figure(const json& n) {
  Figure fig;
  FigureSpec& f = fig.spec;
  f.name = "normalized";
  f.title = "every metric of each trial divided by its maximum over the trials";
  f.width = 900;
  const auto& metrics = n.at("metrics");
  const auto& rows = n.at("rows");
  const std::size_t k = metrics.size(), t = rows.size();
  std::vector<double> xs(t);
  std::vector<std::vector<double>> ys(k, std::vector<double>(t));
  Grid grid;
  grid.nx = f.width;
  grid.ny = f.height;
  for (std::size_t i = 0; i < t; ++i) {
    xs[i] = rows[i].at("trial").get<int>();
    grid.x.add(xs[i]);
    const auto& v = rows[i].at("values");
    for (std::size_t m = 0; m < k; ++m) grid.y.add(ys[m][i] = num_or_nan(v[m]));
  }
  fig.plotted.trials = t;
  fig.plotted.points = t * k;
  fig.plotted.thinned = t > kThinAbove;
  std::ostringstream data, body;
  data << "# trial value; index 2i: metric i, index 2i+1: more of its markers (";
  for (std::size_t m = 0; m < k; ++m) data << (m ? ", " : "") << m << " " << metrics[m].get<std::string>();
  data << ")\n";
  if (fig.plotted.thinned)
    data << "# thinned: index 2i holds the first, last, lowest and highest point of each pixel column, index 2i+1 "
            "the first other point on each pixel (see report.json)\n";
  PlotBuilder plot;
  for (std::size_t m = 0; m < k; ++m) {
    const auto draw = fig.plotted.thinned ? thin_series(xs, ys[m], grid) : std::vector<char>(t, kLine);
    std::string blocks[2];
    for (std::size_t i = 0; i < t; ++i)
      if (draw[i] != kDrop) {
        blocks[draw[i] == kLine ? 0 : 1] += std::to_string(static_cast<long>(xs[i])) + " " + gp_num(ys[m][i]) + "\n";
        ++fig.plotted.plotted;
      }
    for (int b = 0; b < 2; ++b) data << (m || b ? "\n\n" : "") << (blocks[b].empty() ? "NaN NaN\n" : blocks[b]);
    const std::string index = "'normalized.dat' index " + std::to_string(2 * m), lt = std::to_string(m + 1);
    plot.add(index + " using 1:2 with linespoints lt " + lt + " pt 7 ps 0.4 lw 1 title " +
             gp_quote(metrics[m].get<std::string>()));
    if (!blocks[1].empty())
      plot.add("'normalized.dat' index " + std::to_string(2 * m + 1) + " using 1:2 with points lt " + lt +
               " pt 7 ps 0.4 notitle");
  }
  f.data = data.str();
  body << "  set title 'Metrics per trial, normalized to their maximum'\n"
       << "  set xlabel 'trial'\n  set ylabel 'metric / max over trials'\n"
       << "  set grid\n  set yrange [0:1.05]\n  set key outside right top\n";
  f.body = body.str() + plot.str();
  return fig;
}

FigureSpec bitwidth_figure(const json& b, bool multi) {
  FigureSpec f;
  f.name = "bitwidths";
  f.title = "bit width of every quantized tensor (rows) in the best configurations (columns)";
  const auto& rows = b.at("rows");
  const auto& trials = b.at("trials");
  std::ostringstream data, body;
  data << "# column row bits (column = trial position, row = layer tensor)\n";
  for (std::size_t r = 0; r < rows.size(); ++r)
    for (std::size_t c = 0; c < trials.size(); ++c) {
      const auto& w = b.at("widths")[r][c];
      if (w.is_number()) data << c << " " << r << " " << gp_num(w.get<double>()) << "\n";
    }
  f.data = data.str();
  std::string xt, yt;
  for (std::size_t c = 0; c < trials.size(); ++c)
    xt += (c ? ", " : "") + gp_quote(std::to_string(trials[c].get<int>())) + " " + std::to_string(c);
  for (std::size_t r = 0; r < rows.size(); ++r)
    yt += (r ? ", " : "") + gp_quote(rows[r].get<std::string>()) + " " + std::to_string(r);
  body << "  set title " << gp_quote(multi ? "Bit widths of the Pareto-front trials"
                                           : "Bit widths of the best trials (best first)")
       << "\n  set xlabel 'trial'\n  unset ylabel\n"
       << "  set xrange [-0.5:" << trials.size() - 0.5 << "]\n  set yrange [" << rows.size() - 0.5 << ":-0.5]\n"
       << "  set xtics (" << xt << ")" << (trials.size() > 20 ? " rotate by 90 right" : "") << "\n"
       << "  set ytics (" << yt << ")\n  unset grid\n"
       << "  set logscale cb 2\n  set cbrange [1:32]\n  set cblabel 'bits'\n  set cbtics (1, 2, 4, 8, 16, 32)\n"
       << "  set palette defined (0 '#fff5eb', 1 '#fdd0a2', 2 '#fdae6b', 3 '#fd8d3c', 4 '#e6550d', 5 '#a63603')\n"
       << "  plot 'bitwidths.dat' using 1:2:(0.5):(0.5):3 with boxxyerror fs solid 1.0 noborder fc palette notitle, \\\n"
       << "       'bitwidths.dat' using 1:2:(stringcolumn(3)) with labels font ',8' notitle\n";
  f.body = body.str();
  f.width = std::max<int>(560, 220 + 34 * static_cast<int>(trials.size()));
  f.height = std::max<int>(260, 120 + 30 * static_cast<int>(rows.size()));
  return f;
}

// Runs gnuplot on every figure, as many at a time as there are cores, the ones with
// the most points first. Throws the first figure's error after all have finished.
void render_figures(const std::string& gnuplot, const std::string& dir, const std::vector<Figure>& figures) {
  std::vector<std::size_t> order(figures.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return figures[a].plotted.plotted > figures[b].plotted.plotted;
  });
  std::vector<std::exception_ptr> errors(figures.size());
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t k; (k = next++) < order.size();) {
      try {
        render_figure(gnuplot, dir, figures[order[k]].spec);
      } catch (...) {
        errors[order[k]] = std::current_exception();
      }
    }
  };
  const std::size_t workers =
      std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, std::max<std::size_t>(1, figures.size()));
  std::vector<std::thread> threads;
  for (std::size_t w = 1; w < workers; ++w) threads.emplace_back(work);
  work();
  for (auto& t : threads) t.join();
  for (const auto& e : errors)
    if (e) std::rethrow_exception(e);
}

std::string objective_text(const json& objective) {
  std::string s;
  if (objective.value("sum_scaled_metrics", true)) {
    s = objective.value("direction", std::string("maximize")) + " ";
    bool first = true;
    for (const auto& m : objective.at("metrics")) {
      s += (first ? "" : " + ") + fmt_num(m.at("scale").get<double>()) + " * " + m.at("metric").get<std::string>();
      first = false;
    }
  } else {
    for (const auto& m : objective.at("metrics"))
      s += (s.empty() ? "" : ", ") + m.at("direction").get<std::string>() + " " + m.at("metric").get<std::string>();
    s = "multi-objective: " + s;
  }
  return s;
}

std::string page(const json& d, const std::string& run_dir, const std::string& config_text,
                 const std::vector<std::pair<std::string, std::string>>& figures) {
  const auto& prov = d.at("provenance");
  std::ostringstream b;
  b << "<h1>qdse report: " << html_escape(prov.value("model", std::string("?"))) << " on "
    << html_escape(prov.value("dataset", std::string("?"))) << "</h1>\n"
    << "<p class=\"note\">Run directory <code>" << html_escape(run_dir) << "</code>. " << d.at("n_trials").get<int>()
    << " trials, " << d.at("n_complete").get<int>() << " complete, " << d.at("n_feasible").get<int>()
    << " feasible.</p>\n";

  b << "<h2>Provenance</h2>\n";
  std::vector<std::vector<std::string>> prov_rows;
  for (const auto& [k, v] : prov.items())
    prov_rows.push_back({k, v.is_string() ? v.get<std::string>() : v.dump()});
  prov_rows.push_back({"objective", objective_text(d.at("objective"))});
  for (const auto& c : d.at("constraints"))
    prov_rows.push_back({"constraint", c.at("metric").get<std::string>() + " " + c.at("rule").get<std::string>()});
  b << html_table({"key", "value"}, prov_rows, true);

  b << "<h2>Summary</h2>\n";
  const auto& s = d.at("summary");
  const bool latency = std::isfinite(num_or_nan(s.at("float").at("latency_per_sample_us")));
  std::vector<std::string> header = {"", "trial", "objective", "accuracy", "model size (bytes)", "avg bit width",
                                     "compression (32/avg)", "BitOPs", "BitOPs reduction"};
  if (latency) header.push_back("latency/sample (us)");
  header.push_back("feasible");
  std::vector<std::vector<std::string>> rows;
  auto row = [&](const std::string& label, const std::string& trial, const std::string& objective, const json& r,
                 const std::string& feasible) {
    std::vector<std::string> x = {label, trial, objective, fmt_num(num_or_nan(r.at("accuracy")), 5),
                                  fmt_num(num_or_nan(r.at("model_size_bytes")), 8),
                                  fmt_num(num_or_nan(r.at("average_bitwidth")), 4),
                                  fmt_num(num_or_nan(r.at("compression")), 4), fmt_num(num_or_nan(r.at("bitops")), 6),
                                  fmt_num(num_or_nan(r.at("bitops_reduction")), 4)};
    if (latency) x.push_back(fmt_num(num_or_nan(r.at("latency_per_sample_us")), 4));
    x.push_back(feasible);
    rows.push_back(x);
  };
  row("float baseline", "-", "-", s.at("float"), "-");
  const bool multi = d.at("directions").size() > 1;
  for (const auto& r : s.at("best")) {
    std::string values;
    for (const auto& v : r.at("values")) values += (values.empty() ? "" : ", ") + fmt_num(num_or_nan(v), 6);
    row(r.at("best").get<bool>() ? (multi ? "Pareto front" : "best (best.json)") : "runner-up",
        std::to_string(r.at("trial").get<int>()), values, r, r.at("feasible").get<bool>() ? "yes" : "no");
  }
  b << html_table(header, rows);
  if (!s.value("best_feasible", true))
    b << "<p class=\"note\">No trial met every constraint: " << html_escape(s.value("message", std::string()))
      << "</p>\n";
  const auto& st = s.at("search");
  if (!st.empty())
    b << "<p class=\"note\">Search: " << num_at(st, "trials", 0) << " trials in " << fmt_num(num_at(st, "seconds", 0), 4)
      << " s (sampler " << fmt_num(num_at(st, "sampler_seconds", 0), 3) << " s, evaluation "
      << fmt_num(num_at(st, "eval_seconds", 0), 4) << " s); " << num_at(st, "cached", 0)
      << " repeated configurations answered from the cache; " << num_at(st, "failed", 0) << " failed"
      << (st.value("exhausted", false) ? "; space exhausted" : "") << (st.value("timed_out", false) ? "; timed out" : "")
      << (st.value("interrupted", false) ? "; interrupted" : "") << ".</p>\n";

  b << hw_section(run_dir, d.value("hw_utilization", json::array()));
  b << finetune_section(run_dir);
  b << sensitivity_prediction_section(d.value("sensitivity_prediction", json()));

  b << "<h2>Figures</h2>\n";
  for (const auto& [name, caption] : figures) b << html_figure(name, caption);

  b << "<h2>Configuration</h2>\n";
  if (config_text.empty()) b << "<p class=\"note\">No config.toml in the run directory.</p>\n";
  else b << "<details><summary>config.toml</summary>\n<pre>" << html_escape(config_text) << "</pre></details>\n";
  b << "<p class=\"note\">All numbers above are in <a href=\"report.json\">report.json</a>. Each figure is made by "
       "<code>gnuplot NAME.gp</code> in this folder from <code>NAME.dat</code>; re-create the whole report with "
       "<code>qdse report "
    << html_escape(run_dir) << "</code>.</p>\n";
  return html_page("qdse report: " + prov.value("model", std::string("run")), b.str());
}

}  // namespace

namespace {
std::string render_report(const std::string& run_dir, const std::string& gnuplot, const json& trials,
                          const json& best);
}  // namespace

std::string write_run_report(const std::string& run_dir) {
  const std::string gnuplot = require_gnuplot("qdse report");  // before parsing files that may be large
  const json trials = read_json(run_dir + "/trials.json");       // first: the error names the first missing file
  const json best = read_json(run_dir + "/best.json");
  return render_report(run_dir, gnuplot, trials, best);
}

std::string write_run_report(const std::string& run_dir, const json& trials, const json& best) {
  return render_report(run_dir, require_gnuplot("qdse report"), trials, best);
}

namespace {
std::string render_report(const std::string& run_dir, const std::string& gnuplot, const json& trials,
                          const json& best) {
  if (!trials.is_array() || !best.is_object() || !best.contains("objective"))
    throw Error(ErrorKind::Io, run_dir + ": trials.json / best.json are not those of a `qdse search` run");
  json d = run_report_data(trials, best);
  const std::string dir = run_dir + "/report";
  std::filesystem::create_directories(dir);

  // The summary table's trials (best.json's among them) are drawn in every figure.
  std::set<int> keep;
  for (const auto& r : d.at("summary").at("best")) keep.insert(r.at("trial").get<int>());
  std::vector<Figure> figures;
  std::vector<std::string> captions;
  for (const auto& p : d.at("pareto")) {
    figures.push_back(pareto_figure(p, keep));
    captions.push_back(p.at("y_label").get<std::string>() + " vs " + p.at("x_label").get<std::string>() +
                       ". Red: the Pareto front of the feasible trials, labelled with trial numbers; grey crosses: "
                       "trials that violate a constraint.");
  }
  if (auto ft = finetune_front_figure(run_dir, d)) {  // both fronts, when the run has finetune.json
    figures.push_back({ft->spec, {}});
    captions.push_back(ft->caption);
  }
  const bool multi = d.at("directions").size() > 1;
  if (!d.at("history").at("trials").empty()) {
    const std::string label = multi ? "hypervolume" : "objective (" + d.at("directions")[0].get<std::string>() + ")";
    figures.push_back(history_figure(d.at("history"), label, keep));
    captions.push_back(multi ? "Hypervolume of the feasible Pareto front after each trial (reference: the nadir of "
                               "all trials, as Optuna)."
                             : "Optimization history: each trial's objective (" + objective_text(d.at("objective")) +
                                   ") and the best feasible value so far.");
  }
  if (!d.at("normalized").at("metrics").empty()) {
    figures.push_back(normalized_figure(d.at("normalized")));
    captions.push_back("Every metric of each trial divided by its maximum over the trials.");
  }
  const auto& bw = d.at("bitwidths");
  if (!bw.at("rows").empty() && !bw.at("trials").empty()) {
    figures.push_back({bitwidth_figure(bw, multi), {}});
    captions.push_back(multi ? "Bit width per layer tensor (rows) of the Pareto-front trials (columns); 32 = float."
                             : "Bit width per layer tensor (rows) of the best trials (columns, best first); 32 = "
                               "float.");
  }
  if (const auto heat = sensitivity_heatmap(run_dir, trials, best)) {  // sensitivity.json or the sampler's pass
    auto fig = sensitivity_heatmap_figure(*heat);
    figures.push_back({fig.spec, {}});
    captions.push_back(fig.caption);
  }
  // Predicted against measured, from the same table (issue 17, item 2).
  if (json prediction = sensitivity_prediction_data(run_dir, trials, best); !prediction.is_null()) {
    for (auto& fig : sensitivity_prediction_figures(prediction)) {
      figures.push_back({fig.spec, {}});
      captions.push_back(fig.caption);
    }
    d["sensitivity_prediction"] = std::move(prediction);
  }
  json plotted = json::object();
  for (std::size_t i = 0; i < figures.size(); ++i) {
    const auto& p = figures[i].plotted;
    if (p.points == 0) continue;  // the heat map: one cell per best trial and tensor
    plotted[figures[i].spec.name] = p.to_json();
    if (p.thinned)
      captions[i] += " Drawn from " + std::to_string(p.plotted) + " of its " + std::to_string(p.points) +
                     " points (" + std::to_string(p.trials) +
                     " trials): a trial whose marker would fall on a pixel its series already covers is left out" +
                     (figures[i].spec.name.rfind("pareto", 0) == 0 ? "; every Pareto-front trial is drawn" : "") +
                     "; report.json has them all.";
  }
  d["plotted"] = plotted;
  write_file_atomic(dir + "/report.json", d.dump(1));
  render_figures(gnuplot, dir, figures);

  std::vector<std::pair<std::string, std::string>> named;
  for (std::size_t i = 0; i < figures.size(); ++i) named.emplace_back(figures[i].spec.name, captions[i]);
  const std::string index = dir + "/index.html";
  write_file_atomic(index, page(d, run_dir, read_text(run_dir + "/config.toml"), named));
  return index;
}

}  // namespace

}  // namespace qdse::report
