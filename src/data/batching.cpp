#include "qdse/data/batching.hpp"

#include <torch/types.h>

#include "qdse/core/error.hpp"
#include "qdse/data/permutation.hpp"

namespace qdse::data {

BatchSequence::BatchSequence(const Split& split, int64_t batch_size,
                             std::optional<uint64_t> shuffle_seed)
    : x_(split.x), y_(split.y), batch_size_(batch_size), n_(split.size()) {
  if (batch_size < 1) {
    throw Error(ErrorKind::InvalidArgument,
                "batch_size must be >= 1, got " + std::to_string(batch_size));
  }
  num_batches_ = (n_ + batch_size_ - 1) / batch_size_;
  if (shuffle_seed && n_ > 0) {
    std::vector<int64_t> perm = seeded_permutation(n_, *shuffle_seed);
    order_ = torch::tensor(perm, torch::kInt64);
  }
}

Batch BatchSequence::batch(int64_t i) const {
  QDSE_ASSERT(i >= 0 && i < num_batches_, "batch index out of range");
  const int64_t begin = i * batch_size_;
  const int64_t len = std::min(batch_size_, n_ - begin);
  Batch b;
  b.index = i;
  b.offset = begin;
  if (order_.defined()) {
    auto idx = order_.narrow(0, begin, len);
    b.x = x_.index_select(0, idx);
    b.y = y_.index_select(0, idx);
  } else {
    b.x = x_.narrow(0, begin, len);
    b.y = y_.narrow(0, begin, len);
  }
  return b;
}

void for_each_batch(const Split& split, int64_t batch_size, bool shuffle, uint64_t seed,
                    const std::function<void(const Batch&)>& fn) {
  BatchSequence seq(split, batch_size, shuffle ? std::optional<uint64_t>(seed) : std::nullopt);
  for (int64_t i = 0; i < seq.size(); ++i) fn(seq.batch(i));
}

}  // namespace qdse::data
