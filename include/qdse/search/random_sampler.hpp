// RandomSampler: independent uniform draws per param (log-uniform for log floats), the
// baseline every other sampler must beat. It may repeat configurations, as Optuna's.
// Thread-safety: not thread-safe (owns an RNG); see sampler.hpp.
#pragma once

#include <cstdint>

#include "qdse/search/random.hpp"
#include "qdse/search/sampler.hpp"

namespace qdse::search {

class RandomSampler final : public Sampler {
 public:
  explicit RandomSampler(std::uint64_t seed = 0) : rng_(seed) {}
  std::string name() const override { return "random"; }
  std::optional<ParamVector> ask(const SearchSpace& space, const std::vector<Direction>& directions,
                                 const std::vector<FrozenTrial>& trials) override;

 private:
  Rng rng_;
};

}  // namespace qdse::search
