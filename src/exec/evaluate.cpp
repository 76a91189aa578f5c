#include "qdse/exec/evaluate.hpp"

#include "qdse/exec/score_counts.hpp"

#include <torch/types.h>
#include <torch/utils.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <vector>

#include "qdse/core/error.hpp"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#endif

namespace qdse::exec {
namespace {

#if defined(__x86_64__) || defined(_M_X64)
// exp() of 4 doubles <= 0: k = round(x / ln 2), r = x - k ln 2 (two-part constant,
// |r| <= 0.35), Taylor series to r^13 (truncation < 1e-17 relative), times 2^k. Inputs
// below -700 give exp(-700) (< 1e-304: invisible next to the row maximum's 1).
__attribute__((target("avx2,fma"))) void exp_nonpositive_avx2(double* v, int64_t n) {
  const __m256d lo = _mm256_set1_pd(-700.0), log2e = _mm256_set1_pd(1.4426950408889634);
  const __m256d ln2_hi = _mm256_set1_pd(6.93147180369123816490e-01);
  const __m256d ln2_lo = _mm256_set1_pd(1.90821492927058770002e-10);
  const __m256d magic = _mm256_set1_pd(6755399441055744.0);  // 2^52 + 2^51
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const __m256d x = _mm256_max_pd(_mm256_loadu_pd(v + i), lo);
    const __m256d k = _mm256_round_pd(_mm256_mul_pd(x, log2e), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    const __m256d r = _mm256_fnmadd_pd(k, ln2_lo, _mm256_fnmadd_pd(k, ln2_hi, x));
    __m256d p = _mm256_set1_pd(1.0 / 6227020800.0);  // 1/13!
    const double inv_fact[] = {1.0 / 479001600.0, 1.0 / 39916800.0, 1.0 / 3628800.0, 1.0 / 362880.0,
                               1.0 / 40320.0,     1.0 / 5040.0,     1.0 / 720.0,     1.0 / 120.0,
                               1.0 / 24.0,        1.0 / 6.0,        0.5,             1.0,
                               1.0};
    for (double c : inv_fact) p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(c));
    const __m256i bits = _mm256_slli_epi64(
        _mm256_castpd_si256(_mm256_add_pd(_mm256_add_pd(k, _mm256_set1_pd(1023.0)), magic)), 52);
    _mm256_storeu_pd(v + i, _mm256_mul_pd(p, _mm256_castsi256_pd(bits)));
  }
  for (; i < n; ++i) v[i] = std::exp(v[i]);
}
#endif

// v[i] = exp(v[i]) for v[i] <= 0 (to within an ulp or two).
void exp_nonpositive(double* v, int64_t n) {
#if defined(__x86_64__) || defined(_M_X64)
  static const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (avx2) return exp_nonpositive_avx2(v, n);
#endif
  for (int64_t i = 0; i < n; ++i) v[i] = std::exp(v[i]);
}

}  // namespace

namespace {

// Accumulates score_logits over rows of one dtype, a chunk at a time (no copies of
// the logits: this runs once per trial).
template <class T>
void score_rows(const T* logits, const int64_t* labels, int64_t n, int64_t classes, std::vector<int64_t>& total,
                std::vector<int64_t>& hits, int64_t& correct, double& loss) {
  const int64_t chunk = std::max<int64_t>(1, 4096 / std::max<int64_t>(1, classes));
  std::vector<double> shifted(static_cast<std::size_t>(chunk * classes));  // logit - row maximum
  std::vector<int64_t> pred(static_cast<std::size_t>(chunk));
  for (int64_t i0 = 0; i0 < n; i0 += chunk) {
    const int64_t rows = std::min(chunk, n - i0);
    for (int64_t i = 0; i < rows; ++i) {
      const T* row = logits + (i0 + i) * classes;
      // Branch-free argmax (the comparisons are data-dependent: branches mispredict a few
      // times per row, which was most of the scoring cost), checked for NaN on the way.
      int64_t best = 0;
      T top = row[0];
      bool nan = std::isnan(top);
      for (int64_t c = 1; c < classes; ++c) {
        const T v = row[c];
        nan |= std::isnan(v);
        const bool above = v > top;
        best = above ? c : best;
        top = above ? v : top;
      }
      if (nan) {  // the first NaN counts as the maximum, as in torch.argmax
        best = 0;
        while (!std::isnan(row[best])) ++best;
      }
      pred[static_cast<std::size_t>(i)] = best;
      const double m = static_cast<double>(row[best]);
      for (int64_t c = 0; c < classes; ++c)
        shifted[static_cast<std::size_t>(i * classes + c)] = static_cast<double>(row[c]) - m;
    }
    exp_nonpositive(shifted.data(), rows * classes);  // NaN rows give a NaN loss below
    // The loss is the sum of (max - logit[label]) + log(sum of exp(shifted)) per row. The
    // logs are taken of a running product instead, one log per chunk instead of per row
    // (a row's sum is in [1, classes]; frexp every 16 rows keeps the product in range).
    double product = 1.0;
    int exponent = 0;
    for (int64_t i = 0; i < rows; ++i) {
      const T* row = logits + (i0 + i) * classes;
      const int64_t label = labels[i0 + i], best = pred[static_cast<std::size_t>(i)];
      if (label < 0 || label >= classes)
        throw Error(ErrorKind::InvalidArgument, "score_logits: label " + std::to_string(label) +
                                                    " outside [0, " + std::to_string(classes) + ")");
      double sum = 0;
      for (int64_t c = 0; c < classes; ++c) sum += shifted[static_cast<std::size_t>(i * classes + c)];
      loss += static_cast<double>(row[best]) - static_cast<double>(row[label]);
      product *= sum;
      if (i % 16 == 15) {
        int e = 0;
        product = std::frexp(product, &e);
        exponent += e;
      }
      ++total[static_cast<std::size_t>(label)];
      if (best == label) {
        ++correct;
        ++hits[static_cast<std::size_t>(label)];
      }
    }
    loss += std::log(product) + exponent * 0.69314718055994530942;  // ln 2
  }
}

}  // namespace

