// Portable random draws for the samplers.
//
// std::uniform_*_distribution and std::normal_distribution are implementation-defined,
// so the same seed would give different studies with libstdc++ and libc++. Every draw
// in qdse::search goes through these helpers on top of std::mt19937_64, whose output
// sequence is fixed by the standard, so a seed reproduces a study on any platform.
// Ownership/thread-safety: free functions on a caller-owned engine; an engine must not
// be shared between threads without a lock.
#pragma once

#include <cstdint>
#include <random>
#include <span>

namespace qdse::search {

using Rng = std::mt19937_64;

// Uniform double in [0, 1) with 53 random bits.
inline double uniform01(Rng& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

// Uniform double in [low, high).
inline double uniform_real(Rng& rng, double low, double high) {
  return low + (high - low) * uniform01(rng);
}

// Uniform integer in [0, n) without modulo bias (rejection on the top of the range).
inline std::uint64_t uniform_index(Rng& rng, std::uint64_t n) {
  if (n <= 1) return 0;
  const std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  std::uint64_t x = rng();
  while (x >= limit) x = rng();
  return x % n;
}

// Index drawn with probability proportional to weights[i] (weights >= 0, sum > 0).
inline std::size_t weighted_index(Rng& rng, std::span<const double> weights) {
  double total = 0.0;
  for (double w : weights) total += w;
  double u = uniform01(rng) * total;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    u -= weights[i];
    if (u < 0.0) return i;
  }
  // Rounding can leave u marginally >= 0: fall back on the last positive weight.
  for (std::size_t i = weights.size(); i-- > 0;)
    if (weights[i] > 0.0) return i;
  return 0;
}

}  // namespace qdse::search
