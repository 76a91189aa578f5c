// NsgaIISampler: NSGA-II (Deb et al. 2002) as Optuna implements it, for multi-objective
// studies (works single-objective too).
//
// Generations are consecutive blocks of population_size trials in number order (Failed
// trials do not count). Generation 0 is random. Each later child picks parents from the
// previous population by binary tournament (constraint-dominance when constraints are
// present), applies uniform crossover with probability crossover_prob (each param taken
// from the second parent with swapping_prob), else copies one parent; then each param is
// resampled uniformly with mutation_prob. The population after a generation is the elite
// of (previous population + that generation's complete trials) by non-domination rank,
// then crowding distance. Populations of finished generations are cached between asks.
// Thread-safety: not thread-safe; see sampler.hpp.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "qdse/search/random.hpp"
#include "qdse/search/sampler.hpp"

namespace qdse::search {

struct NsgaIIOptions {
  int population_size = 50;
  std::optional<double> mutation_prob;  // nullopt = 1 / n_params
  double crossover_prob = 0.9;
  double swapping_prob = 0.5;
  std::uint64_t seed = 0;
  // Re-draw children that repeat an existing configuration (up to a bound, then a
  // uniform unseen configuration of a finite space).
  bool avoid_duplicates = true;
};

class NsgaIISampler final : public Sampler {
 public:
  explicit NsgaIISampler(NsgaIIOptions options = {});
  std::string name() const override { return "nsgaii"; }
  std::optional<ParamVector> ask(const SearchSpace& space, const std::vector<Direction>& directions,
                                 const std::vector<FrozenTrial>& trials) override;

 private:
  struct GenerationCache {
    std::vector<std::pair<int, TrialState>> members;  // signature of the generation
    std::vector<int> population;                       // trial indices after it
  };
  std::vector<int> population_before(int generation, const std::vector<FrozenTrial>& trials,
                                     const std::vector<std::vector<int>>& generations,
                                     const std::vector<Direction>& directions);
  ParamVector make_child(const SearchSpace& space, const std::vector<Direction>& directions,
                         const std::vector<FrozenTrial>& trials, const std::vector<int>& parents);

  NsgaIIOptions options_;
  Rng rng_;
  SeenTracker seen_;
  std::vector<GenerationCache> cache_;
};

}  // namespace qdse::search
