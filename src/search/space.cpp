#include "qdse/search/space.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <sstream>

#include "qdse/core/error.hpp"

namespace qdse::search {
namespace {

// Beyond this many configurations sample_unseen will not enumerate the space.
constexpr std::uint64_t kMaxEnumeration = 50'000'000;
// Rejection draws before sample_unseen falls back on enumeration.
constexpr int kRejectionTries = 64;

std::uint64_t finite_size_or_throw(const SearchSpace& space, std::string_view where) {
  auto n = space.size();
  if (!n) {
    throw Error(ErrorKind::InvalidArgument,
                std::string(where) + ": the space must be finite (categorical/int params only, < 2^64 configurations)");
  }
  return *n;
}

}  // namespace

std::size_t ParamVectorHash::operator()(const ParamVector& params) const noexcept {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (double v : params) {
    // +0.0 and -0.0 compare equal, so they must hash equal.
    const double canonical = v == 0.0 ? 0.0 : v;
    h ^= std::bit_cast<std::uint64_t>(canonical);
    h *= 0x100000001b3ULL;
    h ^= h >> 29;
  }
  return static_cast<std::size_t>(h);
}

SearchSpace::SearchSpace(std::vector<std::pair<std::string, Distribution>> params) {
  for (auto& [name, dist] : params) add(std::move(name), std::move(dist));
}

SearchSpace& SearchSpace::add(std::string name, Distribution dist) {
  if (name.empty()) throw Error(ErrorKind::InvalidArgument, "SearchSpace::add: a param name must not be empty");
  for (const auto& n : names_)
    if (n == name) throw Error(ErrorKind::InvalidArgument, "SearchSpace::add: duplicate param name `" + name + "`");
  validate(dist, name);
  names_.push_back(std::move(name));
  dists_.push_back(std::move(dist));
  return *this;
}

std::size_t SearchSpace::index_of(std::string_view name) const {
  for (std::size_t i = 0; i < names_.size(); ++i)
    if (names_[i] == name) return i;
  std::string known;
  for (const auto& n : names_) known += (known.empty() ? "" : ", ") + n;
  throw Error(ErrorKind::InvalidArgument,
              "unknown param `" + std::string(name) + "`; the space has: " + (known.empty() ? "(none)" : known));
}

std::optional<std::uint64_t> SearchSpace::size() const {
  std::uint64_t total = 1;
  for (const auto& d : dists_) {
    auto n = count_values(d);
    if (!n) return std::nullopt;
    if (*n != 0 && total > UINT64_MAX / *n) return std::nullopt;
    total *= *n;
  }
  return total;
}

bool SearchSpace::is_finite() const {
  for (const auto& d : dists_)
    if (std::holds_alternative<FloatDistribution>(d)) return false;
  return true;
}

bool is_valid(const SearchSpace& space, const ParamVector& params) {
  if (params.size() != space.n_params()) return false;
  for (std::size_t i = 0; i < params.size(); ++i)
    if (!contains(space.distribution(i), params[i])) return false;
  return true;
}

void check_valid(const SearchSpace& space, const ParamVector& params, std::string_view context) {
  if (params.size() != space.n_params()) {
    throw Error(ErrorKind::InvalidArgument, std::string(context) + ": a ParamVector needs one value per param (" +
                                                std::to_string(space.n_params()) + "), got " +
                                                std::to_string(params.size()));
  }
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (!contains(space.distribution(i), params[i])) {
      std::ostringstream v;
      v << params[i];
      throw Error(ErrorKind::InvalidArgument, std::string(context) + ": param `" + space.name(i) + "` must be in " +
                                                  to_string(space.distribution(i)) + ", got " + v.str());
    }
  }
}

std::string to_string(const SearchSpace& space, const ParamVector& params) {
  std::string out;
  for (std::size_t i = 0; i < params.size() && i < space.n_params(); ++i) {
    if (i) out += ", ";
    out += space.name(i) + "=" + format_value(space.distribution(i), params[i]);
  }
  return out;
}

std::string to_string(const SearchSpace& space) {
  std::string out;
  for (std::size_t i = 0; i < space.n_params(); ++i)
    out += space.name(i) + ": " + to_string(space.distribution(i)) + "\n";
  return out;
}

ParamVector config_at(const SearchSpace& space, std::uint64_t index) {
  const std::uint64_t n = finite_size_or_throw(space, "config_at");
  if (index >= n) {
    throw Error(ErrorKind::InvalidArgument,
                "config_at: index must be < " + std::to_string(n) + ", got " + std::to_string(index));
  }
  ParamVector params(space.n_params());
  for (std::size_t i = space.n_params(); i-- > 0;) {
    const std::uint64_t radix = *count_values(space.distribution(i));
    params[i] = value_at(space.distribution(i), index % radix);
    index /= radix;
  }
  return params;
}

std::uint64_t config_index(const SearchSpace& space, const ParamVector& params) {
  finite_size_or_throw(space, "config_index");
  check_valid(space, params, "config_index");
  std::uint64_t index = 0;
  for (std::size_t i = 0; i < space.n_params(); ++i)
    index = index * *count_values(space.distribution(i)) + position_of(space.distribution(i), params[i]);
  return index;
}

ParamVector sample_uniform(const SearchSpace& space, Rng& rng) {
  ParamVector params(space.n_params());
  for (std::size_t i = 0; i < space.n_params(); ++i) {
    const auto& d = space.distribution(i);
    if (const auto* f = std::get_if<FloatDistribution>(&d)) {
      if (f->log) {
        params[i] = std::exp(uniform_real(rng, std::log(f->low), std::log(f->high)));
      } else {
        params[i] = uniform_real(rng, f->low, f->high);
      }
      params[i] = std::clamp(params[i], f->low, f->high);  // exp(log(x)) may round outside
    } else {
      params[i] = value_at(d, uniform_index(rng, *count_values(d)));
    }
  }
  return params;
}

std::optional<ParamVector> sample_unseen(const SearchSpace& space, const ParamSet& seen, Rng& rng) {
  const auto n = space.size();
  if (!n) return std::nullopt;
  for (int t = 0; t < kRejectionTries; ++t) {
    ParamVector p = config_at(space, uniform_index(rng, *n));
    if (!seen.contains(p)) return p;
  }
  // Almost everything is seen: count the unseen cells and pick one uniformly.
  if (*n > kMaxEnumeration) return std::nullopt;
  std::vector<std::uint64_t> unseen;
  for (std::uint64_t i = 0; i < *n; ++i)
    if (!seen.contains(config_at(space, i))) unseen.push_back(i);
  if (unseen.empty()) return std::nullopt;
  return config_at(space, unseen[uniform_index(rng, unseen.size())]);
}

}  // namespace qdse::search
