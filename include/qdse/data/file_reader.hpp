// Reading data files that may be gzip-compressed, with errors that name the file.
//
// zlib's gzread reads gzip and plain files alike, so every loader accepts
// `foo` and `foo.gz` without caring which. GzReader reads exact byte counts and
// turns short reads, corrupt gzip streams and I/O errors into Error(Io) naming
// the path and what was being read; it never reads past the buffers it is given.
// Ownership: GzReader owns its zlib handle (move-only). Thread-safety: one
// GzReader per thread; the free functions are reentrant.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace qdse::data {

class GzReader {
 public:
  // Throws Error(Io) if `path` is missing, not a regular file or unreadable.
  explicit GzReader(const std::string& path);
  ~GzReader();
  GzReader(GzReader&& other) noexcept;
  GzReader(const GzReader&) = delete;
  GzReader& operator=(const GzReader&) = delete;
  GzReader& operator=(GzReader&&) = delete;

  // Reads up to n bytes; returns how many were read (less only at end of data).
  size_t read_some(void* dst, size_t n);
  // Reads exactly n bytes or throws Error(Io): "<path>: truncated <what>: expected
  // N bytes, found M".
  void read_exact(void* dst, size_t n, const std::string& what);
  // True if no byte is left (consumes at most one byte to find out).
  bool at_end();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  void* file_ = nullptr;  // gzFile; void* keeps <zlib.h> out of the header
};

// The whole (decompressed) content of `path`. Throws Error(Io) when missing,
// unreadable or corrupt, or when it would exceed max_bytes.
std::string read_whole_file(const std::string& path, uint64_t max_bytes = uint64_t{8} << 30);

}  // namespace qdse::data
