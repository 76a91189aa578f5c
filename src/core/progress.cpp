#include "qdse/core/progress.hpp"

#include <unistd.h>

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

ProgressBar::ProgressBar(std::string label, int64_t total, bool enabled)
    : label_(std::move(label)), total_(total), enabled_(enabled), tty_(isatty(STDERR_FILENO)),
      start_(std::chrono::steady_clock::now()), last_draw_(start_ - std::chrono::hours(1)) {}

ProgressBar::~ProgressBar() {
  if (enabled_ && tty_ && !finished_) std::fputc('\n', stderr);
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
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  std::string bar;
  if (total_ > 0) {
    const int width = 24;
    const int filled = static_cast<int>(width * std::min<double>(1.0, double(done) / total_));
    bar = "[" + std::string(filled, '#') + std::string(width - filled, '.') + "] ";
  }
  std::string counts = std::to_string(done);
  if (total_ > 0) counts += "/" + std::to_string(total_);
  std::string eta;
  if (!final_line && total_ > 0 && done > 0 && done < total_)
    eta = " ETA " + format_duration(elapsed / done * (total_ - done));
  else
    eta = " " + format_duration(elapsed);
  std::fprintf(stderr, "%s%s %s%s%s%s%s", tty_ ? "\r\033[K" : "", label_.c_str(), bar.c_str(),
               counts.c_str(), eta.c_str(), note.empty() ? "" : " | ", note.c_str());
  if (!tty_ || final_line) std::fputc('\n', stderr);
  std::fflush(stderr);
}

}  // namespace qdse
