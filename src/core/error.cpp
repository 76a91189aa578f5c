#include "qdse/core/error.hpp"

#include <cstdio>
#include <cstdlib>

namespace qdse {

std::string_view to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::Config: return "config error";
    case ErrorKind::Io: return "I/O error";
    case ErrorKind::Import: return "import error";
    case ErrorKind::UnsupportedOp: return "unsupported op";
    case ErrorKind::Storage: return "storage error";
    case ErrorKind::InvalidArgument: return "invalid argument";
    case ErrorKind::Interrupted: return "interrupted";
  }
  return "error";
}

Error::Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}

void assert_fail(const char* expr, const char* file, int line, const std::string& msg) {
  std::fprintf(stderr, "qdse: internal error: %s:%d: assertion `%s` failed: %s\n", file, line, expr,
               msg.c_str());
  std::abort();
}

}  // namespace qdse
