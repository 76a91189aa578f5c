#include "qdse/search/distribution.hpp"

#include <cmath>
#include <sstream>

#include "qdse/core/error.hpp"

namespace qdse::search {
namespace {

[[noreturn]] void fail(std::string_view param, const std::string& what) {
  throw Error(ErrorKind::InvalidArgument, "param `" + std::string(param) + "`: " + what);
}

std::string number(double v) {
  std::ostringstream out;
  out.precision(10);
  out << v;
  return out.str();
}

}  // namespace

CategoricalDistribution make_ordered_categorical(const std::vector<double>& values) {
  CategoricalDistribution d;
  d.values = values;
  d.ordered = true;
  for (double v : values) d.choices.push_back(number(v));
  return d;
}

void validate(const Distribution& dist, std::string_view param) {
  if (const auto* c = std::get_if<CategoricalDistribution>(&dist)) {
    if (c->choices.empty()) fail(param, "a categorical distribution needs at least one choice, got 0");
    if (!c->values.empty() && c->values.size() != c->choices.size())
      fail(param, "categorical values must be empty or one per choice, got " + std::to_string(c->values.size()) +
                      " values for " + std::to_string(c->choices.size()) + " choices");
    if (c->ordered && c->values.empty())
      fail(param, "an ordered categorical needs numeric `values`, got none");
    for (double v : c->values)
      if (!std::isfinite(v)) fail(param, "categorical values must be finite, got " + number(v));
  } else if (const auto* i = std::get_if<IntDistribution>(&dist)) {
    if (i->step < 1) fail(param, "int step must be >= 1, got " + std::to_string(i->step));
    if (i->low > i->high)
      fail(param, "int low must be <= high, got [" + std::to_string(i->low) + ", " + std::to_string(i->high) + "]");
    if ((i->high - i->low) % i->step != 0)
      fail(param, "int high - low must be a multiple of step, got [" + std::to_string(i->low) + ", " +
                      std::to_string(i->high) + "] step " + std::to_string(i->step));
  } else {
    const auto& f = std::get<FloatDistribution>(dist);
    if (!std::isfinite(f.low) || !std::isfinite(f.high))
      fail(param, "float bounds must be finite, got [" + number(f.low) + ", " + number(f.high) + "]");
    if (f.low > f.high) fail(param, "float low must be <= high, got [" + number(f.low) + ", " + number(f.high) + "]");
    if (f.log && f.low <= 0.0) fail(param, "a log float needs low > 0, got " + number(f.low));
  }
}

std::optional<std::uint64_t> count_values(const Distribution& dist) {
  if (const auto* c = std::get_if<CategoricalDistribution>(&dist)) return c->choices.size();
  if (const auto* i = std::get_if<IntDistribution>(&dist))
    return static_cast<std::uint64_t>((i->high - i->low) / i->step) + 1;
  return std::nullopt;
}

bool contains(const Distribution& dist, double value) {
  if (!std::isfinite(value)) return false;
  if (const auto* c = std::get_if<CategoricalDistribution>(&dist))
    return value >= 0 && value < static_cast<double>(c->choices.size()) && value == std::floor(value);
  if (const auto* i = std::get_if<IntDistribution>(&dist)) {
    if (value < static_cast<double>(i->low) || value > static_cast<double>(i->high) || value != std::floor(value))
      return false;
    return (static_cast<std::int64_t>(value) - i->low) % i->step == 0;
  }
  const auto& f = std::get<FloatDistribution>(dist);
  return value >= f.low && value <= f.high;
}

double value_at(const Distribution& dist, std::uint64_t i) {
  if (std::holds_alternative<CategoricalDistribution>(dist)) return static_cast<double>(i);
  if (const auto* d = std::get_if<IntDistribution>(&dist))
    return static_cast<double>(d->low + static_cast<std::int64_t>(i) * d->step);
  throw Error(ErrorKind::InvalidArgument, "value_at: a float distribution has no grid");
}

std::uint64_t position_of(const Distribution& dist, double value) {
  if (std::holds_alternative<CategoricalDistribution>(dist)) return static_cast<std::uint64_t>(value);
  if (const auto* d = std::get_if<IntDistribution>(&dist))
    return static_cast<std::uint64_t>((static_cast<std::int64_t>(value) - d->low) / d->step);
  throw Error(ErrorKind::InvalidArgument, "position_of: a float distribution has no grid");
}

std::string format_value(const Distribution& dist, double value) {
  if (const auto* c = std::get_if<CategoricalDistribution>(&dist)) {
    if (contains(dist, value)) return c->choices[static_cast<std::size_t>(value)];
    return "<invalid index " + number(value) + ">";
  }
  if (std::holds_alternative<IntDistribution>(dist)) return std::to_string(static_cast<std::int64_t>(value));
  return number(value);
}

std::string to_string(const Distribution& dist) {
  std::ostringstream out;
  if (const auto* c = std::get_if<CategoricalDistribution>(&dist)) {
    out << "categorical[";
    for (std::size_t i = 0; i < c->choices.size(); ++i) out << (i ? ", " : "") << c->choices[i];
    out << "]" << (c->ordered ? " ordered" : "");
  } else if (const auto* i = std::get_if<IntDistribution>(&dist)) {
    out << "int[" << i->low << ", " << i->high << "]";
    if (i->step != 1) out << " step " << i->step;
  } else {
    const auto& f = std::get<FloatDistribution>(dist);
    out << "float[" << number(f.low) << ", " << number(f.high) << "]" << (f.log ? " log" : "");
  }
  return out.str();
}

}  // namespace qdse::search
