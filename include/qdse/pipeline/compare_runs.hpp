// The runs of a strategy comparison (`qdse compare`): several samplers, each run
// `repeats` times (seeds 0..R-1) on a session's search space, every run on its own
// in-memory Study and all of them sharing the session's first evaluator, so a
// configuration is evaluated once however many runs propose it. Brute force runs once
// (it is deterministic) and is skipped when the space has more than `max_bruteforce`
// configurations. report/compare.hpp turns the runs into curves and summaries.
// Thread-safety: run_compare runs on the calling thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "qdse/pipeline/search_session.hpp"
#include "qdse/search/trial.hpp"

namespace qdse::pipeline {

struct CompareOptions {
  std::vector<std::string> strategies = {"bruteforce", "random", "tpe", "nsgaii"};
  int repeats = 5;
  int n_trials = 0;          // trials per run (brute force: the whole space); 0 = the config's n_trials
  double tolerance = 0.005;  // see report/compare.hpp
  std::uint64_t max_bruteforce = 100000;
};

// One finished run: its trials in number order.
struct RawRun {
  std::string strategy;
  std::uint64_t seed = 0;
  std::vector<search::FrozenTrial> trials;
  double seconds = 0;
  double sampler_seconds = 0;
  int cached = 0;  // trials answered from the shared result cache
};

struct CompareRuns {
  std::vector<RawRun> runs;
  bool bruteforce = false;           // a brute-force run covered the whole space
  std::vector<std::string> notes;    // e.g. why brute force was skipped
  std::optional<std::uint64_t> space_size;
  double seconds = 0;
};

// "BruteForce" -> "bruteforce", "nsga2" -> "nsgaii"; throws qdse::Error(Config) for an
// unknown name (listing the valid ones).
std::string canonical_strategy(const std::string& name);

// Runs every strategy. `on_trial(done, total)` after each trial. Ctrl-C (`stop`)
// throws qdse::Error(Interrupted). Bad options throw qdse::Error(Config).
CompareRuns run_compare(SearchSession& session, const CompareOptions& options, const std::atomic<bool>* stop = nullptr,
                        const std::function<void(int, int)>& on_trial = {});

}  // namespace qdse::pipeline
