// summarize_runs(): curves and summaries of the runs of a strategy comparison; see
// include/qdse/report/compare.hpp.
#include "qdse/report/compare.hpp"

#include <algorithm>
#include <functional>
#include <cmath>
#include <limits>

#include "qdse/core/error.hpp"
#include "qdse/search/pareto.hpp"
#include "qdse/search/sampler_kind.hpp"

namespace qdse::report {
namespace {

using search::Direction;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

bool usable(const search::FrozenTrial& t, std::size_t n_values) {
  return t.state == search::TrialState::Complete && t.values.size() == n_values;
}

// Median with +inf allowed (a run that never reached); even counts average the middle two.
double median(std::vector<double> v) {
  if (v.empty()) return kNaN;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// Curve of one run: best feasible objective (or feasible-front hypervolume) after each trial.
std::vector<double> run_curve(const RawRun& run, const std::vector<Direction>& dirs,
                              const std::vector<double>& reference) {
  std::vector<double> curve;
  curve.reserve(run.trials.size());
  // Before the first feasible trial: NaN for one objective, hypervolume 0 for several.
  double cur = dirs.size() == 1 ? kNaN : 0.0;
  // Evaluations before the first trial (a warm start's sensitivity pass) count first.
  curve.assign(static_cast<std::size_t>(std::max(0, run.pass_evaluations)), cur);
  search::PointList front_losses;
  for (const auto& t : run.trials) {
    if (usable(t, dirs.size()) && search::is_feasible(t)) {
      if (dirs.size() == 1) {
        const double v = t.values[0];
        if (std::isfinite(v) && (!std::isfinite(cur) || (dirs[0] == Direction::Maximize ? v > cur : v < cur)))
          cur = v;
      } else {
        front_losses.push_back(search::to_losses(t.values, dirs));
        cur = search::hypervolume_of_losses(front_losses, reference);
      }
    }
    curve.push_back(cur);
  }
  return curve;
}

std::optional<int> first_reaching(const std::vector<double>& curve, const std::function<bool(double)>& ok) {
  for (std::size_t k = 0; k < curve.size(); ++k)
    if (std::isfinite(curve[k]) && ok(curve[k])) return static_cast<int>(k + 1);
  return std::nullopt;
}

}  // namespace

CompareResult summarize_runs(const std::vector<RawRun>& runs, const std::vector<Direction>& dirs, double tolerance,
                             bool optimum_from_bruteforce, const std::vector<double>& hv_reference) {
  CompareResult r;
  r.directions = dirs;
  r.multi_objective = dirs.size() > 1;
  r.measure = r.multi_objective ? "hypervolume" : "best objective";
  r.tolerance = tolerance;
  if (r.multi_objective) {
    search::PointList all;
    for (const auto& run : runs)
      for (const auto& t : run.trials)
        if (usable(t, dirs.size())) all.push_back(search::to_losses(t.values, dirs));
    if (!hv_reference.empty()) {
      if (hv_reference.size() != dirs.size())
        throw Error(ErrorKind::Config, "compare: the hypervolume reference has " + std::to_string(hv_reference.size()) +
                                           " values, the objective " + std::to_string(dirs.size()));
      r.hv_reference = search::to_losses(hv_reference, dirs);
    } else if (!all.empty()) {
      r.hv_reference = search::nadir_reference(all);
    }
  }
  // Higher is better for hypervolume; for one objective it follows the direction.
  const bool maximize = r.multi_objective || dirs[0] == Direction::Maximize;
  auto better_or_equal = [&](double a, double b) { return maximize ? a >= b : a <= b; };
  // A run with no feasible trial yet counts as the worst value in medians (so the
  // median curve never gets worse); a median that is still "worst" is shown as NaN.
  const double worst = maximize ? -kInf : kInf;
  auto finite_or_nan = [](double v) { return std::isfinite(v) ? v : kNaN; };

  for (const auto& run : runs) {
    CompareRun c;
    c.strategy = run.strategy;
    c.seed = run.seed;
    c.curve = run_curve(run, dirs, r.hv_reference);
    c.final_value = c.curve.empty() ? kNaN : c.curve.back();
    c.seconds = run.seconds;
    c.sampler_seconds = run.sampler_seconds;
    c.cached = run.cached;
    r.total_trials += static_cast<int>(run.trials.size());
    r.distinct_configs += static_cast<int>(run.trials.size()) - run.cached;
    r.runs.push_back(std::move(c));
  }

  // The optimum: the brute-force run's final value when it covered the space, else the
  // best final value of any run.
  for (const auto& c : r.runs) {
    const auto kind = search::find_sampler_kind(c.strategy);  // the exhaustive run (sampler_kind.hpp)
    const bool candidate = optimum_from_bruteforce ? kind && search::info_of(*kind).exhaustive : true;
    if (!candidate || !std::isfinite(c.final_value)) continue;
    if (!r.optimum || !better_or_equal(*r.optimum, c.final_value)) r.optimum = c.final_value;
  }
  r.optimum_source = optimum_from_bruteforce ? "bruteforce" : "best of all runs";
  if (r.optimum) {
    const double opt = *r.optimum;
    // Exact ties up to rounding (the same configuration gives the same value).
    const double eps = 1e-12 * std::max(1.0, std::abs(opt));
    const double tol = r.multi_objective ? tolerance * std::abs(opt) : tolerance;
    for (auto& c : r.runs) {
      c.to_optimum = first_reaching(c.curve, [&](double v) { return maximize ? v >= opt - eps : v <= opt + eps; });
      c.to_tolerance =
          first_reaching(c.curve, [&](double v) { return maximize ? v >= opt - tol - eps : v <= opt + tol + eps; });
    }
  }

  // Per strategy, in the order of first appearance.
  std::vector<std::string> order;
  for (const auto& c : r.runs)
    if (std::find(order.begin(), order.end(), c.strategy) == order.end()) order.push_back(c.strategy);
  for (const auto& name : order) {
    StrategySummary s;
    s.strategy = name;
    std::vector<const CompareRun*> mine;
    for (const auto& c : r.runs)
      if (c.strategy == name) mine.push_back(&c);
    s.runs = static_cast<int>(mine.size());
    for (const auto* c : mine) s.trials_per_run = std::max<int>(s.trials_per_run, static_cast<int>(c->curve.size()));
    for (int k = 0; k < s.trials_per_run; ++k) {
      std::vector<double> vals;
      int within = 0;
      for (const auto* c : mine) {
        // A run that stopped early (space exhausted) keeps its final value.
        const double v = c->curve.empty() ? kNaN : c->curve[std::min<std::size_t>(k, c->curve.size() - 1)];
        vals.push_back(std::isfinite(v) ? v : worst);
        if (c->to_tolerance && *c->to_tolerance <= k + 1) ++within;
      }
      s.median.push_back(finite_or_nan(median(vals)));
      s.min.push_back(finite_or_nan(*std::min_element(vals.begin(), vals.end())));
      s.max.push_back(finite_or_nan(*std::max_element(vals.begin(), vals.end())));
      s.within_tolerance.push_back(s.runs ? static_cast<double>(within) / s.runs : 0.0);
    }
    std::vector<double> finals, to_opt, to_tol;
    for (const auto* c : mine) {
      finals.push_back(std::isfinite(c->final_value) ? c->final_value : worst);
      to_opt.push_back(c->to_optimum ? *c->to_optimum : kInf);
      to_tol.push_back(c->to_tolerance ? *c->to_tolerance : kInf);
      s.reached_optimum += c->to_optimum ? 1 : 0;
      s.reached_tolerance += c->to_tolerance ? 1 : 0;
      s.sampler_seconds += c->sampler_seconds / s.runs;
      s.seconds += c->seconds / s.runs;
    }
    s.final_median = finite_or_nan(median(finals));
    s.final_min = finite_or_nan(*std::min_element(finals.begin(), finals.end()));
    s.final_max = finite_or_nan(*std::max_element(finals.begin(), finals.end()));
    if (r.optimum) {
      const double m1 = median(to_opt), m2 = median(to_tol);
      if (std::isfinite(m1)) s.median_to_optimum = m1;
      if (std::isfinite(m2)) s.median_to_tolerance = m2;
    }
    r.summaries.push_back(std::move(s));
  }
  return r;
}

CompareResult summarize_compare(const pipeline::CompareRuns& runs, const std::vector<Direction>& directions,
                                double tolerance) {
  CompareResult result = summarize_runs(runs.runs, directions, tolerance, runs.bruteforce, runs.hv_reference);
  result.notes = runs.notes;
  result.space_size = runs.space_size;
  result.seconds = runs.seconds;
  return result;
}

}  // namespace qdse::report
