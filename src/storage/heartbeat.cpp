#include "qdse/storage/heartbeat.hpp"

namespace qdse::storage {

HeartbeatThread::HeartbeatThread(std::shared_ptr<search::Storage> storage, std::chrono::milliseconds interval)
    : HeartbeatThread(std::move(storage), -1, interval) {}

HeartbeatThread::HeartbeatThread(std::shared_ptr<search::Storage> storage, int number,
                                 std::chrono::milliseconds interval)
    : storage_(std::move(storage)), interval_(interval), number_(number), thread_([this] { run(); }) {}

HeartbeatThread::~HeartbeatThread() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void HeartbeatThread::track(int number) {
  std::lock_guard lock(mutex_);
  number_ = number;
}

void HeartbeatThread::untrack() {
  std::lock_guard lock(mutex_);
  number_ = -1;
}

int HeartbeatThread::beats() const {
  std::lock_guard lock(mutex_);
  return beats_;
}

void HeartbeatThread::run() {
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, interval_, [this] { return stop_; })) {
    const int number = number_;
    if (number < 0) continue;
    lock.unlock();
    bool ok = true;
    try {
      storage_->heartbeat(number);
    } catch (...) {
      ok = false;  // see the header: a missed beat is cheaper than a dead process
    }
    lock.lock();
    if (ok) ++beats_;
  }
}

}  // namespace qdse::storage
