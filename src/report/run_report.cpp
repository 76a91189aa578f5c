// write_run_report(): renders run_report_data() as gnuplot figures and one HTML
// page; see include/qdse/report/run_report.hpp.
#include "qdse/report/run_report.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "qdse/core/error.hpp"
#include "qdse/report/gnuplot.hpp"
#include "qdse/report/html.hpp"
#include "qdse/report/run_outputs.hpp"

namespace qdse::report {
namespace {

using nlohmann::json;

double num_or_nan(const json& j) {
  return j.is_number() ? j.get<double>() : std::numeric_limits<double>::quiet_NaN();
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

FigureSpec pareto_figure(const json& p) {
  FigureSpec f;
  f.name = p.at("name");
  const std::string x_label = p.at("x_label"), y_label = p.at("y_label");
  f.title = y_label + " vs " + x_label + ", feasible Pareto front labelled with trial numbers";
  std::vector<std::string> blocks(3);
  std::vector<json> front;
  for (const auto& pt : p.at("points")) {
    const std::string line = gp_num(pt.at("x").get<double>()) + " " + gp_num(pt.at("y").get<double>()) + " " +
                             std::to_string(pt.at("trial").get<int>()) + "\n";
    if (pt.at("pareto").get<bool>()) front.push_back(pt);
    else blocks[pt.at("feasible").get<bool>() ? 0 : 1] += line;
  }
  std::stable_sort(front.begin(), front.end(),
                   [](const json& a, const json& b) { return a.at("x").get<double>() < b.at("x").get<double>(); });
  // Trials with the same point (a repeated configuration) share one label "15,24".
  for (std::size_t i = 0; i < front.size();) {
    std::string label = std::to_string(front[i].at("trial").get<int>());
    std::size_t j = i + 1;
    for (; j < front.size() && front[j].at("x") == front[i].at("x") && front[j].at("y") == front[i].at("y"); ++j)
      label += "," + std::to_string(front[j].at("trial").get<int>());
    blocks[2] += gp_num(front[i].at("x").get<double>()) + " " + gp_num(front[i].at("y").get<double>()) + " " + label +
                 "\n";
    i = j;
  }
  std::ostringstream data, body;
  data << "# x y trial(s); index 0: feasible, 1: infeasible, 2: Pareto front (by x)\n";
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
  return f;
}

FigureSpec history_figure(const json& h, const std::string& objective_label) {
  FigureSpec f;
  f.name = "history";
  const bool hv = h.at("kind") == "hypervolume";
  f.title = hv ? "hypervolume of the feasible Pareto front after each trial"
               : "objective of each trial and the best feasible so far";
  std::string blocks[3];
  const auto& trials = h.at("trials");
  for (std::size_t i = 0; i < trials.size(); ++i) {
    const std::string n = std::to_string(trials[i].get<int>());
    if (!hv && h.at("values")[i].is_number())
      blocks[h.at("feasible")[i].get<bool>() ? 0 : 1] += n + " " + gp_num(h.at("values")[i].get<double>()) + "\n";
    blocks[2] += n + " " + gp_num(num_or_nan(h.at("best_so_far")[i])) + "\n";
  }
  std::ostringstream data, body;
  data << "# trial value; index 0: feasible trials, 1: infeasible trials, 2: "
       << (hv ? "hypervolume so far" : "best feasible so far") << "\n";
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
  return f;
}

FigureSpec normalized_figure(const json& n) {
  FigureSpec f;
  f.name = "normalized";
  f.title = "every metric of each trial divided by its maximum over the trials";
  std::ostringstream data, body;
  data << "trial";
  for (const auto& m : n.at("metrics")) data << " " << m.get<std::string>();
  data << "\n";
  for (const auto& r : n.at("rows")) {
    data << r.at("trial").get<int>();
    for (const auto& v : r.at("values")) data << " " << gp_num(num_or_nan(v));
    data << "\n";
  }
  f.data = data.str();
  const std::size_t k = n.at("metrics").size();
  body << "  set title 'Metrics per trial, normalized to their maximum'\n"
       << "  set xlabel 'trial'\n  set ylabel 'metric / max over trials'\n"
       << "  set grid\n  set yrange [0:1.05]\n  set key outside right top\n"
       << "  plot for [i=2:" << k + 1 << "] 'normalized.dat' using 1:i with linespoints pt 7 ps 0.4 lw 1 "
       << "title columnheader(i)\n";
  f.body = body.str();
  f.width = 900;
  return f;
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
    b << "<p class=\"note\">Search: " << st.value("trials", 0) << " trials in " << fmt_num(st.value("seconds", 0.0), 4)
      << " s (sampler " << fmt_num(st.value("sampler_seconds", 0.0), 3) << " s, evaluation "
      << fmt_num(st.value("eval_seconds", 0.0), 4) << " s); " << st.value("cached", 0)
      << " repeated configurations answered from the cache; " << st.value("failed", 0) << " failed"
      << (st.value("exhausted", false) ? "; space exhausted" : "") << (st.value("timed_out", false) ? "; timed out" : "")
      << (st.value("interrupted", false) ? "; interrupted" : "") << ".</p>\n";

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

std::string write_run_report(const std::string& run_dir) {
  const std::string gnuplot = require_gnuplot("qdse report");
  const json trials = read_json(run_dir + "/trials.json");
  const json best = read_json(run_dir + "/best.json");
  if (!trials.is_array() || !best.is_object() || !best.contains("objective"))
    throw Error(ErrorKind::Io, run_dir + ": trials.json / best.json are not those of a `qdse search` run");
  const json d = run_report_data(trials, best);
  const std::string dir = run_dir + "/report";
  std::filesystem::create_directories(dir);
  write_file_atomic(dir + "/report.json", d.dump(1));

  std::vector<std::pair<std::string, std::string>> figures;
  for (const auto& p : d.at("pareto")) {
    render_figure(gnuplot, dir, pareto_figure(p));
    figures.emplace_back(p.at("name"), p.at("y_label").get<std::string>() + " vs " +
                                           p.at("x_label").get<std::string>() +
                                           ". Red: the Pareto front of the feasible trials, labelled with trial "
                                           "numbers; grey crosses: trials that violate a constraint.");
  }
  const bool multi = d.at("directions").size() > 1;
  if (!d.at("history").at("trials").empty()) {
    const std::string label = multi ? "hypervolume" : "objective (" + d.at("directions")[0].get<std::string>() + ")";
    render_figure(gnuplot, dir, history_figure(d.at("history"), label));
    figures.emplace_back("history", multi ? "Hypervolume of the feasible Pareto front after each trial (reference: "
                                            "the nadir of all trials, as Optuna)."
                                          : "Optimization history: each trial's objective (" +
                                                objective_text(d.at("objective")) +
                                                ") and the best feasible value so far.");
  }
  if (!d.at("normalized").at("metrics").empty()) {
    render_figure(gnuplot, dir, normalized_figure(d.at("normalized")));
    figures.emplace_back("normalized", "Every metric of each trial divided by its maximum over the trials.");
  }
  const auto& bw = d.at("bitwidths");
  if (!bw.at("rows").empty() && !bw.at("trials").empty()) {
    render_figure(gnuplot, dir, bitwidth_figure(bw, multi));
    figures.emplace_back("bitwidths", multi ? "Bit width per layer tensor (rows) of the Pareto-front trials "
                                              "(columns); 32 = float."
                                            : "Bit width per layer tensor (rows) of the best trials (columns, best "
                                              "first); 32 = float.");
  }
  const std::string index = dir + "/index.html";
  write_file_atomic(index, page(d, run_dir, read_text(run_dir + "/config.toml"), figures));
  return index;
}

}  // namespace qdse::report
