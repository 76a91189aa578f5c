// Resident memory of this process, for the memory figures a search reports
// (RSS after the first trial, peak RSS) and the benchmarks that bound them.
// Linux: /proc/self/statm and getrusage; elsewhere both return 0 ("unknown").
#pragma once

#include <cstdint>

namespace qdse {

int64_t current_rss_bytes();  // resident set size now
int64_t peak_rss_bytes();     // highest resident set size so far (ru_maxrss)

}  // namespace qdse
