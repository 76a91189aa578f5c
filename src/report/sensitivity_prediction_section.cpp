// The predicted-vs-measured section; see include/qdse/report/sensitivity_prediction_section.hpp.
#include "qdse/report/sensitivity_prediction_section.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "qdse/core/error.hpp"
#include "qdse/pipeline/sensitivity_prediction.hpp"
#include "qdse/report/html.hpp"

namespace qdse::report {
namespace {

using nlohmann::json;

double pred_sec_num(const json& v) {
  return v.is_number() ? v.get<double>() : std::numeric_limits<double>::quiet_NaN();
}

// The metric the figures draw: accuracy when scored, else the first with a scored trial.
const json* pred_sec_drawn_metric(const json& data, std::string* name) {
  if (!data.is_object() || !data.contains("metrics")) return nullptr;
  const json& metrics = data.at("metrics");
  const json* out = nullptr;
  for (const auto& [m, v] : metrics.items())
    if (!v.at("trials").empty() && (!out || m == "accuracy")) out = &v, *name = m;
  return out;
}

PredictionFigure pred_sec_scatter(const json& m, const std::string& metric, const std::string& source) {
  PredictionFigure out;
  FigureSpec& f = out.spec;
  f.name = "sensitivity_prediction";
  f.title = "predicted (additive sensitivity prior) against measured " + metric + " of every scored trial";
  const auto& trials = m.at("trials");
  const auto& predicted = m.at("predicted");
  const auto& measured = m.at("measured");
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  std::ostringstream data;
  data << "# predicted measured trial (" << metric << ")\n";
  for (std::size_t i = 0; i < trials.size(); ++i) {
    const double p = pred_sec_num(predicted[i]), y = pred_sec_num(measured[i]);
    for (double v : {p, y})
      if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
    data << gp_num(p) << " " << gp_num(y) << " " << trials[i].get<int>() << "\n";
  }
  f.data = data.str();
  const double pad = hi > lo ? 0.04 * (hi - lo) : 0.01;
  const std::string range = "[" + gp_num(lo - pad) + ":" + gp_num(hi + pad) + "]";
  std::ostringstream body;
  body << "  set title " << gp_quote("Predicted vs measured " + metric + " (Spearman " +
                                     fmt_num(pred_sec_num(m.at("spearman")), 3) + ", mean |error| " +
                                     fmt_num(pred_sec_num(m.at("mean_abs_error")), 3) + ")")
       << "\n  set xlabel " << gp_quote("predicted " + metric + " (sensitivity table, additive)")
       << "\n  set ylabel " << gp_quote("measured " + metric) << "\n  set grid\n  set key bottom right\n"
       << "  set xrange " << range << "\n  set yrange " << range << "\n  set size ratio -1\n"
       << "  set cblabel 'trial'\n  set palette defined (0 '#c6dbef', 1 '#08306b')\n"
       << "  plot x with lines dt 2 lc rgb '#888888' title 'predicted = measured', \\\n"
       << "       'sensitivity_prediction.dat' using 1:2:3 with points pt 7 ps 0.7 lc palette title 'trial'\n";
  f.body = body.str();
  f.width = 640;
  f.height = 560;
  out.caption = "Predicted against measured " + metric + " of every scored trial (colour: trial number; dashed: "
                "prediction = measurement). Prediction: the reference's " + metric +
                " plus the change of each layer's choice, from " + source + ".";
  return out;
}

PredictionFigure pred_sec_steps_figure(const json& m, const std::string& metric) {
  PredictionFigure out;
  FigureSpec& f = out.spec;
  f.name = "sensitivity_prediction_steps";
  f.title = "Spearman's rank correlation and mean absolute error after the first k scored trials";
  std::ostringstream data;
  data << "# k trial spearman mean_abs_error mean_error (" << metric << "; after the first k scored trials)\n";
  for (const auto& s : m.at("steps"))
    data << s.at("k").get<std::size_t>() << " " << s.at("trial").get<int>() << " " << gp_num(pred_sec_num(s.at("spearman")))
         << " " << gp_num(pred_sec_num(s.at("mean_abs_error"))) << " " << gp_num(pred_sec_num(s.at("mean_error")))
         << "\n";
  f.data = data.str();
  f.body = "  set title " + gp_quote("Prediction quality as trials accumulate (" + metric + ")") +
           "\n  set xlabel 'scored trials (k)'\n  set ylabel \"Spearman's rank correlation\"\n  set yrange [-1:1]\n"
           "  set ytics nomirror\n  set y2label " +
           gp_quote("mean |predicted - measured| " + metric) +
           "\n  set y2tics\n  set y2range [0:*]\n  set grid\n  set key bottom right\n"
           "  plot 'sensitivity_prediction_steps.dat' using 1:3 with linespoints pt 7 ps 0.4 lw 2 lc rgb '#1f77b4' "
           "title 'Spearman', \\\n"
           "       'sensitivity_prediction_steps.dat' using 1:4 axes x1y2 with linespoints pt 7 ps 0.4 lw 2 "
           "lc rgb '#d62728' title 'mean absolute error'\n";
  out.caption = "Spearman's rank correlation (left) and mean absolute error (right) of the predicted " + metric +
                " over the first k scored trials, in trial order.";
  return out;
}

}  // namespace

json sensitivity_prediction_data(const std::string& run_dir, const json& trials, const json& best) {
  try {
    const auto r = pipeline::run_sensitivity_prediction(run_dir, trials, best);
    if (!r) return nullptr;
    return pipeline::prediction_to_json(*r);
  } catch (const Error& e) {  // a table that does not fit the run: a note, never a failed report
    return {{"omitted", e.what()}};
  }
}

std::vector<PredictionFigure> sensitivity_prediction_figures(const json& data) {
  std::vector<PredictionFigure> out;
  std::string metric;
  const json* m = pred_sec_drawn_metric(data, &metric);
  if (!m) return out;
  out.push_back(pred_sec_scatter(*m, metric, data.at("description").get<std::string>()));
  // The curve needs a Spearman to draw (two scored trials whose values are not all equal).
  bool any = false;
  for (const auto& s : m->at("steps")) any = any || s.at("spearman").is_number();
  if (any) out.push_back(pred_sec_steps_figure(*m, metric));
  return out;
}

std::string sensitivity_prediction_section(const json& data) {
  if (!data.is_object()) return "";
  std::ostringstream b;
  b << "<h2 id=\"sensitivity-prediction\">Sensitivity model: predicted vs measured</h2>\n";
  if (data.contains("omitted")) {
    b << "<p class=\"note\">Section omitted because " << html_escape(data.at("omitted").get<std::string>())
      << ".</p>\n";
    return b.str();
  }
  const auto& metrics = data.at("metrics");
  std::size_t scored = 0;
  for (const auto& [name, m] : metrics.items()) scored = std::max(scored, m.at("trials").size());
  b << "<p class=\"note\">Every Complete trial's value predicted by the additive damage model from "
    << html_escape(data.at("description").get<std::string>())
    << ": the reference's value plus the change measured for each layer's choice (for a pass: each param's), summed (the prior: not "
       "refitted on the trials). "
    << scored << " trials scored; " << data.at("table_trials").size() << " trials measured the table itself (not scored); "
    << data.at("unpredictable").size()
    << " with a choice the table has no measurement for. Numbers in report.json, <code>sensitivity_prediction</code>.</p>\n";
  if (scored == 0) {
    b << "<p class=\"note\">No trial to score yet (only the table's own).</p>\n";
    return b.str();
  }
  // Rows at k = 5, 10, 20, 50, 100, 200, 500, ... (the last step at or below) and at the end.
  std::vector<std::string> names;
  for (const auto& [name, m] : metrics.items()) names.push_back(name);
  std::vector<std::string> header = {"first k scored trials", "up to trial"};
  for (const auto& n : names)
    header.insert(header.end(), {"Spearman (" + n + ")", "mean |error| (" + n + ")", "mean error (" + n + ")"});
  const auto& lead = metrics.at(names.front()).at("steps");
  std::vector<std::size_t> picks;  // indices into the steps
  const std::size_t last_k = lead.empty() ? 0 : lead.back().at("k").get<std::size_t>();
  for (std::size_t base = 1; base < 10 * last_k; base *= 10)
    for (std::size_t target : {5 * base, 10 * base, 20 * base}) {
      std::size_t at = lead.size();
      for (std::size_t s = 0; s < lead.size(); ++s)
        if (lead[s].at("k").get<std::size_t>() <= target) at = s;
      if (at < lead.size() && (picks.empty() || picks.back() != at)) picks.push_back(at);
    }
  if (!lead.empty() && (picks.empty() || picks.back() != lead.size() - 1)) picks.push_back(lead.size() - 1);
  std::vector<std::vector<std::string>> rows;
  for (std::size_t s : picks) {
    const std::size_t k = lead[s].at("k").get<std::size_t>();
    std::vector<std::string> row = {std::to_string(k), std::to_string(lead[s].at("trial").get<int>())};
    for (const auto& n : names) {
      const json* step = nullptr;
      for (const auto& x : metrics.at(n).at("steps"))
        if (x.at("k").get<std::size_t>() == k) step = &x;
      for (const char* key : {"spearman", "mean_abs_error", "mean_error"})
        row.push_back(step ? fmt_num(pred_sec_num(step->at(key)), 4) : "-");
    }
    rows.push_back(std::move(row));
  }
  b << html_table(header, rows);
  return b.str();
}

}  // namespace qdse::report
