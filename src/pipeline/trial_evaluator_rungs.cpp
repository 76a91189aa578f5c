// TrialEvaluator's multi-fidelity half (fidelity_schedule.hpp): the evaluation samples cut
// into blocks at the rungs' sample counts, one IncrementalExecutor per block, so that rung
// r of a configuration computes only block r once blocks 0..r-1 are known; the scores of
// a rung add the blocks' counts (exec/score_counts.hpp), and the last rung's are those of
// evaluate() without multi-fidelity (the same hits; the loss summed in another order).
#include <torch/types.h>
#include <torch/utils.h>

#include <algorithm>
#include <limits>

#include "qdse/core/error.hpp"
#include "qdse/lower/transform.hpp"
#include "qdse/pipeline/trial_evaluator.hpp"

namespace qdse::pipeline {
namespace {

// The range of a mean over the samples not yet evaluated: [lo, hi] without a margin (the
// safe bound), else the observed mean +- margin within it (the heuristic).
std::pair<double, double> unseen_mean_range(double observed, double lo, double hi, const std::optional<double>& margin) {
  if (!margin) return {lo, hi};
  return {std::clamp(observed - *margin, lo, hi), std::clamp(observed + *margin, lo, hi)};
}

}  // namespace

void TrialEvaluator::init_rungs(const at::Tensor& x) {
  const int64_t n = y_.size(0);
  rung_ends_ = settings_.fidelity.rung_ends(n);
  int64_t start = 0;
  for (const int64_t end : rung_ends_) {
    lower::IncrementalOptions o;
    // Each block's memo holds entries of its own rows: its share of the budget.
    o.memo_budget_bytes = static_cast<int64_t>(static_cast<double>(settings_.memo_budget_bytes) *
                                               static_cast<double>(end - start) / static_cast<double>(n));
    if (settings_.memo_budget_bytes > 0) o.memo_budget_bytes = std::max<int64_t>(o.memo_budget_bytes, 1);
    o.batch_size = settings_.batch_size;
    o.integer_kernels = settings_.integer_kernels;
    block_executors_.push_back(
        std::make_unique<lower::IncrementalExecutor>(graph_, x.slice(0, start, end).contiguous(), o));
    block_labels_.push_back(y_.slice(0, start, end));
    start = end;
  }
  const at::Tensor labels = y_.to(torch::kLong).contiguous();
  const int64_t* p = labels.data_ptr<int64_t>();
  for (int64_t i = 0; i < n; ++i) {
    if (p[i] < 0) continue;  // score_counts refuses it when the block is scored
    if (static_cast<std::size_t>(p[i]) >= class_totals_.size()) class_totals_.resize(static_cast<std::size_t>(p[i]) + 1, 0);
    ++class_totals_[static_cast<std::size_t>(p[i])];
  }
}

RungOutcome TrialEvaluator::evaluate_rung(const quant::QuantConfig& config, int rung) {
  QDSE_ASSERT(rung >= 0 && rung < rungs(), "evaluate_rung: rung out of range (is multi-fidelity enabled?)");
  torch::NoGradGuard no_grad;
  RungOutcome out;
  out.rung = rung;
  out.samples = rung_ends_[static_cast<std::size_t>(rung)];
  TrialOutcome& o = out.outcome;
  o.resolved = quant::resolve_auto_frac(graph_, config, stats_ ? &*stats_ : nullptr);
  auto [it, fresh] = rung_blocks_.try_emplace(o.resolved);
  RungBlocks& b = it->second;
  if (fresh) add_other_metrics(o.resolved, b.other);
  while (static_cast<int>(b.blocks.size()) <= rung) {
    const std::size_t k = b.blocks.size();
    const at::Tensor logits = block_executors_[k]->forward(o.resolved, &o.first_recomputed_node);
    b.blocks.push_back(exec::score_counts(logits, block_labels_[k]));
    out.new_samples += block_labels_[k].size(0);
  }
  samples_computed_ += out.new_samples;
  o.cached = out.new_samples == 0;
  if (o.cached && rung + 1 == rungs()) ++cache_hits_;

  exec::ScoreCounts c;
  for (int k = 0; k <= rung; ++k) c.add(b.blocks[static_cast<std::size_t>(k)]);
  const exec::EvalResult r = exec::scores_of(c);
  o.metrics = b.other;
  o.metrics["accuracy"] = r.accuracy;
  o.metrics["macro_accuracy"] = r.macro_accuracy;
  o.metrics["loss"] = r.loss;

  // What the three can still be on all n samples, given the rest = n - seen samples.
  const auto& margin = settings_.fidelity.margin;
  const double n = static_cast<double>(rung_ends_.back()), seen = static_cast<double>(c.samples);
  const double rest = n - seen;
  const auto [acc_lo, acc_hi] = unseen_mean_range(r.accuracy, 0, 1, margin);
  const double correct = static_cast<double>(c.correct);
  out.ranges["accuracy"] = {(correct + rest * acc_lo) / n, (correct + rest * acc_hi) / n};
  double macro_lo = 0, macro_hi = 0;
  int present = 0;
  for (std::size_t k = 0; k < class_totals_.size(); ++k) {
    if (class_totals_[k] == 0) continue;
    const int64_t seen_k = k < c.class_total.size() ? c.class_total[k] : 0;
    const double hits = k < c.class_hits.size() ? static_cast<double>(c.class_hits[k]) : 0.0;
    const double total = static_cast<double>(class_totals_[k]), rest_k = total - static_cast<double>(seen_k);
    // A class not seen yet has no observed recall: its unseen samples may score anything.
    const auto [lo, hi] = seen_k > 0 ? unseen_mean_range(hits / static_cast<double>(seen_k), 0, 1, margin)
                                     : std::pair<double, double>{0, 1};
    macro_lo += (hits + rest_k * lo) / total;
    macro_hi += (hits + rest_k * hi) / total;
    ++present;
  }
  if (present > 0) out.ranges["macro_accuracy"] = {macro_lo / present, macro_hi / present};
  const double inf = std::numeric_limits<double>::infinity();
  const auto [loss_lo, loss_hi] = unseen_mean_range(r.loss, 0, inf, margin);
  out.ranges["loss"] = {(c.loss_sum + rest * loss_lo) / n,
                        rest == 0 ? c.loss_sum / n : (c.loss_sum + rest * loss_hi) / n};
  return out;
}

int64_t TrialEvaluator::memo_bytes() const {
  int64_t sum = executor_.memo_bytes();
  for (const auto& e : block_executors_) sum += e->memo_bytes();
  return sum;
}

int64_t TrialEvaluator::macs_computed() const {
  int64_t sum = executor_.macs_computed();
  for (const auto& e : block_executors_) sum += e->macs_computed();
  return sum;
}

int64_t TrialEvaluator::integer_nodes() const {
  int64_t sum = executor_.integer_nodes();
  for (const auto& e : block_executors_) sum += e->integer_nodes();
  return sum;
}

}  // namespace qdse::pipeline
