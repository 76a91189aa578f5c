// Parameter distributions: the domain of one searched parameter.
//
// Vocabulary follows Optuna. A param value is always carried as a double ("internal
// representation"): the choice index for a categorical, the integer itself for an int,
// the number for a float (never its log). Distributions are plain immutable values;
// thread-safe to read from any number of threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace qdse::search {

// A finite set of choices. `choices` are the display strings; `values`, when not empty,
// holds one number per choice (e.g. bit widths 2,3,4,...). `ordered` says the choices
// are numbers whose order means something, which samplers may exploit
// (TpeOptions::ordered_categoricals).
struct CategoricalDistribution {
  std::vector<std::string> choices;
  std::vector<double> values;
  bool ordered = false;
};

// Integers low, low+step, ..., high (high - low must be a multiple of step).
struct IntDistribution {
  std::int64_t low = 0;
  std::int64_t high = 0;
  std::int64_t step = 1;
};

// Reals in [low, high]; `log` samples uniformly in log space (needs low > 0).
struct FloatDistribution {
  double low = 0.0;
  double high = 1.0;
  bool log = false;
};

using Distribution = std::variant<CategoricalDistribution, IntDistribution, FloatDistribution>;

// Builds an ordered categorical from numbers; the display strings are the numbers.
CategoricalDistribution make_ordered_categorical(const std::vector<double>& values);

// Throws qdse::Error(InvalidArgument) naming `param` if the distribution is malformed
// (no choices, low > high, step < 1, log with low <= 0, values size mismatch, ...).
void validate(const Distribution& dist, std::string_view param);

// Number of distinct values; nullopt for a float distribution (uncountable).
std::optional<std::uint64_t> count_values(const Distribution& dist);

// Whether `value` (internal representation) lies in the distribution's domain.
bool contains(const Distribution& dist, double value);

// The value's i-th grid point for finite distributions (categorical index i, or
// low + i*step); i < count_values(dist).
double value_at(const Distribution& dist, std::uint64_t i);

// Inverse of value_at for a value that `contains` accepts.
std::uint64_t position_of(const Distribution& dist, double value);

// Human-readable value: the choice string, the integer, or the float.
std::string format_value(const Distribution& dist, double value);

// "categorical[2, 4, 8] ordered", "int[0, 10] step 2", "float[1e-05, 0.1] log".
std::string to_string(const Distribution& dist);

}  // namespace qdse::search
