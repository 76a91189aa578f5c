// FidelitySchedule::rung_ends; see include/qdse/pipeline/fidelity_schedule.hpp.
#include "qdse/pipeline/fidelity_schedule.hpp"

#include <algorithm>
#include <cmath>

namespace qdse::pipeline {

std::vector<int64_t> FidelitySchedule::rung_ends(int64_t n) const {
  std::vector<int64_t> ends;
  for (std::size_t r = 0; r < rungs.size(); ++r) {
    // The last rung is every sample whatever its written value (the parser insists on 1.0).
    const int64_t k = r + 1 == rungs.size()
                          ? n
                          : std::clamp<int64_t>(static_cast<int64_t>(std::floor(rungs[r] * static_cast<double>(n))),
                                                1, n);
    if (ends.empty() || k > ends.back()) ends.push_back(k);
  }
  return ends;
}

}  // namespace qdse::pipeline
