#include "qdse/search/trial.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>

#include "qdse/core/error.hpp"

namespace qdse::search {

std::string_view to_string(TrialState state) {
  switch (state) {
    case TrialState::Running: return "running";
    case TrialState::Complete: return "complete";
    case TrialState::Failed: return "failed";
    case TrialState::Pruned: return "pruned";
  }
  return "unknown";
}

std::string_view to_string(Direction direction) {
  return direction == Direction::Minimize ? "minimize" : "maximize";
}

Direction parse_direction(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower == "minimize") return Direction::Minimize;
  if (lower == "maximize") return Direction::Maximize;
  throw Error(ErrorKind::InvalidArgument,
              "a direction must be `minimize` or `maximize`, got `" + std::string(text) + "`");
}

bool is_finished(TrialState state) { return state != TrialState::Running; }

double constraint_violation(const FrozenTrial& trial) {
  double total = 0.0;
  for (double c : trial.constraints) total += c > 0.0 ? c : 0.0;
  return total;
}

bool is_feasible(const FrozenTrial& trial) { return constraint_violation(trial) == 0.0; }

std::vector<double> to_losses(const std::vector<double>& values, const std::vector<Direction>& directions) {
  std::vector<double> losses(values.size());
  for (std::size_t i = 0; i < values.size(); ++i)
    losses[i] = i < directions.size() && directions[i] == Direction::Maximize ? -values[i] : values[i];
  return losses;
}

std::string iso8601_now() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t secs = std::chrono::system_clock::to_time_t(now);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&secs, &utc);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900, utc.tm_mon + 1,
                utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<int>(millis));
  return buf;
}

}  // namespace qdse::search
