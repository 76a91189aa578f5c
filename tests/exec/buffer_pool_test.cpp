// BufferPool under the evaluator's memo churn (issue 13, item 13): a long search with
// few samples evicts and refills memo entries thousands of times while trial records
// (small objects that live to the end) keep being allocated. In the malloc heap, those
// records split the space freed by evicted buffers, so every refill took fresh memory
// and RSS grew with the number of trials (2.5 GB at 30 000 trials). Pool buffers now
// live outside that heap: RSS stays at what is live.
#include <gtest/gtest.h>
#include <torch/types.h>

#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "qdse/core/process_memory.hpp"
#include "qdse/exec/buffer_pool.hpp"

namespace qdse::exec {
namespace {

TEST(BufferPool, MemoChurnBetweenLongLivedRecordsKeepsRssBounded) {
  if (current_rss_bytes() == 0) GTEST_SKIP() << "no RSS on this platform";
  // A long-running process has freed large blocks before (data loading, the float
  // pass); glibc then raises its mmap threshold and serves later large requests from
  // the heap, where this test's pattern fragments it.
  {
    void* big = std::malloc(std::size_t{16} << 20);
    std::memset(big, 1, std::size_t{16} << 20);
    std::free(big);
  }
  // The sizes of fmnist-mlp's memo entries at 512 samples: layer inputs as int16 codes,
  // layer outputs as float.
  const std::vector<int64_t> sizes = {512 * 800 * 2, 512 * 256 * 4, 512 * 256 * 2, 512 * 128 * 4, 512 * 128 * 2};
  const int64_t budget = int64_t{48} << 20;  // memo entries; the pool keeps a quarter idle
  auto pool = BufferPool::create(budget / 4);
  std::deque<at::Tensor> memo;  // least recently used first
  int64_t memo_bytes = 0;
  std::vector<std::unique_ptr<char[]>> records;
  std::mt19937 rng(7);
  const int64_t before = current_rss_bytes();
  for (int trial = 0; trial < 3000; ++trial) {
    for (int k = 0; k < 2; ++k) {
      at::Tensor t = pool->empty({sizes[rng() % sizes.size()]}, at::kByte);
      std::memset(t.data_ptr(), trial & 0xff, static_cast<std::size_t>(t.nbytes()));
      memo_bytes += t.nbytes();
      memo.push_back(std::move(t));
      while (memo_bytes > budget) {
        memo_bytes -= memo.front().nbytes();
        memo.pop_front();
      }
    }
    // A trial's records: a few hundred bytes each, kept to the end of the search.
    for (int k = 0; k < 12; ++k) {
      const std::size_t n = 40 + rng() % 600;
      records.emplace_back(new char[n]);
      std::memset(records.back().get(), 1, n);
    }
  }
  const int64_t grown = current_rss_bytes() - before;
  // Live at the end: 48 MiB of entries, at most 12 MiB idle in the pool, ~13 MiB of
  // records with their malloc headers.
  EXPECT_LT(grown, int64_t{120} << 20) << "RSS grew by " << (grown >> 20) << " MiB";
}

TEST(BufferPool, BuffersAtTheMappingThresholdAreFreedTheWayTheyWereAllocated) {
  if (current_rss_bytes() == 0) GTEST_SKIP() << "no RSS on this platform";
  // Just below 64 KiB a 64-byte rounding reaches the mapping threshold: such a buffer
  // must still go back to malloc (munmap would fail on it and leak it).
  auto pool = BufferPool::create(/*max_free_bytes=*/0, /*min_bytes=*/0);
  const int64_t before = current_rss_bytes();
  for (int64_t bytes : {int64_t{65473}, int64_t{65535}, int64_t{65536}, int64_t{65537}})
    for (int k = 0; k < 500; ++k) {
      at::Tensor t = pool->empty({bytes}, at::kByte);
      std::memset(t.data_ptr(), 1, static_cast<std::size_t>(bytes));
    }
  EXPECT_LT(current_rss_bytes() - before, int64_t{32} << 20);
  EXPECT_EQ(pool->free_bytes(), 0);
}

}  // namespace
}  // namespace qdse::exec
