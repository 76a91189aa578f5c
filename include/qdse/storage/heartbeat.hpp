// HeartbeatThread: keeps the Running trial a worker is evaluating fresh, so
// fail_stale_trials on another worker does not mistake a long evaluation for a dead one.
//
//   HeartbeatThread beat(storage, std::chrono::seconds(30));   // one per worker
//   for (...) {
//     beat.track(number);              // from here on beaten every interval
//     value = evaluate(params);
//     beat.untrack();
//     study.tell(number, {value});
//   }
//
// One thread serves every trial of a worker: starting a thread per trial cost ~0.1 ms,
// as much as evaluating a trial that only changes the last layer. The thread wakes once
// per interval and beats the trial tracked at that moment, so a trial tracked for longer
// than one interval is beaten at least once per interval; track/untrack only store the
// number. Pick the interval well below the stale timeout (e.g. timeout / 4). Errors while
// beating (database briefly unreachable) are swallowed: a missed beat only risks a
// spurious retry, while throwing from a background thread would kill the process.
// Ownership: holds a shared_ptr to the storage. Thread-safety: track/untrack/beats may be
// called from any thread; the storage is thread-safe by contract.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "qdse/search/storage.hpp"

namespace qdse::storage {

class HeartbeatThread {
 public:
  // Idle until track() names a trial.
  HeartbeatThread(std::shared_ptr<search::Storage> storage, std::chrono::milliseconds interval);
  // Tracks `number` from the start.
  HeartbeatThread(std::shared_ptr<search::Storage> storage, int number, std::chrono::milliseconds interval);
  ~HeartbeatThread();  // stops and joins (waits at most for one heartbeat call)
  HeartbeatThread(const HeartbeatThread&) = delete;
  HeartbeatThread& operator=(const HeartbeatThread&) = delete;

  void track(int number);  // beat this trial from now on (replaces the previous one)
  void untrack();          // stop beating (a beat already under way still completes)
  int beats() const;       // heartbeats written so far (for tests)

 private:
  void run();

  std::shared_ptr<search::Storage> storage_;
  std::chrono::milliseconds interval_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  int number_ = -1;  // tracked trial, -1 = none
  bool stop_ = false;
  int beats_ = 0;
  std::thread thread_;  // last: starts after the members it uses
};

}  // namespace qdse::storage
