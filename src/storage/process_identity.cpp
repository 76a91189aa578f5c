#include "qdse/storage/process_identity.hpp"

#include <unistd.h>

#include <fstream>
#include <mutex>
#include <sstream>

namespace qdse::storage {
namespace {

std::string first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// "<boot id>/<pid namespace inode>" of this process: processes with the same prefix see
// the same pid numbering and the same /proc. "" when either is unreadable.
const std::string& kernel_and_namespace() {
  static const std::string prefix = [] {
    const std::string boot = first_line("/proc/sys/kernel/random/boot_id");
    char link[128] = {};
    const ssize_t n = ::readlink("/proc/self/ns/pid", link, sizeof link - 1);
    if (boot.empty() || n <= 0) return std::string();
    return boot + "/" + std::string(link, static_cast<std::size_t>(n));
  }();
  return prefix;
}

// Field 22 (starttime) of /proc/<pid>/stat, "" for a missing process or a zombie. The
// second field (comm) may hold spaces and parentheses, so parsing starts after the
// last ')'.
std::string start_ticks(long long pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return "";
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return "";
  std::istringstream fields(stat.substr(close + 1));
  std::string field;
  // After comm: field 3 is the state, field 22 the start time.
  for (int i = 3; i <= 22; ++i) {
    if (!(fields >> field)) return "";
    if (i == 3 && (field == "Z" || field == "X" || field == "x")) return "";  // zombie or dead: not running
  }
  return field;
}

}  // namespace

std::string process_start_token(long long pid) {
  if (pid <= 0 || kernel_and_namespace().empty()) return "";
  const std::string ticks = start_ticks(pid);
  return ticks.empty() ? "" : kernel_and_namespace() + "/" + ticks;
}

ProcessIdentity this_process() {
  // Cached per pid: a forked child (tests fork workers) must not record its parent.
  static std::mutex mutex;
  static ProcessIdentity self;
  const long long pid = static_cast<long long>(::getpid());
  std::lock_guard lock(mutex);
  if (self.pid != pid) {
    ProcessIdentity id;
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) == 0) id.host = host;
    id.pid = pid;
    id.start = process_start_token(pid);
    self = std::move(id);
  }
  return self;
}

ProcessLiveness liveness(const ProcessIdentity& id) {
  const std::string& prefix = kernel_and_namespace();
  if (id.pid <= 0 || id.start.empty() || prefix.empty()) return ProcessLiveness::Unknown;
  // Another kernel (host, or this host before a reboot) or another pid namespace: its
  // pid means nothing here.
  if (id.start.compare(0, prefix.size(), prefix) != 0 || id.start.size() <= prefix.size() ||
      id.start[prefix.size()] != '/')
    return ProcessLiveness::Unknown;
  return process_start_token(id.pid) == id.start ? ProcessLiveness::Alive : ProcessLiveness::Dead;
}

}  // namespace qdse::storage
