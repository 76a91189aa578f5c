// run_compare(): the runs of a strategy comparison on one session; see
// include/qdse/pipeline/compare_runs.hpp.
#include "qdse/pipeline/compare_runs.hpp"

#include <algorithm>
#include <chrono>
#include <memory>

#include "qdse/core/error.hpp"
#include "qdse/search/sampler_factory.hpp"
#include "qdse/search/storage.hpp"
#include "qdse/search/study.hpp"

namespace qdse::pipeline {

std::string canonical_strategy(const std::string& name) {
  return std::string(search::name_of(search::parse_sampler_kind(name)));  // throws, listing the valid names
}

void check_hv_reference(const std::vector<double>& reference, std::size_t n_objectives) {
  if (reference.empty()) return;
  if (n_objectives < 2)
    throw Error(ErrorKind::Config, "compare: --hv-reference needs two or more objectives (the config has one; "
                                   "set sum_scaled_metrics = false)");
  if (reference.size() != n_objectives)
    throw Error(ErrorKind::Config, "compare: --hv-reference needs one value per objective (" +
                                       std::to_string(n_objectives) + "), got " + std::to_string(reference.size()));
}

CompareRuns run_compare(SearchSession& session, const CompareOptions& options, const std::atomic<bool>* stop,
                        const std::function<void(int, int)>& on_trial) {
  const StrategyConfig& base = session.strategy();
  if (options.strategies.empty()) throw Error(ErrorKind::Config, "compare: no strategy given (--strategies)");
  if (options.repeats < 1)
    throw Error(ErrorKind::Config, "compare: --repeats must be at least 1, got " + std::to_string(options.repeats));
  if (!(options.tolerance >= 0))
    throw Error(ErrorKind::Config, "compare: --tolerance must be >= 0, got " + std::to_string(options.tolerance));
  const int n_trials = options.n_trials > 0 ? options.n_trials : base.n_trials;
  if (n_trials < 1) throw Error(ErrorKind::Config, "compare: trials per run must be at least 1");
  check_hv_reference(options.hv_reference, base.directions().size());
  std::vector<search::SamplerKind> kinds;
  for (const auto& raw : options.strategies) {
    const auto kind = search::parse_sampler_kind(raw);
    if (std::find(kinds.begin(), kinds.end(), kind) != kinds.end())
      throw Error(ErrorKind::Config, "compare: strategy `" + raw + "` is listed twice");
    kinds.push_back(kind);
  }
  // An exhaustive sampler (brute force) runs once over every cell; the rest `repeats` times.
  const auto exhaustive = [](search::SamplerKind k) { return search::info_of(k).exhaustive; };
  CompareRuns out;
  const auto size = session.space().space().size();
  out.space_size = size;
  out.hv_reference = options.hv_reference;
  if (std::any_of(kinds.begin(), kinds.end(), exhaustive)) {
    if (!size || *size > options.max_bruteforce) {
      out.notes.push_back("brute force skipped: the space has " +
                          (size ? std::to_string(*size) : std::string("more than 2^64")) + " configurations (limit " +
                          std::to_string(options.max_bruteforce) + "); the optimum is the best value any run found");
      kinds.erase(std::remove_if(kinds.begin(), kinds.end(), exhaustive), kinds.end());
    } else {
      out.bruteforce = true;
    }
  }
  if (kinds.empty()) throw Error(ErrorKind::Config, "compare: nothing to run (" + out.notes.front() + ")");

  // warm_start: the sensitivity pass behind the enqueued front counts before each run's trials.
  const auto& warm = base.sampler_options.warm_start;
  auto pass_of = [&](search::SamplerKind k) {
    const bool on = (k == search::SamplerKind::Tpe && warm.tpe) || (k == search::SamplerKind::NsgaII && warm.nsgaii);
    return on ? warm.pass_evaluations : 0;
  };
  for (auto k : kinds)
    if (pass_of(k) > 0)
      out.notes.push_back(std::string(search::name_of(k)) + ": warm_start's front comes from a sensitivity pass of " +
                          std::to_string(pass_of(k)) + " evaluations (" +
                          (warm.table.empty() ? std::string("measured at start") : "from `" + warm.table + "`") +
                          "), counted before each run's trials");
  int total = 0;
  for (auto k : kinds) total += exhaustive(k) ? static_cast<int>(*size) : options.repeats * n_trials;
  const auto t0 = std::chrono::steady_clock::now();
  int done = 0;
  for (auto kind : kinds) {
    const std::string name(search::name_of(kind));
    const int repeats = exhaustive(kind) ? 1 : options.repeats;
    for (int r = 0; r < repeats; ++r) {
      StrategyConfig s = base;
      s.sampler = name;
      s.n_trials = exhaustive(kind) ? static_cast<int>(*size) : n_trials;
      s.timeout_seconds = 0;
      s.sampler_options.seed = static_cast<std::uint64_t>(r);
      search::Study study(session.space().space(), s.directions(), std::make_shared<search::InMemoryStorage>(),
                          search::make_sampler(kind, s.sampler_options), name + "-" + std::to_string(r));
      const int before = done;
      const auto summary = session.run_on(study, s, stop, [&](const SearchProgress& p) {
        done = before + p.finished;
        if (on_trial) on_trial(done, total);
      });
      if (summary.interrupted) throw Error(ErrorKind::Interrupted, "compare interrupted during " + name);
      RawRun raw;
      raw.strategy = name;
      raw.seed = static_cast<std::uint64_t>(r);
      raw.trials = study.trials();
      raw.seconds = summary.seconds;
      raw.sampler_seconds = summary.sampler_seconds;
      raw.cached = summary.cached;
      raw.pass_evaluations = pass_of(kind);
      out.runs.push_back(std::move(raw));
    }
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

}  // namespace qdse::pipeline
