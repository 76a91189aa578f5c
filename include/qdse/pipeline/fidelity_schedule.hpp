// Multi-fidelity settings, the [search.strategy.multi_fidelity] table (docs/search.md,
// "Multi-fidelity"): successive halving over NESTED sample subsets. Rung r evaluates a
// trial on the first rungs[r] fraction of the evaluation samples; the samples of rung r
// are a prefix of those of rung r + 1, so each rung only adds the samples the previous
// one lacked. After every rung but the last, a trial whose optimistic objectives cannot
// reach the current best (one objective) or leave the current Pareto front's dominated
// region (several) stops as Pruned (fidelity_pruner.hpp).
// Off by default; read by parse_search_config. Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

namespace qdse::pipeline {

struct FidelitySchedule {
  bool enabled = false;
  // Fractions of the evaluation samples, strictly increasing, in (0, 1], the last 1.0.
  std::vector<double> rungs{0.125, 0.5, 1.0};
  // Unset: the safe bound (a sample not yet evaluated may still be classified right and
  // costs no loss). Set: the heuristic bound -- the samples not yet evaluated score at
  // most `margin` better than those evaluated (accuracy points / recall points / loss).
  std::optional<double> margin;

  // Sample counts of the rungs for `n` evaluation samples: floor(fraction * n), at least
  // 1, a rung that would repeat the previous count dropped; the last is n.
  std::vector<int64_t> rung_ends(int64_t n) const;
};

// What a sample-dependent metric of a trial can still be on all the samples after a rung
// (low == high once every sample is evaluated, and for metrics that do not depend on
// samples: size, BitOPs, hw figures).
struct MetricRange {
  double low = -std::numeric_limits<double>::infinity();
  double high = std::numeric_limits<double>::infinity();
};

}  // namespace qdse::pipeline
