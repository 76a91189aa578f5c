#include "qdse/core/file_write.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "qdse/core/error.hpp"

namespace qdse {

std::string csv_escape(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

void write_file_atomic(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp";
  // Leaves nothing behind when the write or the rename fails (full disk, no permission).
  const auto fail = [&](const std::string& what) {
    std::error_code ignored;
    std::filesystem::remove(tmp, ignored);
    throw Error(ErrorKind::Io, what);
  };
  {
    std::ofstream out(tmp, std::ios::trunc | std::ios::binary);
    if (!out) fail("cannot write " + tmp);
    out << content;
    out.flush();
    if (!out) fail("write failed (disk full?): " + path);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) fail("cannot rename " + tmp + " to " + path + ": " + ec.message());
}

}  // namespace qdse
