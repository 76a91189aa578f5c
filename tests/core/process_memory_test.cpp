// current_rss_bytes / peak_rss_bytes see memory this process touches.
#include "qdse/core/process_memory.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>

namespace qdse {
namespace {

TEST(ProcessMemory, SeesTouchedPagesAndKeepsThePeak) {
#if !defined(__linux__)
  GTEST_SKIP() << "resident memory is read from /proc on Linux only";
#endif
  const int64_t before = current_rss_bytes();
  ASSERT_GT(before, 0);
  constexpr std::size_t kBytes = std::size_t{64} << 20;
  auto block = std::make_unique<char[]>(kBytes);
  std::memset(block.get(), 1, kBytes);  // resident only once written
  const int64_t during = current_rss_bytes();
  EXPECT_GE(during - before, static_cast<int64_t>(kBytes) * 3 / 4);
  EXPECT_EQ(block[kBytes - 1], 1);
  EXPECT_GE(peak_rss_bytes(), during);
  block.reset();
  // The peak outlives the block (the kernel's mark may miss the last few pages).
  EXPECT_GE(peak_rss_bytes(), during - (int64_t{1} << 20));
}

}  // namespace
}  // namespace qdse
