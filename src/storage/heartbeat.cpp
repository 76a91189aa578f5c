#include "qdse/storage/heartbeat.hpp"

namespace qdse::storage {

HeartbeatThread::HeartbeatThread(std::shared_ptr<search::Storage> storage, int number,
                                 std::chrono::milliseconds interval)
    : storage_(std::move(storage)), number_(number), interval_(interval), thread_([this] { run(); }) {}

HeartbeatThread::~HeartbeatThread() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

int HeartbeatThread::beats() const {
  std::lock_guard lock(mutex_);
  return beats_;
}

void HeartbeatThread::run() {
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, interval_, [this] { return stop_; })) {
    lock.unlock();
    bool ok = true;
    try {
      storage_->heartbeat(number_);
    } catch (...) {
      ok = false;  // see the header: a missed beat is cheaper than a dead process
    }
    lock.lock();
    if (ok) ++beats_;
  }
}

}  // namespace qdse::storage
