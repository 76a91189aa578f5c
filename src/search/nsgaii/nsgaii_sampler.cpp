#include "qdse/search/nsgaii_sampler.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "qdse/core/error.hpp"
#include "qdse/search/pareto.hpp"

namespace qdse::search {
namespace {

// Children redrawn before avoid_duplicates gives up on the genetic operators.
constexpr int kMaxRedraws = 100;

bool has_values(const FrozenTrial& t, std::size_t n_obj) {
  return t.state == TrialState::Complete && t.values.size() == n_obj &&
         std::all_of(t.values.begin(), t.values.end(), [](double v) { return std::isfinite(v); });
}

// Elite of `pool` (trial indices): whole fronts by rank while they fit, then the most
// isolated members (crowding distance) of the front that does not.
std::vector<int> select_elite(const std::vector<int>& pool, std::size_t size, const std::vector<FrozenTrial>& trials,
                              const std::vector<Direction>& directions) {
  if (pool.size() <= size) return pool;
  const std::size_t n = pool.size();
  std::vector<int> dominated_by(n, 0), rank(n, 0);
  std::vector<std::vector<std::size_t>> dominating(n);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = i + 1; j < n; ++j) {
      const auto& a = trials[pool[i]];
      const auto& b = trials[pool[j]];
      if (constrained_dominates(a, b, directions)) {
        dominating[i].push_back(j);
        ++dominated_by[j];
      } else if (constrained_dominates(b, a, directions)) {
        dominating[j].push_back(i);
        ++dominated_by[i];
      }
    }
  }
  std::vector<int> elite;
  std::vector<std::size_t> front;
  for (std::size_t i = 0; i < n; ++i)
    if (dominated_by[i] == 0) front.push_back(i);
  while (!front.empty() && elite.size() < size) {
    if (elite.size() + front.size() <= size) {
      for (auto i : front) elite.push_back(pool[i]);
    } else {
      PointList losses;
      for (auto i : front) losses.push_back(to_losses(trials[pool[i]].values, directions));
      const auto dist = crowding_distance(losses);
      std::vector<std::size_t> order(front.size());
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return dist[a] > dist[b]; });
      for (std::size_t k = 0; elite.size() < size; ++k) elite.push_back(pool[front[order[k]]]);
      break;
    }
    std::vector<std::size_t> next;
    for (auto i : front)
      for (auto j : dominating[i])
        if (--dominated_by[j] == 0) next.push_back(j);
    std::sort(next.begin(), next.end());
    front = std::move(next);
  }
  return elite;
}

}  // namespace

NsgaIISampler::NsgaIISampler(NsgaIIOptions options) : options_(options), rng_(options.seed) {
  if (options_.population_size < 2)
    throw Error(ErrorKind::InvalidArgument,
                "NsgaIIOptions::population_size must be >= 2, got " + std::to_string(options_.population_size));
  auto check_prob = [](const char* name, double p) {
    if (!(p >= 0.0 && p <= 1.0))
      throw Error(ErrorKind::InvalidArgument,
                  std::string("NsgaIIOptions::") + name + " must be in [0, 1], got " + std::to_string(p));
  };
  check_prob("crossover_prob", options_.crossover_prob);
  check_prob("swapping_prob", options_.swapping_prob);
  if (options_.mutation_prob) check_prob("mutation_prob", *options_.mutation_prob);
}

