// BufferPool: recycles the memory of large tensors (layer outputs, integer codes).
//
// Fresh memory is expensive here: every new 4 KiB page faults on first touch (about
// 2.5 us in a VM, ~0.6 ms per MB, as much as computing a small layer). Trial after
// trial the evaluator allocates tensors of the same few sizes, and the memo evicts
// old ones; returning freed buffers to a free list (instead of to the OS, which glibc
// does for large blocks) turns those allocations into reuse. Buffers below
// `min_bytes` come from libtorch as usual; at most `max_free_bytes` are kept idle.
// Buffers of 64 KiB and more are anonymous mappings of their own (mmap), not malloc
// blocks: the memo holds them for thousands of trials while small long-lived objects
// (trial records) are allocated between them, and in the malloc heap those objects
// split the space evicted buffers leave, so that every refill took fresh memory (RSS
// grew by ~70 KB per trial, 2.4 GB at 30 000 trials; docs/performance.md). A mapping
// beyond the idle cap goes back to the OS when released.
// Tensors hold a reference to the pool, so it lives until the last of them is freed.
// Thread-safety: empty() and the tensors' deleters may run on any thread.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/ScalarType.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

namespace qdse::exec {

class BufferPool : public std::enable_shared_from_this<BufferPool> {
 public:
  static std::shared_ptr<BufferPool> create(int64_t max_free_bytes, int64_t min_bytes = 64 * 1024);
  ~BufferPool();

  // An uninitialized contiguous CPU tensor.
  at::Tensor empty(const std::vector<int64_t>& sizes, at::ScalarType dtype);

  int64_t free_bytes() const;

 private:
  BufferPool(int64_t max_free_bytes, int64_t min_bytes) : max_free_(max_free_bytes), min_bytes_(min_bytes) {}
  void release(void* p, int64_t capacity);

  mutable std::mutex mu_;
  std::multimap<int64_t, void*> free_;  // capacity -> buffer
  int64_t free_bytes_ = 0;
  const int64_t max_free_, min_bytes_;
};

}  // namespace qdse::exec
