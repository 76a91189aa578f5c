// run_compare(): the runs of a strategy comparison on one session; see
// include/qdse/pipeline/compare_runs.hpp.
#include "qdse/pipeline/compare_runs.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <memory>

#include "qdse/core/error.hpp"
#include "qdse/search/sampler_factory.hpp"
#include "qdse/search/storage.hpp"
#include "qdse/search/study.hpp"

namespace qdse::pipeline {

std::string canonical_strategy(const std::string& name) {
  std::string s;
  for (char c : name)
    if (c != '_' && c != '-' && c != ' ') s += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (s == "nsga2") s = "nsgaii";
  search::make_sampler(s);  // throws qdse::Error listing the valid names
  return s;
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
  std::vector<std::string> names;
  for (const auto& raw : options.strategies) {
    const std::string n = canonical_strategy(raw);
    if (std::find(names.begin(), names.end(), n) != names.end())
      throw Error(ErrorKind::Config, "compare: strategy `" + raw + "` is listed twice");
    names.push_back(n);
  }
  CompareRuns out;
  const auto size = session.space().space().size();
  out.space_size = size;
  if (auto it = std::find(names.begin(), names.end(), "bruteforce"); it != names.end()) {
    if (!size || *size > options.max_bruteforce) {
      out.notes.push_back("brute force skipped: the space has " +
                          (size ? std::to_string(*size) : std::string("more than 2^64")) + " configurations (limit " +
                          std::to_string(options.max_bruteforce) + "); the optimum is the best value any run found");
      names.erase(it);
    } else {
      out.bruteforce = true;
    }
  }
  if (names.empty()) throw Error(ErrorKind::Config, "compare: nothing to run (" + out.notes.front() + ")");

  int total = 0;
  for (const auto& n : names) total += n == "bruteforce" ? static_cast<int>(*size) : options.repeats * n_trials;
  const auto t0 = std::chrono::steady_clock::now();
  int done = 0;
  for (const auto& name : names) {
    const int repeats = name == "bruteforce" ? 1 : options.repeats;
    for (int r = 0; r < repeats; ++r) {
      StrategyConfig s = base;
      s.sampler = name;
      s.n_trials = name == "bruteforce" ? static_cast<int>(*size) : n_trials;
      s.timeout_seconds = 0;
      s.sampler_options.seed = static_cast<std::uint64_t>(r);
      search::Study study(session.space().space(), s.directions(), std::make_shared<search::InMemoryStorage>(),
                          search::make_sampler(name, s.sampler_options), name + "-" + std::to_string(r));
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
      out.runs.push_back(std::move(raw));
    }
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

}  // namespace qdse::pipeline
