// WarmStartSampler; see include/qdse/search/warm_start_sampler.hpp.
#include "qdse/search/warm_start_sampler.hpp"

namespace qdse::search {

WarmStartSampler::WarmStartSampler(std::unique_ptr<Sampler> inner, std::vector<ParamVector> first)
    : inner_(std::move(inner)), first_(std::move(first)) {}

std::optional<ParamVector> WarmStartSampler::ask(const SearchSpace& space, const std::vector<Direction>& directions,
                                                 const std::vector<FrozenTrial>& trials) {
  const ParamSet& seen = seen_.update(trials);
  for (const auto& p : first_)
    if (is_valid(space, p) && !seen.count(p)) return p;
  return inner_->ask(space, directions, trials);
}

std::unique_ptr<Sampler> with_warm_start(std::unique_ptr<Sampler> sampler, std::vector<ParamVector> first) {
  if (first.empty()) return sampler;
  return std::make_unique<WarmStartSampler>(std::move(sampler), std::move(first));
}

}  // namespace qdse::search
