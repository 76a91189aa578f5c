#include "qdse/search/sampler.hpp"

namespace qdse::search {

ParamSet collect_seen(const std::vector<FrozenTrial>& trials) {
  ParamSet seen;
  seen.reserve(trials.size() * 2);
  for (const auto& t : trials) seen.insert(t.params);
  return seen;
}

const ParamSet& SeenTracker::update(const std::vector<FrozenTrial>& trials) {
  const bool extends =
      trials.size() >= n_ingested_ && (n_ingested_ == 0 || trials[n_ingested_ - 1].number == last_number_);
  if (!extends) {
    seen_.clear();
    n_ingested_ = 0;
  }
  for (std::size_t i = n_ingested_; i < trials.size(); ++i) seen_.insert(trials[i].params);
  n_ingested_ = trials.size();
  if (n_ingested_ > 0) last_number_ = trials.back().number;
  return seen_;
}

}  // namespace qdse::search
