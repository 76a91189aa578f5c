// Trials: one evaluated (or being evaluated) configuration of a study, as Optuna's
// FrozenTrial. Also the small predicates every sampler needs (feasibility, violation).
//
// FrozenTrial is a value snapshot: storages hand out copies, so readers never race with
// writers. Constraints follow Optuna: each value <= 0 means satisfied.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "qdse/search/space.hpp"

namespace qdse::search {

enum class TrialState { Running, Complete, Failed, Pruned };
enum class Direction { Minimize, Maximize };

std::string_view to_string(TrialState state);
std::string_view to_string(Direction direction);
// Parses "minimize"/"maximize" (case-insensitive); throws qdse::Error otherwise.
Direction parse_direction(std::string_view text);

struct FrozenTrial {
  int number = -1;
  TrialState state = TrialState::Running;
  ParamVector params;
  std::vector<double> values;       // one per direction; empty unless Complete
  std::vector<double> constraints;  // <= 0 feasible; empty = unconstrained
  std::map<std::string, double> metrics;
  double sample_seconds = 0.0;  // time the sampler took to propose params
  double eval_seconds = 0.0;    // time between ask and tell (or as told)
  std::string start_time;       // ISO-8601 UTC, set by the storage on create
  std::string end_time;         // ISO-8601 UTC, set on finish
  std::string worker;           // who ran it (host:pid or a user label)
};

// Everything tell() records about a finished trial.
struct TrialResult {
  TrialState state = TrialState::Complete;
  std::vector<double> values;
  std::vector<double> constraints;
  std::map<std::string, double> metrics;
  double eval_seconds = 0.0;
};

bool is_finished(TrialState state);

// Sum of positive constraint values (0 when feasible or unconstrained).
double constraint_violation(const FrozenTrial& trial);
bool is_feasible(const FrozenTrial& trial);

// Objective values turned into losses (maximised objectives negated) so that smaller
// is better everywhere; used by the samplers' internals.
std::vector<double> to_losses(const std::vector<double>& values, const std::vector<Direction>& directions);

// Current UTC time as "2024-05-01T12:34:56.789Z".
std::string iso8601_now();

}  // namespace qdse::search
