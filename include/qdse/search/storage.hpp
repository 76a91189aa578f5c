// Storage: where one study's trials live. The study writes through it and samplers read
// snapshots from it, so several workers (threads; processes and hosts with the SQLite and
// PostgreSQL back ends of qdse_storage, docs/storage.md) can share one study.
//
// Contract (checked by tests/search/storage_contract.hpp and, for claims, heartbeats and
// stale trials, tests/storage/claim_contract.hpp for every implementation):
//  - create_trial returns consecutive numbers 0, 1, 2, ... unique even under concurrency;
//    the trial starts Running with start_time set.
//  - finish_trial moves a Running trial to a finished state exactly once; finishing an
//    unknown or already finished trial, or "finishing" to Running, throws qdse::Error.
//  - trials() is a snapshot ordered by number; trial(n) is nullopt for unknown n.
//  - try_create_trial is an atomic claim: it creates the trial only if no trial of the
//    study holds the same params (any state), else returns nullopt. A trial failed by
//    fail_stale_trials releases its params, so they can be claimed once more (a retry).
//  - Running trials carry a heartbeat (set on create, refreshed by heartbeat(n));
//    fail_stale_trials(timeout) marks Running trials whose heartbeat is at least
//    `timeout` seconds old as Failed and returns them so the caller can retry them.
//  - fail_dead_local_trials() does the same at once for Running trials whose recorded
//    process ran on this machine and no longer exists (kill -9, crash): no need to wait
//    for the heartbeat timeout. Back ends that record no process identity fail none.
// Thread-safety: every method of every Storage must be safe to call concurrently.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "qdse/search/trial.hpp"

namespace qdse::search {

// A Running trial that fail_stale_trials marked Failed (its worker died or hung).
struct StaleTrial {
  int number = -1;
  ParamVector params;
  std::string worker;
  std::optional<int> retry_of;  // set when the stale trial was itself a retry
};

// A Running trial and who holds it (for "still running elsewhere" messages).
struct RunningTrial {
  int number = -1;
  ParamVector params;
  std::string worker;         // the label the worker gave (host:pid for qdse search)
  std::string host;           // host name of the process that created it; "" if not recorded
  long long pid = 0;          // its process id; 0 if not recorded
  double heartbeat_age = 0;   // seconds since its last heartbeat
};

class Storage {
 public:
  virtual ~Storage() = default;

  virtual int create_trial(const ParamVector& params, double sample_seconds = 0.0,
                           const std::string& worker = "") = 0;
  virtual void finish_trial(int number, const TrialResult& result) = 0;
  virtual std::vector<FrozenTrial> trials() const = 0;
  virtual std::optional<FrozenTrial> trial(int number) const = 0;
  virtual int n_trials() const = 0;

  // The trials numbered >= `from`, plus those numbered in `watch`, in any order: what a
  // caller that holds every trial below `from` needs to bring its copy up to date
  // (finished trials never change, so only `watch` = its Running ones can). Study::ask
  // uses it so that a trial costs O(new + running) rows, not O(all). The default
  // filters trials(); back ends override it to read only those rows.
  virtual std::vector<FrozenTrial> trials_since(int from, const std::vector<int>& watch) const;

  // Atomic claim (brute force across workers): creates a Running trial for `params`
  // unless a trial of the study already holds the same params, in which case nothing is
  // written and nullopt is returned (the caller asks its sampler again). `retry_of`
  // records which stale trial this one retries.
  virtual std::optional<int> try_create_trial(const ParamVector& params, double sample_seconds = 0.0,
                                              const std::string& worker = "",
                                              std::optional<int> retry_of = std::nullopt) = 0;
  // The trial `retry_of` was recorded with (nullopt if none); throws for an unknown trial.
  virtual std::optional<int> retry_of(int number) const = 0;

  // Refreshes the heartbeat of a Running trial (no-op for a finished one; throws for an
  // unknown number). Owners call it periodically (see qdse/storage/heartbeat.hpp).
  virtual void heartbeat(int number) = 0;
  // Marks every Running trial whose last heartbeat is >= timeout_seconds old as Failed
  // (end_time set, params released for one retry) and returns them by number.
  virtual std::vector<StaleTrial> fail_stale_trials(double timeout_seconds) = 0;

  // The Running trials by number, with who holds them. The default reads trials() and
  // knows no host, pid or heartbeat age.
  virtual std::vector<RunningTrial> running_trials() const;
  // Marks as Failed (params released, as fail_stale_trials) every Running trial created
  // by a process of THIS machine that no longer runs (its pid is gone or belongs to a
  // process started later), whatever its heartbeat age; returns them by number. Trials
  // of live or remote processes, or without a recorded process, are left alone. The
  // default fails none (InMemoryStorage: every trial belongs to this live process).
  virtual std::vector<StaleTrial> fail_dead_local_trials() { return {}; }
};

// Trials in a vector behind a mutex; lives as long as the process.
class InMemoryStorage final : public Storage {
 public:
  int create_trial(const ParamVector& params, double sample_seconds = 0.0,
                   const std::string& worker = "") override;
  void finish_trial(int number, const TrialResult& result) override;
  std::vector<FrozenTrial> trials() const override;
  std::optional<FrozenTrial> trial(int number) const override;
  int n_trials() const override;
  std::vector<FrozenTrial> trials_since(int from, const std::vector<int>& watch) const override;
  std::optional<int> try_create_trial(const ParamVector& params, double sample_seconds = 0.0,
                                      const std::string& worker = "",
                                      std::optional<int> retry_of = std::nullopt) override;
  std::optional<int> retry_of(int number) const override;
  void heartbeat(int number) override;
  std::vector<StaleTrial> fail_stale_trials(double timeout_seconds) override;
  std::vector<RunningTrial> running_trials() const override;

 private:
  struct Extra {  // per-trial bookkeeping FrozenTrial does not carry
    std::chrono::steady_clock::time_point heartbeat;
    std::optional<int> retry_of;
    bool holds_params = true;  // false once released by fail_stale_trials
  };
  int append_locked(const ParamVector& params, double sample_seconds, const std::string& worker,
                    std::optional<int> retry_of);

  mutable std::mutex mutex_;
  std::vector<FrozenTrial> trials_;  // trials_[i].number == i
  std::vector<Extra> extra_;         // aligned with trials_
  std::unordered_map<ParamVector, int, ParamVectorHash> holders_;  // params -> number of the holder
};

}  // namespace qdse::search
