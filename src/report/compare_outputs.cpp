// Outputs of `qdse compare`: terminal table, CSVs, JSON, figures and compare.html;
// see include/qdse/report/compare.hpp.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "qdse/report/compare.hpp"
#include "qdse/report/gnuplot.hpp"
#include "qdse/report/html.hpp"
#include "qdse/report/run_outputs.hpp"

namespace qdse::report {
namespace {

using nlohmann::json;

std::string csv_num(double v) {
  if (!std::isfinite(v)) return "";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

std::string opt_num(const std::optional<double>& v) { return v ? csv_num(*v) : ""; }
std::string opt_int(const std::optional<int>& v) { return v ? std::to_string(*v) : ""; }

std::string tolerance_text(const CompareResult& r) {
  return r.multi_objective ? fmt_num(r.tolerance * 100, 4) + "% of the optimum hypervolume" : fmt_num(r.tolerance, 4);
}

// "12 (10/10)", or ">60 (3/10)" when the median run did not get there.
std::string reach_text(const std::optional<double>& median, int reached, int runs, int trials) {
  return (median ? fmt_num(*median, 5) : ">" + std::to_string(trials)) + " (" + std::to_string(reached) + "/" +
         std::to_string(runs) + ")";
}

std::string optimum_line(const CompareResult& r) {
  std::string s = "optimum " + r.measure + ": ";
  if (!r.optimum) return s + "none (no feasible trial)";
  s += fmt_num(*r.optimum, 8) + " (";
  if (r.optimum_source == "bruteforce")
    s += "brute force over all " + (r.space_size ? std::to_string(*r.space_size) : std::string("?")) + " configurations";
  else
    s += "best of all runs; no brute force";
  return s + "), tolerance " + tolerance_text(r);
}

std::vector<std::string> table_header(const CompareResult& r) {
  return {"strategy", "runs", "trials/run", "final " + r.measure + " median [min, max]",
          "trials to optimum: median (reached)", "trials to within tolerance: median (reached)", "sampler s/run"};
}

std::vector<std::vector<std::string>> table_rows(const CompareResult& r) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& s : r.summaries)
    rows.push_back({s.strategy, std::to_string(s.runs), std::to_string(s.trials_per_run),
                    fmt_num(s.final_median, 6) + " [" + fmt_num(s.final_min, 6) + ", " + fmt_num(s.final_max, 6) + "]",
                    reach_text(s.median_to_optimum, s.reached_optimum, s.runs, s.trials_per_run),
                    reach_text(s.median_to_tolerance, s.reached_tolerance, s.runs, s.trials_per_run),
                    fmt_num(s.sampler_seconds, 3)});
  return rows;
}

int max_trials(const CompareResult& r) {
  int n = 1;
  for (const auto& s : r.summaries) n = std::max(n, s.trials_per_run);
  return n;
}

const char* kColors[] = {"#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#7f7f7f"};

FigureSpec curves_figure(const CompareResult& r) {
  FigureSpec f;
  f.name = "compare_curves";
  f.title = r.measure + " so far vs trials: median over repeats (line) and min-max (band), per strategy";
  std::ostringstream data, body;
  data << "# trial median min max; one block (index) per strategy:";
  for (const auto& s : r.summaries) data << " " << s.strategy;
  data << "\n";
  double lo = INFINITY, hi = -INFINITY;
  for (std::size_t i = 0; i < r.summaries.size(); ++i) {
    const auto& s = r.summaries[i];
    data << (i ? "\n\n" : "");
    bool any = false;
    for (std::size_t k = 0; k < s.median.size(); ++k) {
      if (!std::isfinite(s.median[k])) continue;
      any = true;
      data << k + 1 << " " << gp_num(s.median[k]) << " " << gp_num(s.min[k]) << " " << gp_num(s.max[k]) << "\n";
    }
    if (!any) data << "NaN NaN NaN NaN\n";
    // y range: from the worst median after a few trials to the best value seen.
    const std::size_t k0 = std::min<std::size_t>(s.median.size(), 5);
    for (std::size_t k = k0 ? k0 - 1 : 0; k < s.median.size(); ++k)
      if (std::isfinite(s.median[k])) {
        lo = std::min(lo, s.median[k]);
        hi = std::max(hi, s.median[k]);
      }
    for (double v : s.max)
      if (std::isfinite(v)) hi = std::max(hi, v);
  }
  if (r.optimum) {
    lo = std::min(lo, *r.optimum);
    hi = std::max(hi, *r.optimum);
  }
  f.data = data.str();
  body << "  set title " << gp_quote(r.measure == "hypervolume" ? "Hypervolume so far" : "Best objective so far")
       << "\n  set xlabel 'trials (log scale)'\n  set ylabel " << gp_quote(r.measure) << "\n"
       << "  set logscale x\n  set xrange [1:" << std::max(2, max_trials(r)) << "]\n  set grid\n  set key outside right top\n";
  if (std::isfinite(lo) && std::isfinite(hi) && hi > lo) {
    const double pad = 0.08 * (hi - lo);
    body << "  set yrange [" << gp_num(lo - pad) << ":" << gp_num(hi + pad) << "]\n";
  }
  std::vector<std::string> clauses;
  for (std::size_t i = 0; i < r.summaries.size(); ++i) {
    const std::string c = kColors[i % 8];
    const std::string idx = std::to_string(i);
    clauses.push_back("'compare_curves.dat' index " + idx + " using 1:3:4 with filledcurves fs transparent solid 0.15 "
                      "lc rgb '" + c + "' notitle");
    clauses.push_back("'compare_curves.dat' index " + idx + " using 1:2 with steps lw 2 lc rgb '" + c + "' title " +
                      gp_quote(r.summaries[i].strategy));
  }
  if (r.optimum)
    clauses.push_back(gp_num(*r.optimum) + " with lines dt 2 lw 1 lc rgb 'black' title 'optimum (" + r.optimum_source +
                      ")'");
  body << "  plot ";
  for (std::size_t i = 0; i < clauses.size(); ++i) body << (i ? ", \\\n       " : "") << clauses[i];
  body << "\n";
  f.body = body.str();
  f.width = 900;
  return f;
}

FigureSpec success_figure(const CompareResult& r) {
  FigureSpec f;
  f.name = "compare_success";
  f.title = "fraction of runs within tolerance of the optimum vs trials, per strategy";
  std::ostringstream data, body;
  data << "# trial fraction_within_tolerance; one block (index) per strategy:";
  for (const auto& s : r.summaries) data << " " << s.strategy;
  data << "\n";
  for (std::size_t i = 0; i < r.summaries.size(); ++i) {
    data << (i ? "\n\n" : "");
    const auto& s = r.summaries[i];
    for (std::size_t k = 0; k < s.within_tolerance.size(); ++k)
      data << k + 1 << " " << gp_num(s.within_tolerance[k]) << "\n";
    if (s.within_tolerance.empty()) data << "NaN NaN\n";
  }
  f.data = data.str();
  body << "  set title " << gp_quote("Runs within tolerance (" + tolerance_text(r) + ") of the optimum") << "\n"
       << "  set xlabel 'trials (log scale)'\n  set ylabel 'fraction of runs'\n"
       << "  set logscale x\n  set xrange [1:" << std::max(2, max_trials(r)) << "]\n  set yrange [0:1.05]\n  set grid\n  set key outside right top\n  plot ";
  for (std::size_t i = 0; i < r.summaries.size(); ++i)
    body << (i ? ", \\\n       " : "") << "'compare_success.dat' index " << i << " using 1:2 with steps lw 2 lc rgb '"
         << kColors[i % 8] << "' title " << gp_quote(r.summaries[i].strategy);
  body << "\n";
  f.body = body.str();
  f.width = 900;
  f.height = 400;
  return f;
}

}  // namespace

