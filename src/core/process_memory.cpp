#include "qdse/core/process_memory.hpp"

#if defined(__linux__)
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#endif

#include <algorithm>

namespace qdse {

int64_t current_rss_bytes() {
#if defined(__linux__)
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return 0;
  long long size = 0, resident = 0;
  const int got = std::fscanf(f, "%lld %lld", &size, &resident);
  std::fclose(f);
  if (got != 2) return 0;
  return static_cast<int64_t>(resident) * static_cast<int64_t>(sysconf(_SC_PAGESIZE));
#else
  return 0;
#endif
}

int64_t peak_rss_bytes() {
#if defined(__linux__)
  // The kernel refreshes its high-water mark lazily (at unmaps, not at every fault),
  // so the current size can be a little above it.
  rusage u{};
  const int64_t hiwater = getrusage(RUSAGE_SELF, &u) == 0 ? static_cast<int64_t>(u.ru_maxrss) * 1024 : 0;
  return std::max(hiwater, current_rss_bytes());
#else
  return 0;
#endif
}

}  // namespace qdse
