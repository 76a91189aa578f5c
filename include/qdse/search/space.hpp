// SearchSpace: the ordered list of named params a study searches, and ParamVector, one
// configuration of it (values aligned with the space order, internal representation).
//
// The order matters: BruteForceSampler walks the first param slowest, so callers put the
// first layers first to maximise reuse of memoised prefix outputs. Finite-space helpers
// map configurations to mixed-radix indices (first param = most significant digit).
// Ownership: SearchSpace is a value type. Thread-safety: const methods are safe to call
// concurrently; mutation (add) is not.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "qdse/search/distribution.hpp"
#include "qdse/search/random.hpp"

namespace qdse::search {

using ParamVector = std::vector<double>;

struct ParamVectorHash {
  std::size_t operator()(const ParamVector& params) const noexcept;
};
using ParamSet = std::unordered_set<ParamVector, ParamVectorHash>;

class SearchSpace {
 public:
  SearchSpace() = default;
  SearchSpace(std::vector<std::pair<std::string, Distribution>> params);

  // Appends a param; throws qdse::Error on a duplicate or empty name or a malformed
  // distribution.
  SearchSpace& add(std::string name, Distribution dist);

  std::size_t n_params() const { return names_.size(); }
  bool empty() const { return names_.empty(); }
  const std::string& name(std::size_t i) const { return names_[i]; }
  const Distribution& distribution(std::size_t i) const { return dists_[i]; }
  const std::vector<std::string>& names() const { return names_; }
  const std::vector<Distribution>& distributions() const { return dists_; }

  // Position of `name`; throws qdse::Error listing the known names if absent.
  std::size_t index_of(std::string_view name) const;

  // Number of configurations; nullopt when a float param makes it infinite or the
  // product overflows 64 bits.
  std::optional<std::uint64_t> size() const;

  // True when every param is categorical or int (size may still overflow).
  bool is_finite() const;

 private:
  std::vector<std::string> names_;
  std::vector<Distribution> dists_;
};

// Whether params has one valid value per param of the space.
bool is_valid(const SearchSpace& space, const ParamVector& params);

// Throws qdse::Error(InvalidArgument) saying which param is wrong and where (`context`).
void check_valid(const SearchSpace& space, const ParamVector& params, std::string_view context);

// "conv1=4, conv2=8, lr=0.001".
std::string to_string(const SearchSpace& space, const ParamVector& params);
// One param per line: "conv1: categorical[2, 4, 8]".
std::string to_string(const SearchSpace& space);

// Mixed-radix encoding of finite spaces, first param most significant. Both throw
// qdse::Error if the space is not finite or its size overflows.
ParamVector config_at(const SearchSpace& space, std::uint64_t index);
std::uint64_t config_index(const SearchSpace& space, const ParamVector& params);

// A uniformly random configuration (per-param uniform; log-uniform for log floats).
ParamVector sample_uniform(const SearchSpace& space, Rng& rng);

// A configuration drawn uniformly among those of a finite space that are not in `seen`;
// nullopt when every configuration is seen (or the space is infinite / too large to
// enumerate once rejection sampling keeps hitting seen ones).
std::optional<ParamVector> sample_unseen(const SearchSpace& space, const ParamSet& seen, Rng& rng);

}  // namespace qdse::search
