// BruteForceSampler: every configuration of a finite space exactly once, then nullopt.
//
// Order is an odometer whose FIRST param is the outermost (slowest-changing) loop, i.e.
// increasing config_index(space, params): consecutive trials share the longest possible
// prefix, so memoised outputs of the first layers are reused most. Configurations that
// already appear among the trials (any state: resumed studies, other workers) are
// skipped. Cost: O(1) amortised per ask; it ingests only trials appended since the last
// call and rescans everything only if the history it is shown is not an extension of the
// previous one. A float param is an error (the space must be finite).
// Thread-safety: not thread-safe; see sampler.hpp. Two workers with their own
// BruteForceSampler over one storage may both hand out a cell between ask and
// create_trial; the duplicate is harmless but wasted.
#pragma once

#include <cstdint>
#include <unordered_set>

#include "qdse/search/sampler.hpp"

namespace qdse::search {

class BruteForceSampler final : public Sampler {
 public:
  std::string name() const override { return "bruteforce"; }
  std::optional<ParamVector> ask(const SearchSpace& space, const std::vector<Direction>& directions,
                                 const std::vector<FrozenTrial>& trials) override;

 private:
  void reset(const SearchSpace& space);
  void ingest(const SearchSpace& space, const std::vector<FrozenTrial>& trials);

  std::uint64_t size_ = 0;
  std::uint64_t cursor_ = 0;  // every index below it is seen
  std::unordered_set<std::uint64_t> seen_;
  std::size_t n_ingested_ = 0;       // trials[0, n_ingested_) are in seen_
  int last_ingested_number_ = -1;    // number of trials[n_ingested_-1], to detect a new history
  std::string space_signature_;      // to_string(space) the state was built for
};

}  // namespace qdse::search
