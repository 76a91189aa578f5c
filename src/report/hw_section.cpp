// The report's FPGA section; see include/qdse/report/hw_section.hpp.
#include "qdse/report/hw_section.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <vector>

#include "qdse/hw/resources.hpp"
#include "qdse/report/html.hpp"

namespace qdse::report {
namespace {

using nlohmann::json;


// One bar: its length is the utilisation (clipped at the cell, past 100% drawn red), and
// the number beside it is exact.
std::string hw_bar(double fraction) {
  const double width = std::clamp(fraction, 0.0, 1.0) * 100.0;
  char pct[32];
  std::snprintf(pct, sizeof pct, "%.1f%%", fraction * 100.0);
  return "<td class=\"util\"><span class=\"bar\"><span style=\"width:" + fmt_num(width, 4) + "%;background:" +
         (fraction > 1.0 ? "#d62728" : "#4c8bc0") + "\"></span></span> " + pct + "</td>";
}

std::vector<std::string> hw_csv_cells(const std::string& line) {
  std::vector<std::string> out;
  std::string cell;
  std::istringstream in(line);
  while (std::getline(in, cell, ',')) out.push_back(cell);
  if (!line.empty() && line.back() == ',') out.emplace_back();  // an empty last cell (ff under FINN)
  return out;
}

std::string hw_layers_table(const std::string& run_dir) {
  std::ifstream csv(run_dir + "/hw_layers.csv");  // absent: a run without a hw table
  std::string line;
  if (!std::getline(csv, line) || line.empty()) return "";
  const auto header = hw_csv_cells(line);
  std::vector<std::vector<std::string>> rows;
  while (std::getline(csv, line))
    if (!line.empty()) rows.push_back(hw_csv_cells(line));
  return "<p class=\"note\">Per layer (<a href=\"../hw_layers.csv\">hw_layers.csv</a>); each trial's "
         "<code>total</code> row is its <code>lut</code>, <code>ff</code>, <code>dsp</code>, <code>bram</code>, "
         "<code>uram</code>, <code>latency_cycles</code> and <code>ii</code> metrics.</p>\n" +
         html_table(header, rows);
}

std::string hw_bars_table(const json& rows) {
  // The resources (hw::kResources order) that some trial has a utilisation for.
  std::vector<const hw::Resource*> shown;
  for (const hw::Resource& res : hw::kResources)
    for (const auto& r : rows)
      if (r.at("utilization").contains(std::string(res.metric))) {
        shown.push_back(&res);
        break;
      }
  std::ostringstream t;
  t << "<table class=\"hw-util\">\n<tr><th>trial</th>";
  for (const hw::Resource* res : shown) t << "<th>" << res->label << "</th>";
  t << "</tr>\n";
  for (const auto& r : rows) {
    t << "<tr><td>" << r.at("trial").get<int>() << "</td>";
    for (const hw::Resource* res : shown) {
      const auto& u = r.at("utilization");
      const std::string key(res->metric);
      t << (u.contains(key) ? hw_bar(u.at(key).get<double>()) : std::string("<td>-</td>"));
    }
    t << "</tr>\n";
  }
  t << "</table>\n";
  return t.str();
}

}  // namespace

json hw_utilization_rows(const json& best) {
  json out = json::array();
  if (!best.contains("trials") || !best.at("trials").is_array()) return out;
  for (const auto& t : best.at("trials")) {
    if (!t.contains("metrics") || !t.at("metrics").is_object()) continue;
    json u = json::object();
    for (const hw::Resource& res : hw::kResources) {
      const std::string key(res.metric);
      const auto it = t.at("metrics").find(key + "_utilization");
      if (it != t.at("metrics").end() && it->is_number()) u[key] = it->get<double>();
    }
    if (!u.empty()) out.push_back({{"trial", t.value("number", -1)}, {"utilization", u}});
  }
  return out;
}

std::string hw_section(const std::string& run_dir, const json& utilization_rows) {
  const std::string layers = hw_layers_table(run_dir);
  if (layers.empty() && utilization_rows.empty()) return "";
  std::string s =
      "<h2>FPGA resources</h2>\n<p class=\"note\">The best trial(s) on the device of "
      "<code>[search.strategy.hw_runner.fpga]</code>, from its hw cost model: estimates from published rules, not "
      "synthesis results. Bars: the fraction of the device each design uses (red: more than the device has).</p>\n";
  if (!utilization_rows.empty()) s += hw_bars_table(utilization_rows);
  return s + layers;
}

}  // namespace qdse::report
