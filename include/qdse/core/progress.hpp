// ProgressBar: one status line on stderr ("[####....] 120/216 ETA 3s | best 0.83").
//
// Redraws in place on a terminal and prints at most one line every few seconds
// otherwise (CI logs stay short). Disabled entirely with enabled=false (--json,
// --quiet). Thread-safety: not thread-safe; update from one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace qdse {

class ProgressBar {
 public:
  ProgressBar(std::string label, int64_t total, bool enabled = true);
  ~ProgressBar();
  // done: units finished so far; note: free text shown after the counters.
  void update(int64_t done, const std::string& note = "");
  void finish(const std::string& note = "");
  void set_total(int64_t total) { total_ = total; }

 private:
  void draw(int64_t done, const std::string& note, bool final_line);

  std::string label_;
  int64_t total_;
  bool enabled_;
  bool tty_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

// "1m23s", "4.2s", "310ms".
std::string format_duration(double seconds);

}  // namespace qdse
