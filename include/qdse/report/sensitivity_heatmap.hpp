// The report's sensitivity heat map (issue 17, item 1; docs/report.md): one row per layer
// (a group of `qdse sensitivity`, or a param of the `sensitivity` sampler's pass), one cell
// per choice, coloured by the accuracy lost when only that layer takes that choice and
// every other layer stays at the reference. Sources, first found:
//   1. RUN_DIR/sensitivity.json (`qdse sensitivity --out RUN_DIR`): damage = -d_accuracy,
//      reference = the float model;
//   2. a run of the `sensitivity` sampler (best.json provenance): its trial 0 is the
//      reference (the most precise choice of every param) and every Complete trial that
//      differs from it in exactly one param is a cell; damage = trial 0's accuracy minus
//      the trial's.
// Rows with a single choice are left out. A sensitivity.json that cannot be read, or a run
// without an `accuracy` metric, gives no heat map (never a failed report).
// Thread-safety: reads files only.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "qdse/report/gnuplot.hpp"

namespace qdse::report {

struct SensitivityCell {
  std::string label;  // the choice, shortened ("diw4 ww2" for data_in_width=4 weight_width=2)
  double damage = 0;  // accuracy lost against the reference (negative: gained)
};

struct SensitivityHeatRow {
  std::string name;  // group or param
  std::vector<SensitivityCell> cells;
};

struct SensitivityHeatmap {
  std::vector<SensitivityHeatRow> rows;
  std::string source;  // caption words: where the damages come from
};

// The heat map's rows from the run directory's files (nullopt: neither source applies).
// `trials` / `best`: trials.json's array and best.json's object.
std::optional<SensitivityHeatmap> sensitivity_heatmap(const std::string& run_dir, const nlohmann::json& trials,
                                                      const nlohmann::json& best);

struct SensitivityHeatmapFigure {
  FigureSpec spec;  // sensitivity_heatmap.{dat,gp,png,svg}
  std::string caption;
};

SensitivityHeatmapFigure sensitivity_heatmap_figure(const SensitivityHeatmap& map);

}  // namespace qdse::report
