// Thread budget (see thread_budget.hpp).
#include "qdse/pipeline/thread_budget.hpp"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <thread>

#if defined(__linux__)
#include <dlfcn.h>
#include <sched.h>
#endif

namespace qdse::pipeline {
namespace {

// OpenBLAS entry points, looked up at run time: libtorch links whatever BLAS the
// system provides (libblas.so.3 is an alternative), so OpenBLAS may be absent.
template <class F>
F blas_symbol(const char* name) {
#if defined(__linux__)
  return reinterpret_cast<F>(dlsym(RTLD_DEFAULT, name));
#else
  (void)name;
  return nullptr;
#endif
}

}  // namespace

int usable_cores() {
#if defined(__linux__)
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
#endif
  return std::max(1u, std::thread::hardware_concurrency());
}

int blas_thread_limit() {
  // "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY Prescott MAX_THREADS=64"
  static const int limit = [] {
    const auto config = blas_symbol<char* (*)()>("openblas_get_config");
    if (!config) return 0;
    const char* text = config();
    const char* at = text ? std::strstr(text, "MAX_THREADS=") : nullptr;
    if (!at) return 0;
    const long n = std::strtol(at + std::strlen("MAX_THREADS="), nullptr, 10);
    return n > 0 && n < (1 << 20) ? static_cast<int>(n) : 0;
  }();
  return limit;
}

int max_n_jobs() {
  const int blas = blas_thread_limit();
  return blas > 0 ? std::min(usable_cores(), blas) : usable_cores();
}

std::optional<std::string> n_jobs_problem(int64_t n_jobs) {
  if (n_jobs < 1) return "n_jobs must be >= 1, got " + std::to_string(n_jobs);
  const int most = max_n_jobs();
  if (n_jobs <= most) return std::nullopt;
  std::string why = std::to_string(usable_cores()) + " usable cores";
  if (const int blas = blas_thread_limit(); blas > 0) why += ", OpenBLAS supports " + std::to_string(blas) + " threads";
  return "n_jobs = " + std::to_string(n_jobs) + " is more than this machine supports (" + why +
         "): use at most " + std::to_string(most);
}

ThreadBudget plan_threads(int n_jobs, int threads) {
  ThreadBudget b;
  b.n_jobs = std::max(1, n_jobs);
  const int blas_cap = blas_thread_limit() > 0 ? blas_thread_limit() : usable_cores();
  if (threads > 0) {
    b.torch_threads = threads;
  } else {
    b.torch_threads = std::max(1, usable_cores() / b.n_jobs);
  }
  // One job: BLAS may use the job's threads. Several: the jobs are the parallelism.
  b.blas_threads = b.n_jobs > 1 ? 1 : std::clamp(b.torch_threads, 1, blas_cap);
  return b;
}

void apply_thread_budget(const ThreadBudget& budget) {
  at::set_num_threads(std::max(1, budget.torch_threads));
  if (const auto set = blas_symbol<void (*)(int)>("openblas_set_num_threads")) set(std::max(1, budget.blas_threads));
}

}  // namespace qdse::pipeline
