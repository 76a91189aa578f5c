#include "qdse/search/random_sampler.hpp"

#include "qdse/core/error.hpp"

namespace qdse::search {

std::optional<ParamVector> RandomSampler::ask(const SearchSpace& space, const std::vector<Direction>&,
                                              const std::vector<FrozenTrial>&) {
  if (space.empty()) throw Error(ErrorKind::InvalidArgument, "RandomSampler::ask: the search space is empty");
  return sample_uniform(space, rng_);
}

}  // namespace qdse::search
