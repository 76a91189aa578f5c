#include "qdse/io/config_warning.hpp"

#include <cstdio>
#include <mutex>
#include <set>

#include "qdse/io/toml_reader.hpp"

namespace qdse::io {

void warn_config(const std::string& message) {
  static std::mutex mutex;
  static std::set<std::string> printed;
  const std::string line = one_line_text(message);
  std::lock_guard lock(mutex);
  if (!printed.insert(line).second) return;
  std::fprintf(stderr, "warning: %s\n", line.c_str());
  std::fflush(stderr);
}

}  // namespace qdse::io
