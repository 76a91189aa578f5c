// StudySummary: one line of `qdse studies` — a study of a storage and its trial counts.
// Value type; produced by list_studies (open_storage.hpp) and the back ends.
#pragma once

#include <string>
#include <vector>

#include "qdse/search/trial.hpp"

namespace qdse::storage {

struct StudySummary {
  std::string name;
  std::vector<search::Direction> directions;
  std::string space_json;    // as stored (canonical JSON of the caller's space description)
  std::string created_time;  // ISO-8601 UTC
  int n_running = 0;
  int n_complete = 0;
  int n_failed = 0;
  int n_pruned = 0;
  int n_trials() const { return n_running + n_complete + n_failed + n_pruned; }
};

}  // namespace qdse::storage
