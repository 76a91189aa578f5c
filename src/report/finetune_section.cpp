// The report's fine-tuned trials table; see include/qdse/report/finetune_section.hpp.
#include "qdse/report/finetune_section.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <vector>

#include "qdse/report/html.hpp"
#include "qdse/search/pareto.hpp"
#include "qdse/search/trial.hpp"

namespace qdse::report {
namespace {

double finetune_metric_of(const nlohmann::json& rec, const char* when, const char* where, const char* key) {
  const auto* j = &rec;
  for (const char* k : {when, where}) {
    if (!j->is_object() || !j->contains(k)) return std::numeric_limits<double>::quiet_NaN();
    j = &j->at(k);
  }
  const auto it = j->find(key);
  return it != j->end() && it->is_number() ? it->get<double>() : std::numeric_limits<double>::quiet_NaN();
}

std::string finetune_pair(double before, double after, int digits) {
  return fmt_num(before, digits) + " -> " + fmt_num(after, digits);  // html_table escapes cells
}

nlohmann::json finetune_read_doc(const std::string& run_dir) {
  std::ifstream in(std::filesystem::path(run_dir) / "finetuned" / "finetune.json");
  if (!in) return nullptr;
  return nlohmann::json::parse(in, nullptr, false);
}

// One point of the both-fronts figure.
struct FinetunePoint {
  double x, y;
  int trial;
};

std::string finetune_points_block(std::vector<FinetunePoint> pts, bool sort_by_x) {
  if (sort_by_x)
    std::stable_sort(pts.begin(), pts.end(), [](const FinetunePoint& a, const FinetunePoint& b) { return a.x < b.x; });
  std::string out;
  for (const auto& p : pts) out += gp_num(p.x) + " " + gp_num(p.y) + " " + std::to_string(p.trial) + "\n";
  return out.empty() ? "NaN NaN -1\n" : out;
}

}  // namespace

std::optional<FinetuneFigure> finetune_front_figure(const std::string& run_dir, const nlohmann::json& report_data) {
  const nlohmann::json doc = finetune_read_doc(run_dir);
  if (!doc.is_object() || !doc.contains("trials") || !doc.at("trials").is_array() || doc.at("trials").empty())
    return std::nullopt;
  const auto& plots = report_data.value("pareto", nlohmann::json::array());
  if (plots.empty()) return std::nullopt;
  const nlohmann::json* plot = &plots[0];
  for (const auto& p : plots)
    if (p.value("name", std::string()) == "pareto_objectives") plot = &p;
  const bool objectives = plot->value("name", std::string()) == "pareto_objectives";
  // Directions of (x, y): the study's for its two objectives (y is the first), else
  // cost minimized and accuracy maximized as the report's other Pareto plots.
  std::vector<search::Direction> dirs = {search::Direction::Minimize, search::Direction::Maximize};
  if (objectives) {
    const auto& d = report_data.at("directions");
    dirs = {search::parse_direction(d.at(1).get<std::string>()), search::parse_direction(d.at(0).get<std::string>())};
  }
  const std::string xm = plot->at("x_metric"), ym = plot->at("y_metric");
  std::map<int, FinetunePoint> searched;
  std::vector<FinetunePoint> front;
  for (const auto& pt : plot->at("points")) {
    const FinetunePoint p{pt.at("x").get<double>(), pt.at("y").get<double>(), pt.at("trial").get<int>()};
    searched[p.trial] = p;
    if (pt.value("pareto", false)) front.push_back(p);
  }
  // A fine-tuned trial's point moves by its metric's change; an objective that scales its
  // metric keeps the same scale (the plotted value over the metric before).
  const auto moved = [](double plotted, const nlohmann::json& rec, const std::string& metric) {
    const double before = finetune_metric_of(rec, "before", "split", metric.c_str());
    const double after = finetune_metric_of(rec, "after", "split", metric.c_str());
    if (!std::isfinite(after) || !std::isfinite(before)) return plotted;
    return before != 0 ? plotted * (after / before) : after;
  };
  std::vector<FinetunePoint> before, after;
  std::string arrows;
  search::PointList after_points;
  for (const auto& rec : doc.at("trials")) {
    if (!rec.is_object()) continue;
    const auto it = searched.find(rec.value("trial", -1));
    if (it == searched.end()) continue;
    const FinetunePoint& b = it->second;
    const FinetunePoint a{moved(b.x, rec, xm), moved(b.y, rec, ym), b.trial};
    before.push_back(b);
    after.push_back(a);
    after_points.push_back({a.x, a.y});
    arrows += gp_num(b.x) + " " + gp_num(b.y) + " " + gp_num(a.x - b.x) + " " + gp_num(a.y - b.y) + "\n";
  }
  if (after.empty()) return std::nullopt;
  std::vector<FinetunePoint> tuned_front;
  for (std::size_t i : search::pareto_front_indices(after_points, dirs)) tuned_front.push_back(after[i]);

  FinetuneFigure fig;
  FigureSpec& f = fig.spec;
  f.name = "pareto_finetuned";
  const std::string x_label = plot->at("x_label"), y_label = plot->at("y_label");
  f.title = y_label + " vs " + x_label + ": the post-training front and the fine-tuned trials";
  std::ostringstream data, body;
  data << "# x y trial; index 0: post-training Pareto front (by x), 1: fine-tuned trials before, 2: after, "
          "3: front of the fine-tuned points (by x); index 4: x y dx dy, before -> after\n"
       << finetune_points_block(front, true) << "\n\n"
       << finetune_points_block(before, false) << "\n\n"
       << finetune_points_block(after, false) << "\n\n"
       << finetune_points_block(tuned_front, true) << "\n\n"
       << arrows;
  f.data = data.str();
  const std::string file = gp_quote(f.name + ".dat");
  body << "  set title " << gp_quote(y_label + " vs " + x_label + ", post-training and fine-tuned") << "\n"
       << "  set xlabel " << gp_quote(x_label) << "\n  set ylabel " << gp_quote(y_label) << "\n"
       << "  set grid\n  set key bottom right\n"
       << (plot->value("log_x", false) ? "  set logscale x\n" : "  unset logscale x\n")
       << "  plot " << file << " index 0 using 1:2 with steps lw 1.5 lc rgb '#d62728' notitle, \\\n"
       << "       " << file << " index 0 using 1:2 with points pt 7 ps 0.9 lc rgb '#d62728' title 'post-training front', \\\n"
       << "       " << file << " index 4 using 1:2:3:4 with vectors head filled size screen 0.008,20 lc rgb '#999999' notitle, \\\n"
       << "       " << file << " index 1 using 1:2 with points pt 6 ps 0.9 lc rgb '#d62728' title 'fine-tuned trial, before', \\\n"
       << "       " << file << " index 3 using 1:2 with steps lw 1.5 lc rgb '#2ca02c' notitle, \\\n"
       << "       " << file << " index 2 using 1:2 with points pt 7 ps 0.9 lc rgb '#2ca02c' title 'fine-tuned (front: line)', \\\n"
       << "       " << file << " index 2 using 1:2:(stringcolumn(3)) with labels offset char 0.9,0.7 font ',8' notitle\n";
  f.body = body.str();
  fig.caption = y_label + " vs " + x_label + " on the search's split. Red: the post-training Pareto front of the search; "
                "hollow red: the fine-tuned trials as searched, an arrow to each after fine-tuning (green, labelled "
                "with trial numbers); green line: the front of the fine-tuned points (finetuned/finetune.json).";
  return fig;
}

std::string finetune_section(const std::string& run_dir) {
  if (!std::filesystem::exists(std::filesystem::path(run_dir) / "finetuned" / "finetune.json")) return "";
  const nlohmann::json doc = finetune_read_doc(run_dir);
  const std::string head = "<h2>Fine-tuned trials</h2>\n";
  if (!doc.is_object() || !doc.contains("trials") || !doc.at("trials").is_array())
    return head + "<p class=\"note\">finetuned/finetune.json is not a finetune.json of <code>qdse finetune</code>; "
                  "no table.</p>\n";
  std::vector<std::vector<std::string>> rows;
  const auto& fl = doc.value("float", nlohmann::json::object());
  const auto float_acc = [&](const char* where) {
    const auto it = fl.find(where);
    return it != fl.end() && it->is_object() && it->contains("accuracy") && it->at("accuracy").is_number()
               ? it->at("accuracy").get<double>()
               : std::numeric_limits<double>::quiet_NaN();
  };
  rows.push_back({"float", "-", fmt_num(float_acc("split"), 5), fmt_num(float_acc("test"), 5), "-", "-", "-", "-"});
  std::string split = "split";
  for (const auto& r : doc.at("trials")) {
    if (!r.is_object()) continue;
    split = r.value("split", split);
    rows.push_back({"trial " + std::to_string(r.value("trial", -1)), r.value("optimizer", std::string("?")) +
                        ", lr " + fmt_num(r.value("learning_rate", 0.0), 3) + ", " + std::to_string(r.value("epochs", 0)) +
                        " epoch(s)",
                    finetune_pair(finetune_metric_of(r, "before", "split", "accuracy"),
                                  finetune_metric_of(r, "after", "split", "accuracy"), 5),
                    finetune_pair(finetune_metric_of(r, "before", "test", "accuracy"),
                                  finetune_metric_of(r, "after", "test", "accuracy"), 5),
                    finetune_pair(finetune_metric_of(r, "before", "split", "loss"),
                                  finetune_metric_of(r, "after", "split", "loss"), 5),
                    fmt_num(finetune_metric_of(r, "after", "split", "model_size"), 8),
                    fmt_num(r.value("seconds", 0.0), 3),
                    std::filesystem::path(r.value("checkpoint", std::string())).filename().string()});
  }
  return head +
         "<p class=\"note\">Each trial's metrics after post-training quantization (the search's) &rarr; after "
         "quantization-aware fine-tuning with the same formats (<a href=\"../finetuned/finetune.json\">finetune.json</a>, "
         "docs/finetune.md); <i>" + html_escape(split) +
         "</i>: the search's evaluation split, test: the whole test split. The checkpoints hold the fine-tuned "
         "weights.</p>\n" +
         html_table({"", "fine-tuning", "accuracy (" + split + ")", "accuracy (test)", "loss (" + split + ")",
                     "model size", "seconds", "checkpoint"},
                    rows);
}

}  // namespace qdse::report