std::vector<int> NsgaIISampler::population_before(int generation, const std::vector<FrozenTrial>& trials,
                                                  const std::vector<std::vector<int>>& generations,
                                                  const std::vector<Direction>& directions) {
  // Reuse cached populations while the generations that produced them are unchanged.
  std::size_t valid = 0;
  while (valid < cache_.size() && valid < static_cast<std::size_t>(generation)) {
    const auto& members = generations[valid];
    const auto& sig = cache_[valid].members;
    bool same = sig.size() == members.size();
    for (std::size_t k = 0; same && k < sig.size(); ++k)
      same = sig[k].first == trials[members[k]].number && sig[k].second == trials[members[k]].state;
    if (!same) break;
    ++valid;
  }
  cache_.resize(valid);
  std::vector<int> population = valid == 0 ? std::vector<int>{} : cache_[valid - 1].population;
  const std::size_t n_obj = directions.size();
  for (std::size_t g = valid; g < static_cast<std::size_t>(generation); ++g) {
    std::vector<int> pool = population;
    for (int i : generations[g])
      if (has_values(trials[i], n_obj)) pool.push_back(i);
    population = select_elite(pool, static_cast<std::size_t>(options_.population_size), trials, directions);
    GenerationCache entry;
    for (int i : generations[g]) entry.members.emplace_back(trials[i].number, trials[i].state);
    entry.population = population;
    cache_.push_back(std::move(entry));
  }
  return population;
}

ParamVector NsgaIISampler::make_child(const SearchSpace& space, const std::vector<Direction>& directions,
                                      const std::vector<FrozenTrial>& trials, const std::vector<int>& parents) {
  auto tournament = [&](const std::vector<int>& pool) {
    const int a = pool[uniform_index(rng_, pool.size())];
    const int b = pool[uniform_index(rng_, pool.size())];
    return constrained_dominates(trials[a], trials[b], directions) ? a : b;
  };
  ParamVector child;
  if (uniform01(rng_) < options_.crossover_prob) {
    const int first = tournament(parents);
    std::vector<int> rest;
    for (int p : parents)
      if (p != first) rest.push_back(p);
    const int second = tournament(rest);
    child = trials[first].params;
    for (std::size_t i = 0; i < child.size(); ++i)
      if (uniform01(rng_) < options_.swapping_prob) child[i] = trials[second].params[i];
  } else {
    child = trials[parents[uniform_index(rng_, parents.size())]].params;
  }
  const double mutation = options_.mutation_prob.value_or(1.0 / static_cast<double>(space.n_params()));
  const ParamVector fresh = sample_uniform(space, rng_);  // drawn always, to keep the RNG stream regular
  for (std::size_t i = 0; i < child.size(); ++i)
    if (uniform01(rng_) < mutation) child[i] = fresh[i];
  return child;
}

std::optional<ParamVector> NsgaIISampler::ask(const SearchSpace& space, const std::vector<Direction>& directions,
                                              const std::vector<FrozenTrial>& trials) {
  if (space.empty()) throw Error(ErrorKind::InvalidArgument, "NsgaIISampler::ask: the search space is empty");
  if (directions.empty())
    throw Error(ErrorKind::InvalidArgument, "NsgaIISampler::ask: at least one direction is needed");
  const std::size_t P = static_cast<std::size_t>(options_.population_size);
  std::vector<std::vector<int>> generations;
  std::size_t counted = 0;
  for (std::size_t i = 0; i < trials.size(); ++i) {
    if (trials[i].state == TrialState::Failed) continue;
    if (counted % P == 0) generations.emplace_back();
    generations.back().push_back(static_cast<int>(i));
    ++counted;
  }
  const int generation = static_cast<int>(counted / P);
  const bool avoid = options_.avoid_duplicates;
  static const ParamSet kNone;
  const ParamSet& seen = avoid ? seen_.update(trials) : kNone;
  auto random_config = [&]() -> ParamVector {
    if (avoid && space.is_finite())
      if (auto p = sample_unseen(space, seen, rng_)) return *p;
    return sample_uniform(space, rng_);
  };

  std::vector<int> parents;
  if (generation > 0) {
    parents = population_before(generation, trials, generations, directions);
    // Parents from another space (a resumed study with a changed space) are unusable.
    std::erase_if(parents, [&](int i) { return !is_valid(space, trials[i].params); });
  }
  if (parents.size() < 2) return random_config();
  for (int attempt = 0; attempt < kMaxRedraws; ++attempt) {
    ParamVector child = make_child(space, directions, trials, parents);
    if (!avoid || !seen.contains(child)) return child;
  }
  return random_config();
}

}  // namespace qdse::search
