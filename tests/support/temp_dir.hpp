// TempDir: a fresh directory under the system temp dir for one test, removed when the
// object goes out of scope, but only by the process that made it (tests that fork
// workers must not have the children delete their parent's files).
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

namespace qdse::testing {

class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "qdse_test") : owner_(::getpid()) {
    std::string tmpl = (std::filesystem::temp_directory_path() / (prefix + "_XXXXXX")).string();
    if (::mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~TempDir() {
    if (::getpid() != owner_ || path_.empty()) return;
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  // Writes `text` to `name` inside the directory (binary, no newline added); returns the
  // path. Creates no folders: writing into a missing one leaves no file (tests rely on it).
  std::string write(const std::string& name, const std::string& text) const {
    const std::string p = file(name);
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }

 private:
  std::filesystem::path path_;
  pid_t owner_;
};

}  // namespace qdse::testing
