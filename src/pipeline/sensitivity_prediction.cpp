// Predicted against measured; see include/qdse/pipeline/sensitivity_prediction.hpp.
#include "qdse/pipeline/sensitivity_prediction.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>

#include "qdse/core/error.hpp"
#include "qdse/pipeline/quant_space.hpp"
#include "qdse/pipeline/sensitivity_plan.hpp"

namespace qdse::pipeline {
namespace {

using nlohmann::json;

// The metrics a prior predicts, in report order.
const char* const kPredictedMetrics[] = {"accuracy", "loss"};

// "seq_blocks_1/config/weight_width" -> "weight_width" (as sensitivity.cpp labels rows).
std::string pred_key_of_param(const std::string& param) {
  static const std::string sep = "/config/";
  const auto at = param.find(sep);
  return at == std::string::npos ? param : param.substr(at + sep.size());
}

// A trial record's param value as the typed choice it was written from (choice_json).
std::optional<quant::ConfigValue> pred_choice_of(const json& v) {
  if (v.is_boolean()) return quant::ConfigValue(v.get<bool>());
  if (v.is_number_integer()) return quant::ConfigValue(v.get<std::int64_t>());
  if (v.is_number_float()) return quant::ConfigValue(v.get<double>());
  if (v.is_string()) return quant::ConfigValue(v.get<std::string>());
  return std::nullopt;
}

bool pred_is_complete(const json& t) {
  return t.is_object() && t.value("state", std::string()) == "COMPLETE" && t.contains("params") &&
         t.at("params").is_object() && t.contains("number") && t.at("number").is_number_integer();
}

std::optional<double> pred_metric_of(const json& t, const std::string& metric) {
  const auto m = t.find("metrics");
  if (m == t.end() || !m->is_object()) return std::nullopt;
  const auto v = m->find(metric);
  if (v == m->end() || !v->is_number()) return std::nullopt;
  return v->get<double>();
}

// After the first k scored trials for k = 1..100, then about 5% apart, and at the end:
// enough points for a curve, and O(n log n) work per point stays cheap for large runs.
std::vector<std::size_t> pred_step_sizes(std::size_t n) {
  std::vector<std::size_t> out;
  for (std::size_t k = 1; k <= n; k += k < 100 ? 1 : std::max<std::size_t>(1, k / 20)) out.push_back(k);
  if (n > 0 && out.back() != n) out.push_back(n);
  return out;
}

std::vector<PredictionStep> pred_steps(const MetricPrediction& m) {
  std::vector<PredictionStep> out;
  for (std::size_t k : pred_step_sizes(m.trials.size())) {
    const std::vector<double> p(m.predicted.begin(), m.predicted.begin() + static_cast<long>(k));
    const std::vector<double> y(m.measured.begin(), m.measured.begin() + static_cast<long>(k));
    double abs_sum = 0, sum = 0;
    for (std::size_t i = 0; i < k; ++i) abs_sum += std::abs(p[i] - y[i]), sum += p[i] - y[i];
    out.push_back({k, m.trials[k - 1], spearman(p, y), abs_sum / static_cast<double>(k), sum / static_cast<double>(k)});
  }
  return out;
}

// A number, or null when it is not finite (an undefined correlation): report.json and the
// figures read null as "nothing to draw".
json pred_number(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

}  // namespace

std::optional<std::string> prediction_choice_key(const DamagePrior::Term& term, const json& params) {
  std::string key;
  for (std::size_t j = 0; j < term.params.size(); ++j) {
    if (!term.keyed[j]) continue;
    const auto v = params.find(term.params[j]);
    if (v == params.end()) return std::nullopt;
    const auto choice = pred_choice_of(*v);
    if (!choice) return std::nullopt;
    key += (key.empty() ? "" : " ") + pred_key_of_param(term.params[j]) + "=" + choice_label(*choice);
  }
  return key.empty() ? "(single choice)" : key;
}

DamagePrior prior_from_table(const SensitivityTable& table, const std::string& where) {
  DamagePrior p;
  p.source = "sensitivity.json";
  p.where = where;
  p.description = "sensitivity.json (" + std::to_string(table.evaluations) +
                  " evaluations; reference: the float model; one term per layer, its keys together)";
  p.exhaustive = true;
  for (const char* m : kPredictedMetrics)
    if (table.reference.count(m)) p.reference[m] = table.reference.at(m);
  for (const auto& g : table.groups) {
    DamagePrior::Term t{g.name, g.params, {}, {}};
    for (std::size_t j = 0; j < g.params.size(); ++j) {
      std::set<std::size_t> seen;
      for (const auto& r : g.rows) seen.insert(r.choice.at(j));
      t.keyed.push_back(seen.size() > 1);  // as measure_sensitivity labels its rows
    }
    for (const auto& r : g.rows) t.change[r.label] = {{"accuracy", r.d_accuracy}, {"loss", r.d_loss}};
    p.terms.push_back(std::move(t));
  }
  return p;
}

std::optional<DamagePrior> prior_from_pass(const json& trials) {
  if (!trials.is_array()) return std::nullopt;
  const json* ref = nullptr;
  for (const auto& t : trials)
    if (pred_is_complete(t) && t.at("number").get<int>() == 0) ref = &t;
  if (!ref) return std::nullopt;
  const json& ref_params = ref->at("params");
  DamagePrior p;
  p.source = "sensitivity sampler pass";
  p.where = "the sensitivity sampler's pass";
  for (const char* m : kPredictedMetrics)
    if (const auto v = pred_metric_of(*ref, m)) p.reference[m] = *v;
  p.table_trials.insert(0);
  std::map<std::string, std::size_t> term_of;
  for (const auto& [name, value] : ref_params.items()) {
    DamagePrior::Term t{name, {name}, {true}, {}};
    const auto key = prediction_choice_key(t, ref_params);
    if (!key) continue;  // not a scalar: no trial can be matched on it
    for (const auto& [m, v] : p.reference) t.change[*key][m] = 0.0;
    term_of[name] = p.terms.size();
    p.terms.push_back(std::move(t));
  }
  for (const auto& t : trials) {
    if (!pred_is_complete(t) || t.at("number").get<int>() == 0 || t.at("params").size() != ref_params.size()) continue;
    std::string differs;
    int n_differ = 0;
    for (const auto& [name, value] : ref_params.items()) {
      const auto q = t.at("params").find(name);
      if (q == t.at("params").end() || *q != value) ++n_differ, differs = name;
    }
    if (n_differ != 1 || !t.at("params").contains(differs) || !term_of.count(differs)) continue;
    auto& term = p.terms[term_of.at(differs)];
    const auto key = prediction_choice_key(term, t.at("params"));
    if (!key) continue;
    for (const auto& [m, ref_value] : p.reference)
      if (const auto v = pred_metric_of(t, m)) term.change[*key][m] = *v - ref_value;
    p.table_trials.insert(t.at("number").get<int>());
  }
  p.description = "the sensitivity sampler's pass (" + std::to_string(p.table_trials.size()) +
                  " trials: trial 0, every param at its most precise choice, as the reference, and each "
                  "single-param deviation from it; one term per param; not the sampler's refitted model)";
  return p;
}

PredictionReport predict_trials(const DamagePrior& prior, const json& trials) {
  PredictionReport r;
  r.source = prior.source;
  r.description = prior.description;
  r.table_trials.assign(prior.table_trials.begin(), prior.table_trials.end());
  for (const auto& [m, v] : prior.reference) r.metrics.push_back({m, v, {}, {}, {}, {}});
  std::stable_sort(r.metrics.begin(), r.metrics.end(),
                   [](const MetricPrediction& a, const MetricPrediction& b) { return a.metric < b.metric; });
  std::map<std::string, std::pair<json, int>> single_choice;  // unkeyed param -> first value, its trial
  std::map<std::string, const DamagePrior::Term*> term_of_param;
  for (const auto& t : prior.terms)
    for (const auto& p : t.params) term_of_param[p] = &t;
  std::vector<const json*> ordered;
  if (trials.is_array())
    for (const auto& t : trials)
      if (pred_is_complete(t) && !prior.table_trials.count(t.at("number").get<int>())) ordered.push_back(&t);
  std::stable_sort(ordered.begin(), ordered.end(), [](const json* a, const json* b) {
    return a->at("number").get<int>() < b->at("number").get<int>();
  });
  for (const json* tp : ordered) {
    const json& params = tp->at("params");
    const int number = tp->at("number").get<int>();
    const std::string trial = "trial " + std::to_string(number);
    if (prior.exhaustive) {
      for (const auto& [name, value] : params.items())
        if (!term_of_param.count(name))
          throw Error(ErrorKind::Config, prior.where + " has no layer for param `" + name + "` of " + trial +
                                             " (measured on another search space?)");
      for (const auto& t : prior.terms)
        for (std::size_t j = 0; j < t.params.size(); ++j) {
          const auto v = params.find(t.params[j]);
          if (v == params.end())
            throw Error(ErrorKind::Config, prior.where + ": param `" + t.params[j] + "` of layer `" + t.name +
                                               "` is not a param of " + trial + " (measured on another search space?)");
          if (t.keyed[j]) continue;
          const auto [it, first] = single_choice.try_emplace(t.params[j], *v, number);
          if (!first && it->second.first != *v)
            throw Error(ErrorKind::Config, prior.where + ": param `" + t.params[j] + "` has one choice there, but " +
                                               trial + " sets it to " + v->dump() + " and trial " +
                                               std::to_string(it->second.second) + " to " + it->second.first.dump());
        }
    }
    std::vector<const std::map<std::string, double>*> changes;
    bool predictable = true;
    for (const auto& t : prior.terms) {
      const auto key = prediction_choice_key(t, params);
      const auto c = key ? t.change.find(*key) : t.change.end();
      if (c != t.change.end()) {
        changes.push_back(&c->second);
        continue;
      }
      if (prior.exhaustive)
        throw Error(ErrorKind::Config, prior.where + " has no choice `" + key.value_or("?") + "` for layer `" +
                                           t.name + "` (" + trial + ")");
      predictable = false;
      break;
    }
    if (!predictable) {
      r.unpredictable.push_back(number);
      continue;
    }
    for (auto& m : r.metrics) {
      const auto measured = pred_metric_of(*tp, m.metric);
      if (!measured) continue;
      double predicted = m.reference;
      bool known = true;
      for (const auto* c : changes) {
        const auto it = c->find(m.metric);
        if (it == c->end()) known = false;
        else predicted += it->second;
      }
      if (!known) continue;
      m.trials.push_back(number);
      m.predicted.push_back(predicted);
      m.measured.push_back(*measured);
    }
  }
  for (auto& m : r.metrics) m.steps = pred_steps(m);
  return r;
}

std::optional<PredictionReport> run_sensitivity_prediction(const std::string& run_dir, const json& trials,
                                                           const json& best) {
  const auto table_file = std::filesystem::path(run_dir) / "sensitivity.json";
  if (std::filesystem::exists(table_file)) {
    const auto path = table_file.string();
    return predict_trials(prior_from_table(read_sensitivity_file(path), path), trials);
  }
  const bool sampler = best.is_object() && best.value("provenance", json::object()).is_object() &&
                       best.at("provenance").value("sampler", std::string()) == "sensitivity";
  if (!sampler) return std::nullopt;
  const auto prior = prior_from_pass(trials);
  if (!prior) return std::nullopt;
  return predict_trials(*prior, trials);
}

json prediction_to_json(const PredictionReport& r) {
  json metrics = json::object();
  for (const auto& m : r.metrics) {
    json steps = json::array();
    for (const auto& s : m.steps)
      steps.push_back({{"k", s.k}, {"trial", s.trial}, {"spearman", pred_number(s.spearman)},
                       {"mean_abs_error", pred_number(s.mean_abs_error)}, {"mean_error", pred_number(s.mean_error)}});
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const PredictionStep last = m.steps.empty() ? PredictionStep{0, -1, nan, nan, nan} : m.steps.back();
    metrics[m.metric] = {{"reference", m.reference},
                         {"trials", m.trials},
                         {"predicted", m.predicted},
                         {"measured", m.measured},
                         {"spearman", pred_number(last.spearman)},
                         {"mean_abs_error", pred_number(last.mean_abs_error)},
                         {"mean_error", pred_number(last.mean_error)},
                         {"steps", steps}};
  }
  return {{"source", r.source},
          {"description", r.description},
          {"model", "prior: the table alone, additive, not refitted on the trials"},
          {"table_trials", r.table_trials},
          {"unpredictable", r.unpredictable},
          {"metrics", metrics}};
}

}  // namespace qdse::pipeline
