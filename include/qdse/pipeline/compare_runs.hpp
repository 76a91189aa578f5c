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
  // Hypervolume reference point in the objectives' own units (e.g. {0, 32} for accuracy
  // up, average bit width down); empty = report/compare.hpp's nadir of all trials.
  std::vector<double> hv_reference;
};

// One finished run: its trials in number order.
struct RawRun {
  std::string strategy;
  std::uint64_t seed = 0;
  std::vector<search::FrozenTrial> trials;
  double seconds = 0;
  double sampler_seconds = 0;
  int cached = 0;  // trials answered from the shared result cache
  // Evaluations spent before the first trial that the run's proposals depend on: the
  // sensitivity pass of a warm-started tpe / nsgaii (WarmStartOptions::pass_evaluations).
  // report/compare.hpp counts them before the trials.
  int pass_evaluations = 0;
};

struct CompareRuns {
  std::vector<RawRun> runs;
  bool bruteforce = false;           // a brute-force run covered the whole space
  std::vector<std::string> notes;    // e.g. why brute force was skipped
  std::optional<std::uint64_t> space_size;
  double seconds = 0;
  std::vector<double> hv_reference;  // CompareOptions::hv_reference
};

// "BruteForce" -> "bruteforce", "nsga2" -> "nsgaii"; throws qdse::Error(Config) for an
// unknown name (listing the valid ones).
std::string canonical_strategy(const std::string& name);

// Throws qdse::Error(Config) unless `reference` is empty or has one value per objective
// of a multi-objective study (run_compare checks it too; the CLI checks it before it
// writes anything).
void check_hv_reference(const std::vector<double>& reference, std::size_t n_objectives);

// Runs every strategy. `on_trial(done, total)` after each trial. Ctrl-C (`stop`)
// throws qdse::Error(Interrupted). Bad options throw qdse::Error(Config).
CompareRuns run_compare(SearchSession& session, const CompareOptions& options, const std::atomic<bool>* stop = nullptr,
                        const std::function<void(int, int)>& on_trial = {});

}  // namespace qdse::pipeline
