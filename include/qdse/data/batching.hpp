// Mini-batches over a Split, in file order or in a seeded shuffled order.
//
// BatchSequence is a random-access list of batches: batch(i) of an unshuffled
// sequence is a view (narrow) into the split's tensors, no copy; a shuffled one
// gathers its rows (index_select) into fresh tensors. The order for a given
// (split size, seed) is seeded_permutation(N, seed) (see permutation.hpp), so it
// is reproducible across runs and machines; pass seed + epoch for a new order
// per epoch. The last batch may be smaller than batch_size.
// Ownership: a BatchSequence holds tensor handles of the Split (keeping its data
// alive) and its own permutation. Thread-safety: batch() is const and may be
// called concurrently (e.g. parallel evaluation).
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <optional>

#include "qdse/data/dataset.hpp"

namespace qdse::data {

struct Batch {
  at::Tensor x;        // [B, ...sample_shape] float32
  at::Tensor y;        // [B] int64
  int64_t index = 0;   // batch number in this sequence
  int64_t offset = 0;  // position of its first row in the (shuffled) order
};

class BatchSequence {
 public:
  // shuffle_seed empty = file order. Throws Error(InvalidArgument) for batch_size < 1.
  BatchSequence(const Split& split, int64_t batch_size, std::optional<uint64_t> shuffle_seed = {});

  int64_t size() const { return num_batches_; }  // ceil(N / batch_size)
  int64_t num_samples() const { return n_; }
  Batch batch(int64_t i) const;  // 0 <= i < size()

 private:
  at::Tensor x_, y_;
  at::Tensor order_;  // int64 [N]; undefined when not shuffling
  int64_t batch_size_ = 1;
  int64_t n_ = 0;
  int64_t num_batches_ = 0;
};

// Calls fn for every batch of `split` in order. shuffle=false ignores seed.
void for_each_batch(const Split& split, int64_t batch_size, bool shuffle, uint64_t seed,
                    const std::function<void(const Batch&)>& fn);

}  // namespace qdse::data
