#include "qdse/data/permutation.hpp"

#include <cmath>
#include <numeric>
#include <random>
#include <string>

#include "qdse/core/error.hpp"

namespace qdse::data {

namespace {

// NumPy's random_interval(): smallest all-ones mask >= max, then reject draws > max.
// Only the 32-bit branch is needed because n fits in 32 bits for any realistic
// dataset; larger n would use 64-bit draws in NumPy and is refused below.
uint32_t random_interval(std::mt19937& gen, uint32_t max) {
  if (max == 0) return 0;
  uint32_t mask = max;
  mask |= mask >> 1;
  mask |= mask >> 2;
  mask |= mask >> 4;
  mask |= mask >> 8;
  mask |= mask >> 16;
  uint32_t value;
  do {
    value = static_cast<uint32_t>(gen()) & mask;
  } while (value > max);
  return value;
}

}  // namespace

std::vector<int64_t> seeded_permutation(int64_t n, uint64_t seed) {
  if (n < 0 || n > static_cast<int64_t>(UINT32_MAX)) {
    throw Error(ErrorKind::InvalidArgument,
                "seeded_permutation: n must be in [0, 2^32-1], got " + std::to_string(n));
  }
  // std::mt19937(s) is init_genrand(s), the same state NumPy's legacy seeding builds.
  const auto seed32 = static_cast<uint32_t>((seed >> 32) ^ (seed & 0xffffffffULL));
  std::mt19937 gen(seed32);
  std::vector<int64_t> perm(static_cast<size_t>(n));
  std::iota(perm.begin(), perm.end(), int64_t{0});
  for (int64_t i = n - 1; i >= 1; --i) {
    const auto j = static_cast<int64_t>(random_interval(gen, static_cast<uint32_t>(i)));
    std::swap(perm[static_cast<size_t>(i)], perm[static_cast<size_t>(j)]);
  }
  return perm;
}

IndexSplit split_indices(int64_t n, double held_out_fraction, uint64_t seed) {
  if (!(held_out_fraction >= 0.0 && held_out_fraction < 1.0)) {
    throw Error(ErrorKind::InvalidArgument,
                "split fraction must be in [0, 1), got " + std::to_string(held_out_fraction));
  }
  // sklearn: n_test = ceil(test_size * n_samples), n_train = n - n_test.
  const auto n_held = static_cast<int64_t>(std::ceil(held_out_fraction * static_cast<double>(n)));
  std::vector<int64_t> perm = seeded_permutation(n, seed);
  IndexSplit out;
  out.held_out.assign(perm.begin(), perm.begin() + n_held);
  out.kept.assign(perm.begin() + n_held, perm.end());
  return out;
}

}  // namespace qdse::data
