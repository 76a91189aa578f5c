// BufferPool (see buffer_pool.hpp): a best-fit free list of large aligned buffers.
#include "qdse/exec/buffer_pool.hpp"

#include <torch/types.h>

#include <cstdlib>
#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#include <unistd.h>
#endif

#include "qdse/core/error.hpp"

namespace qdse::exec {
namespace {

// Buffers of at least this many bytes are pages mapped for them alone (see the header:
// in the malloc heap, small long-lived objects would split their freed space).
constexpr int64_t kMapBytes = 64 * 1024;

int64_t page_bytes() {
#if defined(__linux__)
  static const int64_t page = std::max<int64_t>(4096, sysconf(_SC_PAGESIZE));
  return page;
#else
  return 4096;
#endif
}

bool mapped(int64_t capacity) {
#if defined(__linux__)
  return capacity >= kMapBytes;
#else
  (void)capacity;
  return false;
#endif
}

// 64-byte multiples, or whole pages when that makes it a mapped buffer (the capacity
// alone tells deallocate() how the buffer was allocated).
int64_t capacity_for(int64_t bytes) {
  const int64_t cap = (bytes + 63) / 64 * 64;
  return mapped(cap) ? (bytes + page_bytes() - 1) / page_bytes() * page_bytes() : cap;
}

void* allocate(int64_t capacity) {
#if defined(__linux__)
  if (mapped(capacity)) {
    void* p = mmap(nullptr, static_cast<std::size_t>(capacity), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                   -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    return p;
  }
#endif
  void* p = std::aligned_alloc(64, static_cast<std::size_t>(capacity));
  if (!p) throw std::bad_alloc();
  return p;
}

void deallocate(void* p, int64_t capacity) {
#if defined(__linux__)
  if (mapped(capacity)) {
    munmap(p, static_cast<std::size_t>(capacity));
    return;
  }
#endif
  std::free(p);
}

}  // namespace

std::shared_ptr<BufferPool> BufferPool::create(int64_t max_free_bytes, int64_t min_bytes) {
  return std::shared_ptr<BufferPool>(new BufferPool(max_free_bytes, min_bytes));
}

BufferPool::~BufferPool() {
  for (auto& [cap, p] : free_) deallocate(p, cap);
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
    cap = capacity_for(bytes);
    p = allocate(cap);
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
  deallocate(p, capacity);  // mapped buffers go back to the OS at once
}

}  // namespace qdse::exec
