// A study with every kind of trial a qdse storage holds, for the journal interop and
// export tests: 4 params of three kinds (categorical numbers and strings, int, log
// float), two objectives, Complete / Failed (with a NaN value) / Pruned / Running
// trials, constraints (one infeasible), metrics (one NaN), and a stale trial failed
// and retried (`retry_of`).
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "qdse/search/storage.hpp"

namespace qdse::storage::testing {

inline const char* kMixedSpace =
    R"({"params": [{"name": "w", "choices": [2, 4, 8]}, {"name": "mode", "choices": ["fixed", "minifloat"]},)"
    R"( {"name": "n", "distribution": "int[0, 3]"}, {"name": "lr", "distribution": "float[0.001, 0.1] log"}]})";
inline const std::vector<search::Direction> kMixedDirections = {search::Direction::Maximize,
                                                                search::Direction::Minimize};

// Fills `s` (a fresh study of kMixedSpace and kMixedDirections) with 8 trials; the last
// one stays Running.
inline void fill_mixed_study(search::Storage& s) {
  using search::TrialState;
  auto finish = [&](search::ParamVector p, TrialState state, std::vector<double> values, std::vector<double> cons,
                    std::optional<int> retry_of = std::nullopt) {
    const int n = retry_of ? *s.try_create_trial(p, 0.01, "test", retry_of) : s.create_trial(p, 0.01, "test");
    search::TrialResult r;
    r.state = state;
    r.values = values;
    r.constraints = cons;
    r.metrics = {{"accuracy", values.empty() ? 0.0 : values[0]}, {"cache_hits", 3}};
    if (state == TrialState::Failed) r.metrics["loss"] = std::nan("");
    r.eval_seconds = 0.5;
    s.finish_trial(n, r);
  };
  finish({0, 0, 1, 0.01}, TrialState::Complete, {0.8, 4.0}, {-0.1});
  finish({2, 1, 3, 0.001}, TrialState::Complete, {0.9, 8.0}, {0.2});  // infeasible
  finish({1, 0, 0, 0.05}, TrialState::Failed, {std::nan("")}, {});
  finish({1, 1, 2, 0.1}, TrialState::Pruned, {}, {});
  finish({2, 0, 0, 0.002}, TrialState::Complete, {0.7, 2.0}, {-1.0});
  // A worker died holding trial 5: failed as stale (its claim released), retried as 6.
  const int stale = *s.try_create_trial({0, 0, 3, 0.004}, 0.0, "dead worker");
  s.fail_stale_trials(0.0);
  finish({0, 0, 3, 0.004}, TrialState::Complete, {0.75, 3.0}, {-0.5}, stale);
  *s.try_create_trial({0, 1, 1, 0.003}, 0.0, "still running");
}

}  // namespace qdse::storage::testing
