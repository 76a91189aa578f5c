// qdse::Error: the one error vocabulary of qdse.
//
// Every failure that a user can cause (bad config, missing file, unsupported op,
// broken database) is thrown as qdse::Error with a kind and a message that says
// the rule, what was received and where ("`weight_width` must be in [1, 32], got 40
// (config.toml:12, passes.quantize.linear.config)"). The CLI catches it at the top,
// prints it and exits non-zero. Internal invariants use QDSE_ASSERT, which aborts
// with file:line because a broken invariant is a bug, not bad input.
// Thread-safety: Error is an immutable value type.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace qdse {

enum class ErrorKind {
  Config,           // a TOML config or command-line value is invalid
  Io,               // a file is missing, unreadable or corrupt
  Import,           // a model file (ONNX, checkpoint) cannot be loaded
  UnsupportedOp,    // a graph contains an op qdse cannot run
  Storage,          // the study database is unreachable, foreign or corrupt
  InvalidArgument,  // a library call got a value outside its contract
  Interrupted,      // the user asked to stop (Ctrl-C)
};

std::string_view to_string(ErrorKind kind);

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message);
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

[[noreturn]] void assert_fail(const char* expr, const char* file, int line, const std::string& msg);

}  // namespace qdse

#define QDSE_ASSERT(cond, msg)                                      \
  do {                                                              \
    if (!(cond)) ::qdse::assert_fail(#cond, __FILE__, __LINE__, msg); \
  } while (0)
