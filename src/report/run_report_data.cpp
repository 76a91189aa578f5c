// run_report_data(): the numbers behind every figure and table of a run's report,
// computed from trials.json and best.json; see include/qdse/report/run_report.hpp.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "qdse/report/hw_section.hpp"
#include "qdse/report/run_report.hpp"
#include "qdse/search/best_trials.hpp"
#include "qdse/search/pareto.hpp"
#include "qdse/search/trial.hpp"

namespace qdse::report {
namespace {

using nlohmann::json;
using search::Direction;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct Trial {
  int number = -1;
  std::vector<double> values;
  bool feasible = true;
  const json* record = nullptr;
  double metric(const std::string& name) const {
    const auto& m = record->at("metrics");
    auto it = m.find(name);
    return it == m.end() || !it->is_number() ? kNaN : it->get<double>();
  }
};

std::vector<Trial> complete_trials(const json& trials) {
  std::vector<Trial> out;
  for (const auto& t : trials) {
    if (t.value("state", "") != "COMPLETE" || !t.contains("values") || t.at("values").empty()) continue;
    Trial x;
    x.number = t.at("number").get<int>();
    for (const auto& v : t.at("values")) x.values.push_back(v.is_number() ? v.get<double>() : kNaN);
    x.feasible = t.value("feasible", true);
    x.record = &t;
    out.push_back(std::move(x));
  }
  std::sort(out.begin(), out.end(), [](const Trial& a, const Trial& b) { return a.number < b.number; });
  return out;
}

std::vector<Direction> directions_of(const json& best) {
  const auto& obj = best.at("objective");
  if (obj.value("sum_scaled_metrics", true))
    return {search::parse_direction(obj.value("direction", std::string("maximize")))};
  std::vector<Direction> d;
  for (const auto& m : obj.at("metrics")) d.push_back(search::parse_direction(m.at("direction").get<std::string>()));
  return d;
}

// obj[key] as a number; `fallback` when absent or not a number (NaN is written to JSON as
// null, so a metric that was NaN reads back as null).
double number_at(const json& obj, const char* key, double fallback) {
  if (!obj.is_object()) return fallback;
  const auto it = obj.find(key);
  return it != obj.end() && it->is_number() ? it->get<double>() : fallback;
}

bool better(double a, double b, Direction d) { return d == Direction::Maximize ? a > b : a < b; }

// One point of a Pareto plot (built key by key: an initializer list copies every value).
json point(int trial, double x, double y, bool feasible) {
  json p = json::object();
  p["trial"] = trial;
  p["x"] = x;
  p["y"] = y;
  p["feasible"] = feasible;
  p["pareto"] = false;
  return p;
}

// Accuracy (maximised) against a cost metric (minimised).
json pareto_plot(const std::vector<Trial>& trials, const std::string& name, const std::string& x_metric,
                 const std::string& x_label, const std::string& y_metric, bool log_x) {
  json points = json::array();
  search::PointList feasible_points;
  std::vector<std::size_t> feasible_idx;
  for (const auto& t : trials) {
    const double x = t.metric(x_metric), y = t.metric(y_metric);
    if (!std::isfinite(x) || !std::isfinite(y)) continue;
    if (t.feasible) {
      feasible_points.push_back({x, y});
      feasible_idx.push_back(points.size());
    }
    points.push_back(point(t.number, x, y, t.feasible));
  }
  json front = json::array();
  for (std::size_t i : search::pareto_front_indices(feasible_points, {Direction::Minimize, Direction::Maximize})) {
    points[feasible_idx[i]]["pareto"] = true;
    front.push_back(points[feasible_idx[i]]["trial"]);
  }
  return {{"name", name}, {"x_metric", x_metric}, {"x_label", x_label}, {"y_metric", y_metric},
          {"y_label", y_metric}, {"log_x", log_x}, {"points", points}, {"front", front}};
}

// The two objectives of a two-objective run; the front is best.json's definition
// (Pareto front of the feasible complete trials under the study's directions).
json objective_plot(const std::vector<Trial>& trials, const json& best, const std::vector<Direction>& dirs) {
  const auto& metrics = best.at("objective").at("metrics");
  json points = json::array();
  search::PointList feasible_points;
  std::vector<std::size_t> feasible_idx;
  for (const auto& t : trials) {
    if (t.values.size() != 2 || !std::isfinite(t.values[0]) || !std::isfinite(t.values[1])) continue;
    if (t.feasible) {
      feasible_points.push_back(t.values);
      feasible_idx.push_back(points.size());
    }
    points.push_back(point(t.number, t.values[1], t.values[0], t.feasible));
  }
  json front = json::array();
  for (std::size_t i : search::pareto_front_indices(feasible_points, dirs)) {
    points[feasible_idx[i]]["pareto"] = true;
    front.push_back(points[feasible_idx[i]]["trial"]);
  }
  const std::string xm = metrics.at(1).at("metric"), ym = metrics.at(0).at("metric");
  return {{"name", "pareto_objectives"}, {"x_metric", xm}, {"y_metric", ym},
          {"x_label", xm + " (" + std::string(search::to_string(dirs[1])) + ")"},
          {"y_label", ym + " (" + std::string(search::to_string(dirs[0])) + ")"},
          {"log_x", false}, {"points", points}, {"front", front}};
}

json history(const std::vector<Trial>& trials, const std::vector<Direction>& dirs) {
  json h;
  json numbers = json::array(), values = json::array(), feasible = json::array(), best_so_far = json::array();
  if (dirs.size() == 1) {
    double best = kNaN;
    for (const auto& t : trials) {
      const double v = t.values[0];
      if (t.feasible && std::isfinite(v) && (!std::isfinite(best) || better(v, best, dirs[0]))) best = v;
      numbers.push_back(t.number);
      values.push_back(v);
      feasible.push_back(t.feasible);
      best_so_far.push_back(best);
    }
    h["kind"] = "objective";
    h["direction"] = std::string(search::to_string(dirs[0]));
  } else {
    // Hypervolume of the feasible front so far, against the nadir of all trials.
    search::PointList all_losses;
    for (const auto& t : trials) all_losses.push_back(search::to_losses(t.values, dirs));
    const auto reference = all_losses.empty() ? std::vector<double>{} : search::nadir_reference(all_losses);
    search::PointList so_far;
    for (std::size_t i = 0; i < trials.size(); ++i) {
      if (trials[i].feasible) so_far.push_back(all_losses[i]);
      numbers.push_back(trials[i].number);
      values.push_back(trials[i].values);
      feasible.push_back(trials[i].feasible);
      best_so_far.push_back(so_far.empty() ? kNaN : search::hypervolume_of_losses(so_far, reference));
    }
    h["kind"] = "hypervolume";
    h["reference_losses"] = reference;
  }
  h["trials"] = numbers;
  h["values"] = values;
  h["feasible"] = feasible;
  h["best_so_far"] = best_so_far;
  return h;
}

json normalized(const std::vector<Trial>& trials) {
  static const std::vector<std::string> kCandidates = {
      "accuracy", "macro_accuracy", "loss", "model_size_bytes", "average_bitwidth", "bitops",
      "latency_per_sample_us"};
  json metrics = json::array(), maxima = json::object(), rows = json::array();
  std::vector<std::string> used;
  for (const auto& m : kCandidates) {
    double mx = 0;
    bool all = !trials.empty();
    for (const auto& t : trials) {
      const double v = t.metric(m);
      if (!std::isfinite(v)) all = false;
      else mx = std::max(mx, v);
    }
    if (!all || mx <= 0) continue;
    used.push_back(m);
    metrics.push_back(m);
    maxima[m] = mx;
  }
  std::vector<double> max_of;
  for (const auto& m : used) max_of.push_back(maxima[m].get<double>());
  for (const auto& t : trials) {
    json vals = json::array();
    for (std::size_t i = 0; i < used.size(); ++i) vals.push_back(t.metric(used[i]) / max_of[i]);
    json row = json::object();
    row["trial"] = t.number;
    row["values"] = std::move(vals);
    rows.push_back(std::move(row));
  }
  return {{"metrics", metrics}, {"max", maxima}, {"rows", rows}};
}

// "seq_blocks_10" after "seq_blocks_9".
bool natural_less(const std::string& a, const std::string& b) {
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (std::isdigit(static_cast<unsigned char>(a[i])) && std::isdigit(static_cast<unsigned char>(b[j]))) {
      std::size_t i2 = i, j2 = j;
      while (i2 < a.size() && std::isdigit(static_cast<unsigned char>(a[i2]))) ++i2;
      while (j2 < b.size() && std::isdigit(static_cast<unsigned char>(b[j2]))) ++j2;
      const auto na = std::stoull(a.substr(i, std::min<std::size_t>(i2 - i, 18)));
      const auto nb = std::stoull(b.substr(j, std::min<std::size_t>(j2 - j, 18)));
      if (na != nb) return na < nb;
      i = i2;
      j = j2;
    } else {
      if (a[i] != b[j]) return a[i] < b[j];
      ++i;
      ++j;
    }
  }
  return a.size() - i < b.size() - j;
}

// Best trials, best first: the Pareto front (by number) or the feasible trials by
// objective value, then the infeasible ones by violation (constraint sum), then value.
std::vector<const Trial*> ranked(const std::vector<Trial>& trials, const std::vector<Direction>& dirs,
                                 const json& best, std::size_t limit) {
  std::vector<const Trial*> out;
  if (dirs.size() > 1) {
    std::set<int> front;
    for (const auto& t : best.at("trials")) front.insert(t.at("number").get<int>());
    for (const auto& t : trials)
      if (front.count(t.number)) out.push_back(&t);
  } else {
    // best.json's order (search/best_trials.hpp), so the table's first row is its best trial.
    std::vector<search::Standing> standing(trials.size());
    for (std::size_t i = 0; i < trials.size(); ++i) {
      const Trial& t = trials[i];
      standing[i] = {t.feasible, 0.0, t.values[0]};
      for (const auto& c : t.record->value("constraints", json::array()))
        if (c.is_number()) standing[i].violation += std::max(0.0, c.get<double>());
      out.push_back(&t);
    }
    std::stable_sort(out.begin(), out.end(), [&](const Trial* a, const Trial* b) {
      return search::ranks_before(standing[a - trials.data()], standing[b - trials.data()], dirs[0]);
    });
  }
  if (out.size() > limit) out.resize(limit);
  return out;
}

json bitwidths(const std::vector<const Trial*>& best_trials, const json& best) {
  static const std::vector<std::string> kSlots = {"data_in", "weight", "bias", "data_out"};
  // Groups (layer names, or op types with setup.by = "type") in space order.
  std::vector<std::string> names;
  if (best.contains("params")) {
    for (const auto& p : best.at("params")) names.push_back(p.get<std::string>());
  } else {
    for (const auto* t : best_trials)
      for (const auto& [k, v] : t->record->at("params").items())
        if (std::find(names.begin(), names.end(), k) == names.end()) names.push_back(k);
    std::stable_sort(names.begin(), names.end(), natural_less);
  }
  std::vector<std::string> groups;
  for (const auto& n : names) {
    const auto pos = n.find("/config/");
    if (pos == std::string::npos) continue;
    const std::string g = n.substr(0, pos);
    if (std::find(groups.begin(), groups.end(), g) == groups.end()) groups.push_back(g);
  }
  json rows = json::array(), widths = json::array(), trial_numbers = json::array();
  std::vector<std::pair<std::string, std::string>> row_keys;  // (group, slot)
  for (const auto& g : groups)
    for (const auto& s : kSlots) {
      const std::string key = g + "/config/" + s + "_width";
      bool any = false;
      for (const auto* t : best_trials) any = any || t->record->at("params").contains(key);
      if (!any) continue;
      row_keys.emplace_back(g, s);
      rows.push_back(g + " " + s);
    }
  for (const auto* t : best_trials) trial_numbers.push_back(t->number);
  for (const auto& [g, s] : row_keys) {
    json row = json::array();
    for (const auto* t : best_trials) {
      const auto& p = t->record->at("params");
      const auto name = p.find(g + "/config/name");
      const auto w = p.find(g + "/config/" + s + "_width");
      if (name != p.end() && name->is_string() && name->get<std::string>() == "NA") row.push_back(32);  // float
      else if (w != p.end() && w->is_number()) row.push_back(w->get<double>());
      else row.push_back(nullptr);
    }
    widths.push_back(row);
  }
  return {{"rows", rows}, {"trials", trial_numbers}, {"widths", widths}};
}

json summary_row(const Trial& t, const json& float_metrics, bool is_best) {
  const double avg = t.metric("average_bitwidth"), bitops = t.metric("bitops");
  const double fbitops = number_at(float_metrics, "bitops", kNaN);
  return {{"trial", t.number},
          {"values", t.values},
          {"feasible", t.feasible},
          {"best", is_best},
          {"accuracy", t.metric("accuracy")},
          {"model_size_bytes", t.metric("model_size_bytes")},
          {"average_bitwidth", avg},
          {"compression", avg > 0 ? 32.0 / avg : kNaN},
          {"bitops", bitops},
          {"bitops_reduction", bitops > 0 ? fbitops / bitops : kNaN},
          {"latency_per_sample_us", t.metric("latency_per_sample_us")}};
}

}  // namespace

