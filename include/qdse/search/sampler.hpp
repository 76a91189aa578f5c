// Sampler: proposes the next configuration of a study from the trials so far (ask/tell
// design as Optuna). A sampler never evaluates anything.
//
// Contract: ask() returns a ParamVector valid for the space, or nullopt when the sampler
// has nothing left to propose (BruteForceSampler once every configuration was handed
// out). `trials` is the study's full history in number order, in every state: Running
// trials are included so a sampler can avoid handing the same configuration twice, and
// Failed ones must be tolerated. Given the same seed and the same sequence of calls, a
// sampler proposes the same configurations.
// Thread-safety: samplers keep state (RNG, caches) and are NOT thread-safe; Study
// serialises calls to its sampler.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "qdse/search/space.hpp"
#include "qdse/search/trial.hpp"

namespace qdse::search {

class Sampler {
 public:
  virtual ~Sampler() = default;
  virtual std::string name() const = 0;
  virtual std::optional<ParamVector> ask(const SearchSpace& space,
                                         const std::vector<Direction>& directions,
                                         const std::vector<FrozenTrial>& trials) = 0;
};

// Configurations of every trial in any state, for samplers that avoid repeats.
ParamSet collect_seen(const std::vector<FrozenTrial>& trials);

// collect_seen kept up to date incrementally: histories are append-only in practice, so
// update() hashes only the trials added since the previous call (O(new trials)); a
// history that is not an extension of the previous one is rescanned from scratch.
class SeenTracker {
 public:
  const ParamSet& update(const std::vector<FrozenTrial>& trials);

 private:
  ParamSet seen_;
  std::size_t n_ingested_ = 0;
  int last_number_ = -1;
};

}  // namespace qdse::search
