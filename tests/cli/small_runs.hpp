// Runs of the small search (small_search.hpp) that several report tests share: a run with a
// given sampler and trial count, and the sensitivity table measured into a run directory
// with its report rewritten. A command that fails fails the calling test.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "cli_runner.hpp"
#include "small_search.hpp"

namespace qdse::testing {

// Writes dir/NAME.toml (the small search with `sampler`, `n_trials`) and runs it into
// dir/NAME; returns the run directory.
inline std::filesystem::path run_small_sampler(const std::filesystem::path& dir, const std::string& name,
                                               const std::string& sampler, int n_trials) {
  SmallSearch s;
  s.sampler = sampler;
  s.n_trials = n_trials;
  const auto config = dir / (name + ".toml");
  write_text(config, s.toml());
  const auto r = run_small_search(config, "--out " + shell_quote(dir / name), dir);
  EXPECT_EQ(r.status, 0) << r.err;
  return dir / name;
}

// `qdse sensitivity --config CONFIG --out RUN` (RUN/sensitivity.json), then `qdse report RUN`.
inline void measure_sensitivity_into(const std::filesystem::path& config, const std::filesystem::path& run,
                                     const std::filesystem::path& dir) {
  auto r = run_qdse("-q sensitivity --config " + shell_quote(config) + " --load " +
                        shell_quote(small_search_weights()) + " --out " + shell_quote(run),
                    dir);
  EXPECT_EQ(r.status, 0) << r.err;
  r = run_qdse("-q report " + shell_quote(run), dir);
  EXPECT_EQ(r.status, 0) << r.err;
}

}  // namespace qdse::testing
