// ScoreCounts: the sums behind exec::score_logits (hits, per-class hits and totals, the
// summed loss) of one block of samples. Counts of disjoint blocks add up, so scores of
// the first n samples can be built block by block (multi-fidelity in pipeline/ evaluates
// nested sample subsets that way, each block once); scores_of() turns them into
// accuracy, macro accuracy and mean loss with exactly score_logits' formulas.
// Thread-safety: plain values; the functions are reentrant.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "qdse/exec/evaluate.hpp"

namespace qdse::exec {

struct ScoreCounts {
  int64_t samples = 0;
  int64_t correct = 0;
  double loss_sum = 0;                // sum over samples of the cross-entropy
  std::vector<int64_t> class_total;  // samples per label
  std::vector<int64_t> class_hits;   // correct predictions per label

  // Adds the counts of a disjoint block (same number of classes, or this one empty).
  void add(const ScoreCounts& other);
};

// The counts of logits [N, C] against labels y [N] (as score_logits, which uses it).
ScoreCounts score_counts(const at::Tensor& logits, const at::Tensor& y);

// Accuracy, macro accuracy (mean recall over the labels present) and mean loss.
EvalResult scores_of(const ScoreCounts& counts);

}  // namespace qdse::exec
