// The rule every Storage's finish_trial checks before it touches a trial (in-memory,
// SQLite, PostgreSQL alike): a trial is finished as complete, failed or pruned, never
// as running.
#pragma once

#include <string>

#include "qdse/core/error.hpp"
#include "qdse/search/trial.hpp"

namespace qdse::search {

// Throws Error(InvalidArgument) naming trial `number` when `state` is Running.
inline void require_finishing_state(int number, TrialState state) {
  if (state != TrialState::Running) return;
  throw Error(ErrorKind::InvalidArgument,
              "finish_trial: the new state must be complete, failed or pruned, got running (trial " +
                  std::to_string(number) + ")");
}

}  // namespace qdse::search
