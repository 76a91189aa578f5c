// Storage: where one study's trials live. The study writes through it and samplers read
// snapshots from it, so several workers (threads now, processes with an SQL storage
// later) can share one study.
//
// Contract (checked by tests/search/storage_contract.hpp for every implementation):
//  - create_trial returns consecutive numbers 0, 1, 2, ... unique even under concurrency;
//    the trial starts Running with start_time set.
//  - finish_trial moves a Running trial to a finished state exactly once; finishing an
//    unknown or already finished trial, or "finishing" to Running, throws qdse::Error.
//  - trials() is a snapshot ordered by number; trial(n) is nullopt for unknown n.
// Thread-safety: every method of every Storage must be safe to call concurrently.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "qdse/search/trial.hpp"

namespace qdse::search {

class Storage {
 public:
  virtual ~Storage() = default;

  virtual int create_trial(const ParamVector& params, double sample_seconds = 0.0,
                           const std::string& worker = "") = 0;
  virtual void finish_trial(int number, const TrialResult& result) = 0;
  virtual std::vector<FrozenTrial> trials() const = 0;
  virtual std::optional<FrozenTrial> trial(int number) const = 0;
  virtual int n_trials() const = 0;
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

 private:
  mutable std::mutex mutex_;
  std::vector<FrozenTrial> trials_;  // trials_[i].number == i
};

}  // namespace qdse::search
