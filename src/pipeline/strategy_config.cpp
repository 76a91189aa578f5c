// StrategyConfig's objectives and constraints; the table itself is read by
// parse_search_config (search_config.cpp).
#include "qdse/pipeline/strategy_config.hpp"

#include "qdse/core/error.hpp"

namespace qdse::pipeline {

double ConstraintSpec::violation(double value, double float_value) const {
  const double b = relative ? bound * float_value : bound;
  return at_least ? b - value : value - b;
}

std::vector<search::Direction> StrategyConfig::directions() const {
  if (sum_scaled_metrics) return {direction};
  std::vector<search::Direction> out;
  for (const auto& m : metrics) out.push_back(m.direction);
  return out;
}

std::vector<double> StrategyConfig::objective_values(const std::map<std::string, double>& values) const {
  std::vector<double> out;
  double sum = 0;
  for (const auto& m : metrics) {
    auto it = values.find(m.name);
    QDSE_ASSERT(it != values.end(), "metric " + m.name + " missing from the evaluator's output");
    sum += m.scale * it->second;
    out.push_back(m.scale * it->second);
  }
  if (sum_scaled_metrics) return {sum};
  return out;
}

}  // namespace qdse::pipeline
