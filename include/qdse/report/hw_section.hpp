// The report's "FPGA resources" section of a run searched with a
// [search.strategy.hw_runner.fpga] table: utilisation bars of the best trial(s) against the
// device, then the per-layer table of hw_layers.csv. Both come from files of the run
// (report.json's `hw_utilization`, built by run_report_data; hw_layers.csv, hw_layers.hpp),
// so `qdse report` redraws them without the model.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace qdse::report {

// [{trial, utilization: {lut, ff, dsp, bram, uram}}] of the best trial(s) from best.json's
// trials; a resource the trial has no `<resource>_utilization` for (FF under FINN, URAM on a
// device without it) is left out; empty when no trial has any.
nlohmann::json hw_utilization_rows(const nlohmann::json& best);

// The HTML section (utilisation bars, then the per-layer table); "" when the run has
// neither hw_layers.csv nor utilisation rows.
std::string hw_section(const std::string& run_dir, const nlohmann::json& utilization_rows);

}  // namespace qdse::report
