#include "qdse/data/file_reader.hpp"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "qdse/core/error.hpp"

namespace qdse::data {

namespace {

gzFile as_gz(void* f) { return static_cast<gzFile>(f); }

// gzread takes an unsigned int length; stay well inside it.
constexpr size_t kMaxChunk = size_t{1} << 30;

}  // namespace

GzReader::GzReader(const std::string& path) : path_(path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) {
    throw Error(ErrorKind::Io, path + ": file not found");
  }
  if (!std::filesystem::is_regular_file(status)) {
    throw Error(ErrorKind::Io, path + ": expected a regular file, found a directory or special file");
  }
  file_ = gzopen(path.c_str(), "rb");
  if (file_ == nullptr) {
    throw Error(ErrorKind::Io, path + ": cannot open: " + std::strerror(errno));
  }
  gzbuffer(as_gz(file_), 1 << 18);
}

GzReader::~GzReader() {
  if (file_ != nullptr) gzclose(as_gz(file_));
}

GzReader::GzReader(GzReader&& other) noexcept : path_(std::move(other.path_)), file_(other.file_) {
  other.file_ = nullptr;
}

size_t GzReader::read_some(void* dst, size_t n) {
  auto* out = static_cast<unsigned char*>(dst);
  size_t done = 0;
  while (done < n) {
    const auto want = static_cast<unsigned>(std::min(n - done, kMaxChunk));
    const int got = gzread(as_gz(file_), out + done, want);
    if (got < 0) {
      int code = 0;
      const char* msg = gzerror(as_gz(file_), &code);
      throw Error(ErrorKind::Io, path_ + ": read failed (" +
                                     (code == Z_ERRNO ? std::string(std::strerror(errno))
                                                      : std::string(msg ? msg : "corrupt gzip data")) +
                                     ")");
    }
    if (got == 0) {
      // gzread reports a gzip stream cut short as a clean end plus an error state.
      int code = 0;
      const char* msg = gzerror(as_gz(file_), &code);
      if (code != Z_OK && code != Z_STREAM_END) {
        throw Error(ErrorKind::Io, path_ + ": corrupt or truncated gzip data (" +
                                       std::string(msg ? msg : "?") + ")");
      }
      break;
    }
    done += static_cast<size_t>(got);
  }
  return done;
}

void GzReader::read_exact(void* dst, size_t n, const std::string& what) {
  const size_t got = read_some(dst, n);
  if (got != n) {
    throw Error(ErrorKind::Io, path_ + ": truncated " + what + ": expected " + std::to_string(n) +
                                   " bytes, found " + std::to_string(got));
  }
}

bool GzReader::at_end() {
  unsigned char byte = 0;
  return read_some(&byte, 1) == 0;
}

std::string read_whole_file(const std::string& path, uint64_t max_bytes) {
  GzReader reader(path);
  std::string out;
  constexpr size_t kChunk = size_t{1} << 20;
  for (;;) {
    const size_t old = out.size();
    if (old > max_bytes) {
      throw Error(ErrorKind::Io, path + ": larger than the " + std::to_string(max_bytes) +
                                     "-byte limit for this kind of file");
    }
    out.resize(old + kChunk);
    const size_t got = reader.read_some(out.data() + old, kChunk);
    out.resize(old + got);
    if (got < kChunk) break;
  }
  if (out.size() > max_bytes) {
    throw Error(ErrorKind::Io, path + ": larger than the " + std::to_string(max_bytes) +
                                   "-byte limit for this kind of file");
  }
  return out;
}

}  // namespace qdse::data
