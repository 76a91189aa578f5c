#include "qdse/search/brute_force_sampler.hpp"

#include <variant>

#include "qdse/core/error.hpp"

namespace qdse::search {

void BruteForceSampler::reset(const SearchSpace& space) {
  for (std::size_t i = 0; i < space.n_params(); ++i) {
    if (std::holds_alternative<FloatDistribution>(space.distribution(i))) {
      throw Error(ErrorKind::InvalidArgument, "BruteForceSampler: every param must be categorical or int, but `" +
                                                  space.name(i) + "` is " + to_string(space.distribution(i)));
    }
  }
  const auto n = space.size();
  if (!n) throw Error(ErrorKind::InvalidArgument, "BruteForceSampler: the space has more than 2^64 configurations");
  size_ = *n;
  cursor_ = 0;
  seen_.clear();
  n_ingested_ = 0;
  last_ingested_number_ = -1;
  space_signature_ = to_string(space);
}

void BruteForceSampler::ingest(const SearchSpace& space, const std::vector<FrozenTrial>& trials) {
  // Append-only histories are the norm (storages never delete trials); anything else
  // (a different or filtered list) forces a rebuild so that correctness never depends on it.
  const bool extends = trials.size() >= n_ingested_ &&
                       (n_ingested_ == 0 || trials[n_ingested_ - 1].number == last_ingested_number_);
  if (!extends) {
    seen_.clear();
    cursor_ = 0;
    n_ingested_ = 0;
  }
  for (std::size_t i = n_ingested_; i < trials.size(); ++i) {
    // Foreign params (another space, corrupt rows) cannot collide with our cells.
    if (is_valid(space, trials[i].params)) seen_.insert(config_index(space, trials[i].params));
  }
  n_ingested_ = trials.size();
  if (n_ingested_ > 0) last_ingested_number_ = trials.back().number;
}

std::optional<ParamVector> BruteForceSampler::ask(const SearchSpace& space, const std::vector<Direction>&,
                                                  const std::vector<FrozenTrial>& trials) {
  if (space.empty()) throw Error(ErrorKind::InvalidArgument, "BruteForceSampler::ask: the search space is empty");
  if (space_signature_.empty() || space_signature_ != to_string(space)) reset(space);
  ingest(space, trials);
  while (cursor_ < size_ && seen_.contains(cursor_)) seen_.erase(cursor_++);  // below the cursor needs no memory
  if (cursor_ >= size_) return std::nullopt;
  // Handing it out counts as seen, so repeated asks without create_trial do not repeat.
  return config_at(space, cursor_++);
}

}  // namespace qdse::search
