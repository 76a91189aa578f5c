// HeartbeatThread: keeps one Running trial's heartbeat fresh while it is evaluated, so
// fail_stale_trials on another worker does not mistake a long evaluation for a dead one.
//
//   { HeartbeatThread beat(storage, number, std::chrono::seconds(30));
//     value = evaluate(params); }          // beating stops here
//   study.tell(number, {value});
//
// Pick the interval well below the stale timeout (e.g. timeout / 4). Errors while
// beating (database briefly unreachable) are swallowed: a missed beat only risks a
// spurious retry, while throwing from a background thread would kill the process.
// Ownership: holds a shared_ptr to the storage. Thread-safety: the object itself is
// used by one thread; the storage is thread-safe by contract.
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
  HeartbeatThread(std::shared_ptr<search::Storage> storage, int number, std::chrono::milliseconds interval);
  ~HeartbeatThread();  // stops and joins (waits at most for one heartbeat call)
  HeartbeatThread(const HeartbeatThread&) = delete;
  HeartbeatThread& operator=(const HeartbeatThread&) = delete;

  int beats() const;  // heartbeats written so far (for tests)

 private:
  void run();

  std::shared_ptr<search::Storage> storage_;
  int number_;
  std::chrono::milliseconds interval_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  int beats_ = 0;
  std::thread thread_;  // last: starts after the members it uses
};

}  // namespace qdse::storage
