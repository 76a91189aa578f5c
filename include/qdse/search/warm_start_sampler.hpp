// WarmStartSampler: proposes a fixed list of configurations first (each once, skipping
// any already in the study's history and any not valid for the space), then hands over
// to the wrapped sampler, which sees the whole history including them. `warm_start =
// true` on tpe / nsgaii wraps them with the predicted front of a sensitivity table
// (sensitivity_sampler_options.hpp WarmStartOptions). Stateless apart from the seen set,
// so a resumed study continues where it stopped. name() is the wrapped sampler's.
// Thread-safety: not thread-safe (Study serialises asks).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "qdse/search/sampler.hpp"

namespace qdse::search {

class WarmStartSampler : public Sampler {
 public:
  WarmStartSampler(std::unique_ptr<Sampler> inner, std::vector<ParamVector> first);
  std::string name() const override { return inner_->name(); }
  std::optional<ParamVector> ask(const SearchSpace& space, const std::vector<Direction>& directions,
                                 const std::vector<FrozenTrial>& trials) override;

 private:
  std::unique_ptr<Sampler> inner_;
  std::vector<ParamVector> first_;
  SeenTracker seen_;
};

// `sampler` wrapped when `first` is not empty, else itself.
std::unique_ptr<Sampler> with_warm_start(std::unique_ptr<Sampler> sampler, std::vector<ParamVector> first);

}  // namespace qdse::search
