// The report's "Sensitivity model: predicted vs measured" section (issue 17, item 2;
// docs/report.md): for a run with a sensitivity table (RUN_DIR/sensitivity.json, or a
// `sensitivity` sampler's pass), every Complete trial's accuracy as the additive prior
// predicts it against the measured one (figure sensitivity_prediction), and Spearman's rank
// correlation and the mean error after the first k scored trials (figure
// sensitivity_prediction_steps, and a table). The numbers come from
// pipeline/sensitivity_prediction.hpp; this file only draws them.
// Thread-safety: pure functions (sensitivity_prediction_data reads the run's table).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "qdse/report/gnuplot.hpp"

namespace qdse::report {

// report.json's "sensitivity_prediction": the prediction (pipeline::prediction_to_json),
// {"omitted": reason} when the run's sensitivity.json cannot be read or does not match the
// run, null when the run has no sensitivity table at all.
nlohmann::json sensitivity_prediction_data(const std::string& run_dir, const nlohmann::json& trials,
                                           const nlohmann::json& best);

struct PredictionFigure {
  FigureSpec spec;
  std::string caption;
};

// The scatter (predicted vs measured accuracy) and the curve of Spearman and mean absolute
// error against k; each only when it has something to draw.
std::vector<PredictionFigure> sensitivity_prediction_figures(const nlohmann::json& data);

// The section's HTML (a note and the table of growing k, or the "omitted because" note);
// "" for null data.
std::string sensitivity_prediction_section(const nlohmann::json& data);

}  // namespace qdse::report
