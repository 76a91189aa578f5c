// The outputs of a finished (or interrupted) `qdse search`, written from its session:
// trials.json, trials.csv and best.json (run_outputs.hpp), the HTML report
// (run_report.hpp; without gnuplot, or on any report error, the search still succeeds
// and `report_error` says why) and hls4ml.yml when the best trial is all fixed point
// (from the study's trial, not from best.json; a failure to write it leaves the other
// outputs and `hls4ml_error` says why), and hw_layers.csv with an FPGA target
// (hw_layers.hpp; `hw_layers_error` says why when it could not be written).
// Thread-safety: call after SearchSession::run returned.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "qdse/pipeline/search_session.hpp"

namespace qdse::report {

struct SearchOutputs {
  nlohmann::json best;         // best.json's content
  std::string report_index;    // the report's index.html ("" when none was written)
  std::string report_error;    // why no report was written
  std::string hls4ml_error;    // why hls4ml.yml could not be written ("" when written or not applicable)
  std::string hw_layers_error;  // why hw_layers.csv (hw_layers.hpp) could not be written ("" when written or n/a)
  double outputs_seconds = 0;  // trials.json/csv and best.json
  double report_seconds = 0;   // report and hls4ml.yml
};

SearchOutputs write_search_outputs(const pipeline::SearchSession& session, const pipeline::SearchSummary& summary);

// What `qdse search` prints on stdout at the end: trials run and why the search stopped,
// the study, the float model, the best trials, the run directory, times and memory.
std::string search_summary_text(const pipeline::SearchSession& session, const pipeline::SearchSummary& summary,
                                const SearchOutputs& outputs);

}  // namespace qdse::report