std::string format_compare_table(const CompareResult& r) {
  const auto header = table_header(r);
  const auto rows = table_rows(r);
  std::vector<std::size_t> w(header.size());
  for (std::size_t i = 0; i < header.size(); ++i) {
    w[i] = header[i].size();
    for (const auto& row : rows) w[i] = std::max(w[i], row[i].size());
  }
  std::ostringstream out;
  out << optimum_line(r) << "\n";
  auto line = [&](const std::vector<std::string>& cells) {
    for (std::size_t i = 0; i < cells.size(); ++i) {
      const std::string pad(w[i] - cells[i].size(), ' ');
      out << (i ? "  " : "") << (i == 0 ? cells[i] + pad : pad + cells[i]);
    }
    out << "\n";
  };
  line(header);
  for (const auto& row : rows) line(row);
  out << r.total_trials << " trials in " << fmt_num(r.seconds, 4) << " s; " << r.distinct_configs
      << " distinct configurations evaluated (the rest answered from the shared cache)\n";
  for (const auto& n : r.notes) out << "note: " << n << "\n";
  return out.str();
}

nlohmann::json compare_to_json(const CompareResult& r) {
  json j;
  j["measure"] = r.measure;
  j["multi_objective"] = r.multi_objective;
  j["directions"] = json::array();
  for (auto d : r.directions) j["directions"].push_back(std::string(search::to_string(d)));
  j["optimum"] = r.optimum ? json(*r.optimum) : json(nullptr);
  j["optimum_source"] = r.optimum_source;
  j["tolerance"] = r.tolerance;
  j["hv_reference_losses"] = r.hv_reference;
  j["notes"] = r.notes;
  j["total_trials"] = r.total_trials;
  j["distinct_configs"] = r.distinct_configs;
  j["seconds"] = r.seconds;
  j["space_size"] = r.space_size ? json(*r.space_size) : json(nullptr);
  j["provenance"] = r.provenance;
  j["strategies"] = json::array();
  for (const auto& s : r.summaries)
    j["strategies"].push_back({{"strategy", s.strategy},
                               {"runs", s.runs},
                               {"trials_per_run", s.trials_per_run},
                               {"final_median", s.final_median},
                               {"final_min", s.final_min},
                               {"final_max", s.final_max},
                               {"median_trials_to_optimum", s.median_to_optimum ? json(*s.median_to_optimum) : json(nullptr)},
                               {"reached_optimum", s.reached_optimum},
                               {"median_trials_to_tolerance",
                                s.median_to_tolerance ? json(*s.median_to_tolerance) : json(nullptr)},
                               {"reached_tolerance", s.reached_tolerance},
                               {"sampler_seconds_per_run", s.sampler_seconds},
                               {"seconds_per_run", s.seconds}});
  j["runs"] = json::array();
  for (const auto& c : r.runs)
    j["runs"].push_back({{"strategy", c.strategy},
                         {"seed", c.seed},
                         {"trials", c.curve.size()},
                         {"final", c.final_value},
                         {"trials_to_optimum", c.to_optimum ? json(*c.to_optimum) : json(nullptr)},
                         {"trials_to_tolerance", c.to_tolerance ? json(*c.to_tolerance) : json(nullptr)},
                         {"seconds", c.seconds},
                         {"sampler_seconds", c.sampler_seconds},
                         {"cached", c.cached}});
  return j;
}