nlohmann::json run_report_data(const nlohmann::json& trials_json, const nlohmann::json& best) {
  const auto trials = complete_trials(trials_json);
  const auto dirs = directions_of(best);
  json data;
  data["provenance"] = best.value("provenance", json::object());
  data["objective"] = best.at("objective");
  data["constraints"] = best.value("constraints", json::array());
  data["directions"] = json::array();
  for (auto d : dirs) data["directions"].push_back(std::string(search::to_string(d)));
  data["n_trials"] = trials_json.size();
  data["n_complete"] = trials.size();
  std::size_t n_feasible = 0;
  for (const auto& t : trials) n_feasible += t.feasible ? 1 : 0;
  data["n_feasible"] = n_feasible;

  json pareto = json::array();
  pareto.push_back(pareto_plot(trials, "pareto_size", "model_size_bytes", "model size (bytes)", "accuracy", false));
  pareto.push_back(pareto_plot(trials, "pareto_bitops", "bitops", "BitOPs per sample", "accuracy", true));
  bool latency = false;
  for (const auto& t : trials) latency = latency || t.metric("latency_per_sample_us") > 0;
  if (latency)
    pareto.push_back(pareto_plot(trials, "pareto_latency", "latency_per_sample_us", "latency per sample (us)",
                                 "accuracy", false));
  // A run with [search.strategy.hw_runner.fpga]: accuracy against the design's LUTs, DSP
  // slices and latency (trials without the metrics give no points, so no figure).
  pareto.push_back(pareto_plot(trials, "pareto_lut", "lut", "LUTs", "accuracy", false));
  pareto.push_back(pareto_plot(trials, "pareto_dsp", "dsp", "DSP slices", "accuracy", false));
  pareto.push_back(pareto_plot(trials, "pareto_fpga_latency", "latency_ns", "FPGA latency (ns)", "accuracy", false));
  if (dirs.size() == 2) pareto.push_back(objective_plot(trials, best, dirs));
  json kept = json::array();
  for (auto& p : pareto)
    if (!p.at("points").empty()) kept.push_back(std::move(p));
  data["pareto"] = kept;
  data["hw_utilization"] = hw_utilization_rows(best);
  data["history"] = history(trials, dirs);
  data["normalized"] = normalized(trials);

  const auto top = ranked(trials, dirs, best, dirs.size() > 1 ? 40 : 20);
  data["bitwidths"] = bitwidths(top, best);

  const json float_metrics = best.value("float_metrics", json::object());
  json rows = json::array();
  std::set<int> best_numbers;
  for (const auto& t : best.value("trials", json::array())) best_numbers.insert(t.at("number").get<int>());
  const std::size_t n_rows = dirs.size() > 1 ? top.size() : std::min<std::size_t>(top.size(), 5);
  for (std::size_t i = 0; i < n_rows; ++i)
    rows.push_back(summary_row(*top[i], float_metrics, best_numbers.count(top[i]->number) > 0));
  data["summary"] = {{"float", {{"accuracy", number_at(float_metrics, "accuracy", kNaN)},
                                {"model_size_bytes", number_at(float_metrics, "model_size_bytes", kNaN)},
                                {"average_bitwidth", number_at(float_metrics, "average_bitwidth", 32.0)},
                                {"bitops", number_at(float_metrics, "bitops", kNaN)},
                                {"latency_per_sample_us", number_at(float_metrics, "latency_per_sample_us", kNaN)},
                                {"compression", 1.0},
                                {"bitops_reduction", 1.0}}},
                     {"best", rows},
                     {"search", best.value("summary", json::object())},
                     {"best_feasible", best.value("feasible", true)},
                     {"message", best.value("message", std::string())}};
  return data;
}

}  // namespace qdse::report
