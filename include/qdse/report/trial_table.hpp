// The one trial record writer: the JSON object of a trial (trials.json, best.json and
// `qdse trials --format json`), the CSV table (trials.csv and `qdse trials --format
// csv`) and the human table (`qdse trials`), so that a run's files and a study's export
// agree on columns, state names and numbers.
//
// JSON: {number, state, params: {name: value}, values, constraints, feasible, metrics,
//        start_time, end_time, sample_seconds, eval_seconds, worker, retry_of}
// CSV:  number,state,feasible,value_0..,<params>,<metrics, sorted>,sample_seconds,
//       eval_seconds,start_time,end_time,worker,retry_of
// Numbers are written as the shortest text that reads back to the same double (JSON's
// rule), in both formats; a NaN or infinite number is null in JSON and an empty CSV
// cell. retry_of is the trial this one retried (see search/study.hpp), else null/empty.
// Thread-safety: pure functions; a TrialParams is immutable.
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "qdse/search/storage.hpp"
#include "qdse/search/trial.hpp"

namespace qdse::pipeline {
class QuantSpace;
}

namespace qdse::report {

// A study's param names and the labels of a trial's param values.
class TrialParams {
 public:
  // From the space description `qdse search` stores with a study ({"params": [{"name":
  // ..., "choices": [...]}, ...]}): choice labels by index. A description in another
  // shape gives names p0, p1, ... and the raw param numbers.
  static TrialParams from_description(const std::string& space_json);
  // From the live space of a run: the values QuantSpace::describe() decodes.
  static TrialParams from_space(const pipeline::QuantSpace& space);

  // Columns for a trial: the named params, and p<i> for any beyond them (a damaged row).
  std::size_t width(const search::FrozenTrial& t) const;
  std::size_t named() const { return names_.size(); }
  std::string name(std::size_t i) const;
  // One value per column of width(t); null where the trial has no value.
  std::vector<nlohmann::json> values(const search::FrozenTrial& t) const;

 private:
  std::vector<std::string> names_;
  std::function<std::vector<nlohmann::json>(const search::FrozenTrial&)> decode_;
};

// "COMPLETE", "FAILED", "RUNNING", "PRUNED".
std::string state_name(search::TrialState state);

// A double as the shortest round-trip text; "" when not finite.
std::string number_text(double v);

// A param value as a table cell or label: strings bare, numbers as JSON writes them.
std::string value_label(const nlohmann::json& v);

// The retry_of of every trial (aligned with `trials`, ordered by number). Asks the
// storage only for trials whose params an earlier trial already had: a retry re-runs the
// configuration of the stale trial it retries (search/study.cpp), so a 27,000-trial
// SQLite study costs a handful of queries instead of 27,000 (0.75 s).
std::vector<std::optional<int>> retries_of(const search::Storage& storage,
                                           const std::vector<search::FrozenTrial>& trials);

nlohmann::json trial_json(const search::FrozenTrial& t, const TrialParams& params, std::optional<int> retry_of);

// The CSV table of `trials` (retry_of aligned with them, or empty for none known),
// with n_values objective columns.
std::string trials_csv(const std::vector<search::FrozenTrial>& trials, const TrialParams& params,
                       std::size_t n_values, const std::vector<std::optional<int>>& retry_of);

// A param as the human tables show it (`qdse trials`, the best trials `qdse search`
// prints): "<layer>.<key>=<value>" from the first and last '/'-separated parts of the
// name; "" for a string value (format names, "auto"/"NA": the widths tell the story).
std::string compact_param(const std::string& name, const nlohmann::json& value);

// The human table of `qdse trials` (--format table): trial, state, objective values
// with 6 significant digits (a table for reading; csv/json keep every digit) and the
// compact params.
std::string trials_text(const std::vector<search::FrozenTrial>& trials, const TrialParams& params);

}  // namespace qdse::report
