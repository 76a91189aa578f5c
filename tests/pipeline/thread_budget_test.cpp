// The thread budget (issue 13, item 10): jobs x libtorch threads x BLAS threads stay
// within the usable cores unless threads are given explicitly, and the budget reaches
// libtorch and OpenBLAS.
#include <gtest/gtest.h>

#include <ATen/Parallel.h>
#include <dlfcn.h>

#include <algorithm>

#include "qdse/pipeline/thread_budget.hpp"

namespace qdse::pipeline {
namespace {

TEST(ThreadBudget, AutomaticBudgetsNeverOversubscribe) {
  const int cores = usable_cores();
  ASSERT_GE(cores, 1);
  ASSERT_GE(max_n_jobs(), 1);
  EXPECT_LE(max_n_jobs(), cores);
  if (blas_thread_limit() > 0) {
    EXPECT_LE(max_n_jobs(), blas_thread_limit());
  }
  for (int jobs = 1; jobs <= max_n_jobs(); ++jobs) {
    const ThreadBudget b = plan_threads(jobs, 0);
    EXPECT_EQ(b.n_jobs, jobs);
    EXPECT_GE(b.torch_threads, 1);
    EXPECT_GE(b.blas_threads, 1);
    // A job runs one op at a time: a libtorch parallel region or a BLAS call. Several
    // jobs never run multi-threaded BLAS, so the product bound holds for them too.
    EXPECT_LE(jobs * std::max(b.torch_threads, b.blas_threads), cores) << jobs << " jobs";
    if (jobs > 1) {
      EXPECT_LE(jobs * b.torch_threads * b.blas_threads, cores) << jobs << " jobs";
    }
  }
}

TEST(ThreadBudget, ExplicitThreadsAreHonoredAndBlasStaysWithinItsLimit) {
  EXPECT_EQ(plan_threads(1, 1).torch_threads, 1);
  EXPECT_EQ(plan_threads(1, 1).blas_threads, 1);
  EXPECT_EQ(plan_threads(2, 3).torch_threads, 3);
  EXPECT_EQ(plan_threads(2, 3).blas_threads, 1);  // the jobs are the parallelism
  const ThreadBudget many = plan_threads(1, 100000);
  EXPECT_EQ(many.torch_threads, 100000);
  if (blas_thread_limit() > 0) {
    EXPECT_LE(many.blas_threads, blas_thread_limit());
  }
}

TEST(ThreadBudget, NJobsProblemStatesTheBound) {
  EXPECT_FALSE(n_jobs_problem(1));
  EXPECT_FALSE(n_jobs_problem(max_n_jobs()));
  ASSERT_TRUE(n_jobs_problem(0));
  ASSERT_TRUE(n_jobs_problem(int64_t{1} << 40));
  const auto why = *n_jobs_problem(max_n_jobs() + 1);
  EXPECT_NE(why.find("use at most " + std::to_string(max_n_jobs())), std::string::npos) << why;
  EXPECT_EQ(why.find('\n'), std::string::npos);
}

TEST(ThreadBudget, ApplySetsLibtorchAndOpenBlas) {
  const int before = at::get_num_threads();
  apply_thread_budget({2, 1, 1});
  EXPECT_EQ(at::get_num_threads(), 1);
  // OpenBLAS is what Debian's libtorch links; another BLAS has no such call.
  if (auto get = reinterpret_cast<int (*)()>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"))) {
    EXPECT_EQ(get(), 1);
    apply_thread_budget(plan_threads(1, 0));
    EXPECT_EQ(get(), std::min(usable_cores(), blas_thread_limit() > 0 ? blas_thread_limit() : usable_cores()));
  }
  at::set_num_threads(before);
}

}  // namespace
}  // namespace qdse::pipeline
