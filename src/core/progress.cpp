#include "qdse/core/progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace qdse {

std::string format_duration(double s) {
  char buf[64];
  if (!std::isfinite(s) || s < 0) return "?";
  if (s < 1) std::snprintf(buf, sizeof buf, "%.0fms", s * 1e3);
  else if (s < 60) std::snprintf(buf, sizeof buf, "%.1fs", s);
  else if (s < 3600) std::snprintf(buf, sizeof buf, "%dm%02ds", int(s) / 60, int(s) % 60);
  else std::snprintf(buf, sizeof buf, "%dh%02dm", int(s) / 3600, (int(s) % 3600) / 60);
  return buf;
}

std::optional<double> eta_seconds(double elapsed, int64_t done, int64_t total) {
  constexpr double kMinSeconds = 1.0;
  constexpr int64_t kMinUnits = 3;
  if (total <= 0 || done <= 0 || done >= total || !(elapsed >= kMinSeconds)) return std::nullopt;
  if (done < kMinUnits && done * 20 < total) return std::nullopt;  // < 3 units and < 5%
  return elapsed / static_cast<double>(done) * static_cast<double>(total - done);
}

std::string format_progress_line(const std::string& label, int64_t done, int64_t total, double elapsed,
                                 const std::string& note, bool final_line) {
  std::string bar;
  if (total > 0) {
    const int width = 24;
    const int filled = static_cast<int>(width * std::clamp(double(done) / double(total), 0.0, 1.0));
    bar = "[" + std::string(filled, '#') + std::string(width - filled, '.') + "] ";
  }
  std::string counts = std::to_string(done);
  if (total > 0) counts += "/" + std::to_string(total);
  const auto eta = final_line ? std::nullopt : eta_seconds(elapsed, done, total);
  const std::string time = eta ? " ETA " + format_duration(*eta) : " " + format_duration(elapsed);
  return label + " " + bar + counts + time + (note.empty() ? "" : " | " + note);
}

ProgressBar::ProgressBar(std::string label, int64_t total, bool enabled)
    : label_(std::move(label)), total_(total), enabled_(enabled), tty_(isatty(STDERR_FILENO)),
      start_(std::chrono::steady_clock::now()), last_draw_(start_ - std::chrono::hours(1)) {}

ProgressBar::~ProgressBar() {
  if (enabled_ && tty_ && !finished_) std::fputc('\n', stderr);
}

void ProgressBar::restart() {
  start_ = std::chrono::steady_clock::now();
}

void ProgressBar::print_line(const std::string& line) {
  std::fprintf(stderr, "%s%s\n", enabled_ && tty_ ? "\r\033[K" : "", line.c_str());
  std::fflush(stderr);
}

void ProgressBar::update(int64_t done, const std::string& note) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  // A terminal redraws 10 times a second; a log file gets a line every 5 seconds.
  const auto every = tty_ ? std::chrono::milliseconds(100) : std::chrono::milliseconds(5000);
  if (now - last_draw_ < every) return;
  last_draw_ = now;
  draw(done, note, false);
}

void ProgressBar::finish(const std::string& note) {
  if (!enabled_ || finished_) return;
  finished_ = true;
  draw(total_, note, true);
}

void ProgressBar::draw(int64_t done, const std::string& note, bool final_line) {
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const std::string line = format_progress_line(label_, done, total_, elapsed, note, final_line);
  // Only a terminal gets "\r" + erase-line; a log file gets plain lines.
  std::fprintf(stderr, "%s%s", tty_ ? "\r\033[K" : "", line.c_str());
  if (!tty_ || final_line) std::fputc('\n', stderr);
  std::fflush(stderr);
}

}  // namespace qdse