ScoreCounts score_counts(const at::Tensor& logits, const at::Tensor& y) {
  // Per row in float64: argmax (first maximum; a NaN counts as the maximum, as
  // torch.argmax), the loss as logsumexp - logit[label], per-class hit counts.
  ScoreCounts c;
  c.samples = y.size(0);
  if (c.samples == 0) return c;
  if (logits.dim() != 2 || logits.size(0) != y.size(0))
    throw Error(ErrorKind::InvalidArgument, "score_logits: expects logits [N, C] and N labels");
  const at::Tensor l = logits.scalar_type() == torch::kDouble ? logits.contiguous()
                                                               : logits.to(torch::kFloat).contiguous();
  const at::Tensor t = y.to(torch::kLong).contiguous();
  const int64_t classes = l.size(1);
  c.class_total.assign(static_cast<std::size_t>(classes), 0);
  c.class_hits = c.class_total;
  if (l.scalar_type() == torch::kDouble)
    score_rows(l.data_ptr<double>(), t.data_ptr<int64_t>(), c.samples, classes, c.class_total, c.class_hits,
               c.correct, c.loss_sum);
  else
    score_rows(l.data_ptr<float>(), t.data_ptr<int64_t>(), c.samples, classes, c.class_total, c.class_hits,
               c.correct, c.loss_sum);
  return c;
}

void ScoreCounts::add(const ScoreCounts& other) {
  if (class_total.empty()) {
    class_total.assign(other.class_total.size(), 0);
    class_hits = class_total;
  }
  QDSE_ASSERT(other.class_total.empty() || other.class_total.size() == class_total.size(),
              "ScoreCounts::add: blocks with different numbers of classes");
  samples += other.samples;
  correct += other.correct;
  loss_sum += other.loss_sum;
  for (std::size_t k = 0; k < other.class_total.size(); ++k) {
    class_total[k] += other.class_total[k];
    class_hits[k] += other.class_hits[k];
  }
}

EvalResult scores_of(const ScoreCounts& c) {
  EvalResult r;
  r.samples = c.samples;
  if (c.samples == 0) return r;
  const auto n = static_cast<double>(c.samples);
  r.accuracy = static_cast<double>(c.correct) / n;
  r.loss = c.loss_sum / n;
  double recall = 0;
  int64_t present = 0;
  for (std::size_t k = 0; k < c.class_total.size(); ++k) {
    if (c.class_total[k] == 0) continue;
    recall += static_cast<double>(c.class_hits[k]) / static_cast<double>(c.class_total[k]);
    ++present;
  }
  r.macro_accuracy = recall / static_cast<double>(present);
  return r;
}

EvalResult score_logits(const at::Tensor& logits, const at::Tensor& y) { return scores_of(score_counts(logits, y)); }

EvalResult evaluate(const ir::Graph& graph, const Plan* plan, const at::Tensor& x,
                    const at::Tensor& y, const EvalOptions& options) {
  if (x.size(0) != y.size(0))
    throw Error(ErrorKind::InvalidArgument, "evaluation set has " + std::to_string(x.size(0)) +
                                                " samples but " + std::to_string(y.size(0)) +
                                                " labels");
  torch::NoGradGuard no_grad;
  const int64_t n = options.num_samples > 0 ? std::min(options.num_samples, x.size(0)) : x.size(0);
  const int64_t bs = std::max<int64_t>(1, options.batch_size);
  Executor exec(graph);
  for (int i = 0; i < options.warmup_batches && n > 0; ++i)
    exec.forward(x.slice(0, 0, std::min(bs, n)), plan);

  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  std::vector<at::Tensor> outs;
  std::vector<double> batch_ms;
  for (int64_t start = 0; start < n; start += bs) {
    const auto b0 = Clock::now();
    outs.push_back(exec.forward(x.slice(0, start, std::min(n, start + bs)), plan));
    batch_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - b0).count());
  }
  EvalResult r = n > 0 ? score_logits(torch::cat(outs), y.slice(0, 0, n)) : EvalResult{};
  r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  r.batch_ms = batch_ms;
  if (!batch_ms.empty()) {
    std::vector<double> sorted = batch_ms;
    std::nth_element(sorted.begin(), sorted.begin() + sorted.size() / 2, sorted.end());
    r.latency_ms_per_batch_median = sorted[sorted.size() / 2];
  }
  return r;
}

}  // namespace qdse::exec
