// What the bench programs share: their command lines read with CLI11, as qdse's own
// (`--help` lists the flags and exits 0; an unknown flag or a bad value is a
// qdse::Error, so main's catch prints it and exits 1), and a wall-clock timer.
#pragma once

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdlib>
#include <functional>

#include "qdse/core/error.hpp"

namespace qdse::bench {

inline void parse_bench_args(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    std::exit(app.exit(e));
  } catch (const CLI::ParseError& e) {
    throw Error(ErrorKind::InvalidArgument, e.what());
  }
}

// Wall seconds f() takes.
inline double seconds_of(const std::function<void()>& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace qdse::bench
