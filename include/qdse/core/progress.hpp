// ProgressBar: one status line on stderr ("[####....] 120/216 ETA 3s | best 0.83").
//
// Redraws in place on a terminal and prints at most one line every few seconds
// otherwise (CI logs stay short); only a terminal gets escape sequences. Disabled
// entirely with enabled=false (--json, --quiet). A bar may be restarted for a new
// phase (an epoch): its ETA then extrapolates from that phase only, and only once
// enough of it is done (see eta_seconds). Thread-safety: not thread-safe; update from
// one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
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
  // Starts a new phase (an epoch): the clock, and with it the ETA, start over.
  void restart();
  // Prints `line` and a newline on stderr, clearing the bar first on a terminal (the
  // next update redraws it below). Prints even when the bar is disabled.
  void print_line(const std::string& line);

 private:
  void draw(int64_t done, const std::string& note, bool final_line);

  std::string label_;
  int64_t total_;
  bool enabled_;
  bool tty_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

// Seconds left for a phase `elapsed` seconds in with `done` of `total` units done, or
// nullopt while there is too little to extrapolate from: under 1 s, or fewer than 3
// units and under 5% of the total (one batch into an epoch says little about the rest).
std::optional<double> eta_seconds(double elapsed, int64_t done, int64_t total);

// The bar's text without terminal escapes: "label [###.....] 3/10 ETA 7.0s | note", or
// with the elapsed time instead of the ETA on the final line and while no ETA is known.
std::string format_progress_line(const std::string& label, int64_t done, int64_t total, double elapsed,
                                 const std::string& note, bool final_line);

// "1m23s", "4.2s", "310ms".
std::string format_duration(double seconds);

}  // namespace qdse
