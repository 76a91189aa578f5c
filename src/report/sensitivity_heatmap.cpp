// The sensitivity heat map of the report; see include/qdse/report/sensitivity_heatmap.hpp.
#include "qdse/report/sensitivity_heatmap.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace qdse::report {
namespace {

using nlohmann::json;

// "data_in_width=4 weight_width=2" -> "diw4 ww2": the initials of each key's words, so a
// cell of a two-key layer still fits its box.
std::string heat_short_label(const std::string& label) {
  std::istringstream in(label);
  std::string item, out;
  while (in >> item) {
    const auto eq = item.find('=');
    std::string s = item;
    if (eq != std::string::npos) {
      std::string initials;
      bool start = true;
      for (std::size_t i = 0; i < eq; ++i) {
        if (item[i] == '_') start = true;
        else if (start) initials += item[i], start = false;
      }
      s = initials + item.substr(eq + 1);
    }
    out += (out.empty() ? "" : " ") + s;
  }
  return out;
}

// '#rrggbb' between white (0) and the full gain blue #2166ac (1).
std::string heat_gain_colour(double fraction) {
  const double f = std::clamp(fraction, 0.0, 1.0);
  auto mix = [f](int full) { return static_cast<int>(std::lround(255 + (full - 255) * f)); };
  char buf[16];
  std::snprintf(buf, sizeof buf, "'#%02x%02x%02x'", mix(0x21), mix(0x66), mix(0xac));
  return buf;
}

std::string heat_value_text(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

// Source 1: RUN_DIR/sensitivity.json (qdse-sensitivity-1).
std::optional<SensitivityHeatmap> heat_from_table(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return std::nullopt;
  try {
    const json j = json::parse(in);
    SensitivityHeatmap map;
    for (const auto& g : j.at("groups")) {
      const auto& choices = g.at("choices");
      if (choices.size() < 2) continue;
      SensitivityHeatRow row{g.at("group").get<std::string>(), {}};
      for (const auto& c : choices)
        row.cells.push_back({heat_short_label(c.at("label").get<std::string>()), -c.at("d_accuracy").get<double>()});
      map.rows.push_back(std::move(row));
    }
    if (map.rows.empty()) return std::nullopt;
    map.source = "sensitivity.json (" + std::to_string(j.value("evaluations", 0)) +
                 " evaluations; reference: the float model)";
    return map;
  } catch (const json::exception&) {
    return std::nullopt;  // not a sensitivity table: no heat map rather than a failed report
  }
}

// Source 2: the `sensitivity` sampler's pass among the trials.
std::optional<SensitivityHeatmap> heat_from_pass(const json& trials, const json& best) {
  if (!best.is_object() || best.value("provenance", json::object()).value("sampler", std::string()) != "sensitivity")
    return std::nullopt;
  auto complete_accuracy = [](const json& t) -> std::optional<double> {
    if (!t.is_object() || t.value("state", std::string()) != "COMPLETE") return std::nullopt;
    const auto m = t.find("metrics");
    if (m == t.end() || !m->is_object()) return std::nullopt;
    const auto a = m->find("accuracy");
    if (a == m->end() || !a->is_number()) return std::nullopt;
    return a->get<double>();
  };
  const json* reference = nullptr;
  for (const auto& t : trials)
    if (t.is_object() && t.value("number", -1) == 0) reference = &t;
  if (!reference || !complete_accuracy(*reference) || !reference->contains("params")) return std::nullopt;
  const json& ref_params = reference->at("params");
  const double ref_accuracy = *complete_accuracy(*reference);
  SensitivityHeatmap map;
  int cells = 0;
  for (auto it = ref_params.begin(); it != ref_params.end(); ++it) {
    SensitivityHeatRow row{it.key(), {{heat_value_text(it.value()) + " (ref)", 0.0}}};
    for (const auto& t : trials) {
      const auto acc = complete_accuracy(t);
      if (!acc || !t.contains("params") || t.at("params").size() != ref_params.size()) continue;
      int differ = 0;
      bool this_one = false;
      for (auto p = ref_params.begin(); p != ref_params.end(); ++p) {
        const auto q = t.at("params").find(p.key());
        if (q == t.at("params").end() || *q != p.value()) ++differ, this_one |= p.key() == it.key();
      }
      if (differ != 1 || !this_one) continue;
      row.cells.push_back({heat_value_text(t.at("params").at(it.key())), ref_accuracy - *acc});
      ++cells;
    }
    if (row.cells.size() > 1) map.rows.push_back(std::move(row));
  }
  if (map.rows.empty()) return std::nullopt;
  map.source = "the sensitivity sampler's pass (" + std::to_string(cells + 1) +
               " trials: trial 0, every param at its most precise choice, and each single-param deviation from it)";
  return map;
}

}  // namespace

std::optional<SensitivityHeatmap> sensitivity_heatmap(const std::string& run_dir, const json& trials,
                                                      const json& best) {
  if (auto m = heat_from_table(std::filesystem::path(run_dir) / "sensitivity.json")) return m;
  return heat_from_pass(trials, best);
}

SensitivityHeatmapFigure sensitivity_heatmap_figure(const SensitivityHeatmap& map) {
  SensitivityHeatmapFigure out;
  FigureSpec& f = out.spec;
  f.name = "sensitivity_heatmap";
  f.title = "accuracy lost per layer (row) and choice (column), every other layer at the reference";
  std::size_t columns = 0;
  double lo = 0.0, hi = 0.0;
  std::ostringstream data;
  data << "# column row damage label; damage = accuracy lost against the reference\n";
  for (std::size_t r = 0; r < map.rows.size(); ++r) {
    const auto& cells = map.rows[r].cells;
    columns = std::max(columns, cells.size());
    for (std::size_t c = 0; c < cells.size(); ++c) {
      lo = std::min(lo, cells[c].damage);
      hi = std::max(hi, cells[c].damage);
      char value[32];
      std::snprintf(value, sizeof value, "%.3f", cells[c].damage);
      data << c << " " << r << " " << gp_num(cells[c].damage) << " \"" << cells[c].label << ": " << value << "\"\n";
    }
  }
  f.data = data.str();
  if (!(hi > 0)) hi = 1e-3;  // no damage anywhere: the red end still needs a place
  std::string yt;
  for (std::size_t r = 0; r < map.rows.size(); ++r)
    yt += (r ? ", " : "") + gp_quote(map.rows[r].name) + " " + std::to_string(r);
  std::ostringstream body;
  body << "  set title 'Accuracy lost when only that layer takes that choice'\n"
       << "  set xlabel 'choice'\n  unset ylabel\n  unset xtics\n"
       << "  set xrange [-0.5:" << columns - 0.5 << "]\n  set yrange [" << map.rows.size() - 0.5 << ":-0.5]\n"
       << "  set ytics (" << yt << ") font ',8'\n  unset grid\n"
       << "  set cbrange [" << gp_num(lo) << ":" << gp_num(hi) << "]\n  set cblabel 'accuracy lost'\n"
       // White at no change, red for damage, blue for a gain, on one scale: the blue end
       // is as deep as a damage of the same size would be red.
       << "  set palette defined (" << (lo < 0 ? gp_num(lo) + " " + heat_gain_colour(-lo / hi) + ", " : std::string())
       << "0 '#ffffff', "
       << gp_num(hi) << " '#b2182b')\n"
       << "  plot 'sensitivity_heatmap.dat' using 1:2:(0.5):(0.5):3 with boxxyerror fs solid 1.0 noborder fc palette "
          "notitle, \\\n"
       << "       'sensitivity_heatmap.dat' using 1:2:4 with labels font ',7' notitle\n";
  f.body = body.str();
  f.width = std::max<int>(560, 260 + 120 * static_cast<int>(columns));
  f.height = std::max<int>(260, 120 + 22 * static_cast<int>(map.rows.size()));
  out.caption = "Sensitivity heat map: the accuracy lost (red; blue = gained) when only the layer of the row takes "
                "the choice in the cell and every other layer stays at the reference. From " +
                map.source + ".";
  return out;
}

}  // namespace qdse::report
