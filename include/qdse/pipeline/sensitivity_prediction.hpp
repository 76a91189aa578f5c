// Predicted against measured (issue 17, item 2): every Complete trial of a run gets the
// value that the additive damage model predicts for its configuration from a sensitivity
// table, and the prediction is scored (Spearman's rank correlation, mean absolute and mean
// signed error) after the first k scored trials, for growing k. The report draws it
// (report/sensitivity_prediction_section.hpp); the computation lives here, beside the
// table it reads.
//
// The model is the *prior*: the table alone, never refitted on the run's trials, so the
// score says how far the per-layer measurements go on their own. Predicted value of a
// configuration = the reference's + the sum over terms of the change measured when only
// that term's params leave the reference. Two sources, as the heat map's:
//   1. RUN_DIR/sensitivity.json (`qdse sensitivity`): one term per group (a layer's
//      keys together), the reference is the float model, every Complete trial is scored.
//   2. a `sensitivity` sampler run (best.json provenance): its pass, i.e. trial 0 (every
//      param at its most precise choice) and each Complete trial that differs from it in
//      exactly one param; one term per param. The pass's own trials are not scored (the
//      model reproduces them by construction); a later trial with a choice the pass has no
//      measurement for (a failed or cut-short pass) is counted as unpredictable. The
//      sampler itself refits a model with within-layer interaction terms at every ask;
//      that model is not the one scored here.
// Metrics: accuracy and loss (those that both the prior and the trials have).
// Errors: qdse::Error(Config), one line naming the file, for a table that does not match
// the run's search space (a param or layer of one missing in the other, a trial's choice
// missing from the table, a param with one choice in the table that the trials vary).
// Thread-safety: pure functions of their inputs (run_sensitivity_prediction reads a file).
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "qdse/pipeline/sensitivity.hpp"

namespace qdse::pipeline {

struct DamagePrior {
  struct Term {
    std::string name;                   // group (sensitivity.json) or param (the pass)
    std::vector<std::string> params;    // the run's params it reads
    std::vector<bool> keyed;            // per param: part of the choice's key (more than one choice)
    // choice key ("data_in_width=4 weight_width=2", prediction_choice_key) -> metric -> change
    std::map<std::string, std::map<std::string, double>> change;
  };
  std::string source;       // "sensitivity.json" or "sensitivity sampler pass"
  std::string description;  // caption words: what the reference and terms are
  std::string where;        // names the table in errors (its path, or "the sampler's pass")
  std::map<std::string, double> reference;  // metric -> the reference's value
  std::vector<Term> terms;
  bool exhaustive = false;  // every choice is in the table: a missing one is a mismatch, not a gap
  std::set<int> table_trials;  // trials the prior was measured from (not scored)
};

// The key of the choice that `params` (a trial's params object) takes for `term`: the
// keyed params as "key=value" (key after "/config/", value as choice_label), space
// separated, "(single choice)" when none is keyed; the labels of sensitivity.json rows.
// nullopt when a keyed param is missing or not a scalar.
std::optional<std::string> prediction_choice_key(const DamagePrior::Term& term, const nlohmann::json& params);

// The prior of a sensitivity table (source 1); `where` names it in errors.
DamagePrior prior_from_table(const SensitivityTable& table, const std::string& where);
// The prior of a sensitivity sampler's pass (source 2) among `trials` (trials.json's
// array); nullopt when trial 0 is not a Complete trial with params.
std::optional<DamagePrior> prior_from_pass(const nlohmann::json& trials);

struct PredictionStep {
  std::size_t k = 0;  // scored trials so far
  int trial = 0;      // number of the k-th
  double spearman = 0, mean_abs_error = 0, mean_error = 0;  // spearman NaN below 2 or when constant
};

struct MetricPrediction {
  std::string metric;
  double reference = 0;
  std::vector<int> trials;  // scored trials, in trial order
  std::vector<double> predicted, measured;
  std::vector<PredictionStep> steps;  // growing k (every k up to 100, then ~5% apart, and the last)
};

struct PredictionReport {
  std::string source, description;
  std::vector<MetricPrediction> metrics;
  std::vector<int> table_trials;   // trials the prior came from
  std::vector<int> unpredictable;  // Complete trials with a choice the (pass) prior has not measured
};

// Scores every Complete trial of `trials` not in prior.table_trials.
PredictionReport predict_trials(const DamagePrior& prior, const nlohmann::json& trials);

// Sources 1 then 2 for a run directory (`trials` / `best`: trials.json's array and
// best.json's object); nullopt when the run has neither. Throws qdse::Error (one line) for
// a sensitivity.json that cannot be read or does not match the run.
std::optional<PredictionReport> run_sensitivity_prediction(const std::string& run_dir, const nlohmann::json& trials,
                                                           const nlohmann::json& best);

// report.json's "sensitivity_prediction" object (docs/report.md).
nlohmann::json prediction_to_json(const PredictionReport& report);

}  // namespace qdse::pipeline
