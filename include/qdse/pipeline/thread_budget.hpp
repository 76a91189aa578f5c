// Thread budget of a search: how many trials run in parallel (n_jobs) and how many
// threads each of them may use, so that the process never asks for more threads than
// the machine and its BLAS support.
//
// Each job is a thread with its own evaluator. Inside a job, libtorch ops run on the
// intra-op pool (OpenMP) and float GEMMs on the BLAS library's own threads (Debian's
// libtorch calls OpenBLAS); a job runs one op at a time, so it keeps max(torch, BLAS)
// threads busy. The budget keeps n_jobs x that within the usable cores when nothing is
// given explicitly (and n_jobs x torch x BLAS threads too, whenever n_jobs > 1):
//  - n_jobs is at most max_n_jobs(): the cores this process may run on (its affinity
//    mask), and no more than OpenBLAS's compiled thread limit (MAX_THREADS in
//    openblas_get_config(), 64 in Debian's libopenblas0-pthread). More jobs than cores
//    only slow CPU-bound trials down and multiply memory; beyond the OpenBLAS limit
//    concurrent BLAS calls run out of its preallocated buffers ("precompiled
//    NUM_THREADS exceeded", then heap corruption);
//  - with n_jobs > 1, BLAS runs single-threaded (the jobs are the parallelism; the
//    pthread OpenBLAS also serializes concurrent multi-threaded calls), and libtorch
//    gets cores / n_jobs threads per job;
//  - explicit threads (--threads, `threads`) are honored for libtorch and, with one
//    job, for BLAS too, clamped to the BLAS limit.
// Thread-safety: apply_thread_budget() sets process-wide settings; call it before the
// jobs start. The rest only reads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace qdse::pipeline {

// CPUs this process may run on (sched_getaffinity; hardware_concurrency elsewhere), >= 1.
int usable_cores();
// OpenBLAS's compiled thread limit, or 0 when the BLAS in this process is not OpenBLAS
// or does not say (then only the cores bound n_jobs).
int blas_thread_limit();
// The largest n_jobs allowed here: min(usable_cores(), blas_thread_limit() if known).
int max_n_jobs();
// Why n_jobs is not allowed ("n_jobs = 200 is more than ..."), or nullopt when it is.
// Callers prefix the location (config file and key, or the flag).
std::optional<std::string> n_jobs_problem(int64_t n_jobs);

struct ThreadBudget {
  int n_jobs = 1;
  int torch_threads = 1;  // libtorch intra-op threads (per job)
  int blas_threads = 1;   // BLAS threads (per call)
};
// The budget for n_jobs jobs; threads = explicit --threads / `threads` (0 = automatic).
ThreadBudget plan_threads(int n_jobs, int threads);
// Sets libtorch's and (when present) OpenBLAS's thread counts.
void apply_thread_budget(const ThreadBudget& budget);

}  // namespace qdse::pipeline
