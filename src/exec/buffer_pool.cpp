// BufferPool (see buffer_pool.hpp): a best-fit free list of large aligned buffers.
#include "qdse/exec/buffer_pool.hpp"

#include <torch/torch.h>

#include <cstdlib>

#include "qdse/core/error.hpp"

namespace qdse::exec {

std::shared_ptr<BufferPool> BufferPool::create(int64_t max_free_bytes, int64_t min_bytes) {
  return std::shared_ptr<BufferPool>(new BufferPool(max_free_bytes, min_bytes));
}

BufferPool::~BufferPool() {
  for (auto& [cap, p] : free_) std::free(p);
}

int64_t BufferPool::free_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return free_bytes_;
}

at::Tensor BufferPool::empty(const std::vector<int64_t>& sizes, at::ScalarType dtype) {
  int64_t numel = 1;
  for (int64_t s : sizes) numel *= s;
  const int64_t bytes = numel * static_cast<int64_t>(c10::elementSize(dtype));
  if (bytes < min_bytes_) return torch::empty(sizes, torch::TensorOptions().dtype(dtype));
  void* p = nullptr;
  int64_t cap = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    // Best fit, wasting at most a quarter of the buffer.
    auto it = free_.lower_bound(bytes);
    if (it != free_.end() && it->first <= bytes + bytes / 4) {
      cap = it->first;
      p = it->second;
      free_bytes_ -= cap;
      free_.erase(it);
    }
  }
  if (!p) {
    cap = (bytes + 63) / 64 * 64;
    p = std::aligned_alloc(64, static_cast<std::size_t>(cap));
    if (!p) throw std::bad_alloc();
  }
  auto self = shared_from_this();
  return torch::from_blob(
      p, sizes, [self, p, cap](void*) { self->release(p, cap); }, torch::TensorOptions().dtype(dtype));
}

void BufferPool::release(void* p, int64_t capacity) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (free_bytes_ + capacity <= max_free_) {
      free_.emplace(capacity, p);
      free_bytes_ += capacity;
      return;
    }
  }
  std::free(p);
}

}  // namespace qdse::exec
