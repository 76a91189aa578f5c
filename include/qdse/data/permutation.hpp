// Seeded permutations that Python can reproduce bit for bit.
//
// Every shuffle in qdse::data (carving validation/test splits, shuffling batches)
// goes through seeded_permutation(), so a (n, seed) pair names one order on every
// platform and every libtorch version. The algorithm is exactly NumPy's legacy
// `np.random.RandomState(seed).permutation(n)`: MT19937 seeded with init_genrand,
// then a Fisher-Yates pass from the back drawing masked 32-bit rejection samples.
// Matching NumPy (rather than torch::randperm) lets qdse reproduce scikit-learn's
// `train_test_split(..., random_state=seed)` index for index, which is what MASE
// uses for JSC. Seeds >= 2^32 are folded to 32 bits (high ^ low), since NumPy
// rejects them; only seeds < 2^32 are NumPy-reproducible.
// Ownership: returns plain values. Thread-safety: pure functions, reentrant.
#pragma once

#include <cstdint>
#include <vector>

namespace qdse::data {

// A permutation of [0, n), equal to numpy.random.RandomState(seed).permutation(n).
std::vector<int64_t> seeded_permutation(int64_t n, uint64_t seed);

// The indices that sklearn.model_selection.train_test_split(range(n),
// test_size=fraction, random_state=seed) returns: held_out = perm[:ceil(fraction*n)],
// kept = perm[ceil(fraction*n):], both in permutation order.
struct IndexSplit {
  std::vector<int64_t> kept;
  std::vector<int64_t> held_out;
};
IndexSplit split_indices(int64_t n, double held_out_fraction, uint64_t seed);

}  // namespace qdse::data
