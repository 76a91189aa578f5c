// The HTML report of one search run (`qdse report RUN_DIR`, also written at the end
// of `qdse search`): RUN_DIR/report/index.html plus its figures.
//
// Inputs are the run directory's files only (trials.json, best.json, config.toml),
// so a report can be made for any finished or interrupted run, on another machine.
// run_report_data() computes everything the figures and tables show, as JSON (kept
// as report/report.json); write_run_report() renders it:
//   pareto_size / pareto_bitops / pareto_latency   accuracy vs model size, BitOPs,
//        latency (when measured); feasible Pareto front highlighted, labelled with
//        trial numbers. pareto_objectives: the two objectives of a two-objective run,
//        front = best.json's trials.
//   history      each trial's objective and the best-so-far (feasible) trial; for a
//                multi-objective run the hypervolume of the feasible front so far
//   normalized   every metric divided by its maximum over the trials
//   bitwidths    heat map, layers (x tensor: data_in, weight, bias) x best trials
//   summary      float baseline and best trials: compression = 32 / average bit
//                width, BitOPs reduction = float BitOPs / BitOPs
// Above 2000 trials the scatter clouds and lines are written to NAME.dat thinned to
// what shows on screen (a trial on a pixel cell its series already covers is left
// out; fronts, best trials, axis extremes and best-so-far corners always stay); the
// counts are in report.json's "plotted" object and the captions (docs/report.md).
// Thread-safety: pure functions of their inputs and the file system.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace qdse::report {

// Everything behind the report's figures and tables (see the header comment).
// `trials` is trials.json's array, `best` best.json's object.
nlohmann::json run_report_data(const nlohmann::json& trials, const nlohmann::json& best);

// Reads RUN_DIR's files, writes RUN_DIR/report/ (index.html, report.json, and
// NAME.dat/.gp/.png/.svg per figure; gnuplot runs on up to one figure per core at a
// time) and returns the path of index.html. Throws qdse::Error(Io) when a file is
// missing or gnuplot is not available or fails.
std::string write_run_report(const std::string& run_dir);
// The same from the contents of trials.json and best.json already in memory (what
// write_run_outputs wrote): `qdse search` skips parsing them again.
std::string write_run_report(const std::string& run_dir, const nlohmann::json& trials, const nlohmann::json& best);

}  // namespace qdse::report