std::string write_compare_outputs(const std::string& dir, const CompareResult& r,
                                  const std::optional<std::string>& gnuplot) {
  std::filesystem::create_directories(dir);
  std::ostringstream csv;
  csv << "strategy,runs,trials_per_run,measure,final_median,final_min,final_max,optimum,optimum_source,"
         "median_trials_to_optimum,reached_optimum,tolerance,median_trials_to_tolerance,reached_tolerance,"
         "sampler_seconds_per_run,seconds_per_run\n";
  for (const auto& s : r.summaries)
    csv << s.strategy << "," << s.runs << "," << s.trials_per_run << "," << r.measure << "," << csv_num(s.final_median)
        << "," << csv_num(s.final_min) << "," << csv_num(s.final_max) << "," << opt_num(r.optimum) << ","
        << r.optimum_source << "," << opt_num(s.median_to_optimum) << "," << s.reached_optimum << ","
        << csv_num(r.tolerance) << "," << opt_num(s.median_to_tolerance) << "," << s.reached_tolerance << ","
        << csv_num(s.sampler_seconds) << "," << csv_num(s.seconds) << "\n";
  write_file_atomic(dir + "/compare.csv", csv.str());

  std::ostringstream runs;
  runs << "strategy,seed,trials,final,trials_to_optimum,trials_to_tolerance,seconds,sampler_seconds,cached\n";
  for (const auto& c : r.runs)
    runs << c.strategy << "," << c.seed << "," << c.curve.size() << "," << csv_num(c.final_value) << ","
         << opt_int(c.to_optimum) << "," << opt_int(c.to_tolerance) << "," << csv_num(c.seconds) << ","
         << csv_num(c.sampler_seconds) << "," << c.cached << "\n";
  write_file_atomic(dir + "/compare_runs.csv", runs.str());

  std::ostringstream curves;
  curves << "strategy,trial,median,min,max,within_tolerance_fraction\n";
  for (const auto& s : r.summaries)
    for (std::size_t k = 0; k < s.median.size(); ++k)
      curves << s.strategy << "," << k + 1 << "," << csv_num(s.median[k]) << "," << csv_num(s.min[k]) << ","
             << csv_num(s.max[k]) << "," << csv_num(s.within_tolerance[k]) << "\n";
  write_file_atomic(dir + "/compare_curves.csv", curves.str());
  write_file_atomic(dir + "/compare.json", compare_to_json(r).dump(1));

  std::vector<std::pair<std::string, std::string>> figures;
  bool any_value = false;  // gnuplot cannot draw a figure without a single point
  for (const auto& s : r.summaries)
    for (double v : s.median) any_value = any_value || std::isfinite(v);
  if (gnuplot && any_value) {
    render_figure(*gnuplot, dir, curves_figure(r));
    figures.emplace_back("compare_curves", (r.multi_objective ? std::string("Hypervolume of the feasible front")
                                                              : std::string("Best feasible objective")) +
                                               " after each trial: median over the repeats (line) and min to max "
                                               "(band); dashed: the optimum.");
    if (r.optimum) {
      render_figure(*gnuplot, dir, success_figure(r));
      figures.emplace_back("compare_success", "Fraction of runs within tolerance (" + tolerance_text(r) +
                                                  ") of the optimum after each trial.");
    }
  }

  std::ostringstream b;
  const auto& p = r.provenance;
  b << "<h1>qdse compare: " << html_escape(p.value("model", std::string("?"))) << " on "
    << html_escape(p.value("dataset", std::string("?"))) << "</h1>\n";
  b << "<h2>Provenance</h2>\n";
  std::vector<std::vector<std::string>> prov;
  for (const auto& [k, v] : p.items()) prov.push_back({k, v.is_string() ? v.get<std::string>() : v.dump()});
  b << html_table({"key", "value"}, prov, true);
  b << "<h2>Results</h2>\n<p>" << html_escape(optimum_line(r)) << ".</p>\n" << html_table(table_header(r), table_rows(r));
  b << "<p class=\"note\">" << r.total_trials << " trials in " << fmt_num(r.seconds, 4) << " s; " << r.distinct_configs
    << " distinct configurations were evaluated, every repeat was answered from the result cache shared by all runs. "
       "Trial counts are 1-based; a run that never got there counts as infinitely many in the median (shown as "
       "&gt;N). Wall times per run are not comparable (later runs find more results cached); sampler seconds are.</p>\n";
  for (const auto& n : r.notes) b << "<p class=\"note\">Note: " << html_escape(n) << "</p>\n";
  if (figures.empty())
    b << "<p class=\"note\">No figures: " << (gnuplot ? "no run had a feasible trial" : "gnuplot was not found")
      << ".</p>\n";
  for (const auto& [name, caption] : figures) b << html_figure(name, caption);
  b << "<p class=\"note\">Data: <a href=\"compare.csv\">compare.csv</a> (per strategy), "
       "<a href=\"compare_runs.csv\">compare_runs.csv</a> (per run), <a href=\"compare_curves.csv\">compare_curves.csv</a> "
       "(curves), <a href=\"compare.json\">compare.json</a>.</p>\n";
  const std::string html = dir + "/compare.html";
  write_file_atomic(html, html_page("qdse compare: " + p.value("model", std::string("")), b.str()));
  return html;
}

}  // namespace qdse::report
