// A small search for end-to-end tests of `qdse search` through the binary: fmnist-mlp
// with the peer's trained weights, two layers x weight {2,4,8} x data_in {4,8}
// (36 configurations), 256 validation samples, so a run takes seconds.
// Used by the run-directory, signal, resume-fingerprint, study-trust and storage tests.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "../support/prerequisites.hpp"
#include "../support/search_toml.hpp"
#include "cli_runner.hpp"

namespace qdse::testing {

inline const std::string& small_search_weights() {
  static const std::string w = peer_model("fmnist-mlp.json");
  return w;
}

inline bool have_small_search_inputs() {
  return std::filesystem::exists(small_search_weights()) && std::filesystem::exists(fashion_mnist_dir());
}

#define QDSE_REQUIRE_SMALL_SEARCH()                                 \
  QDSE_REQUIRE(::qdse::testing::have_small_search_inputs(),        \
               "needs " << ::qdse::testing::small_search_weights() \
                        << " and " << ::qdse::testing::fashion_mnist_dir())

// The small search above as a SearchToml preset: tests change its fields (num_samples,
// preprocess, sampler, head, calibration_samples...) and call toml().
struct SmallSearch : SearchToml {
  bool auto_frac = false;  // weight_frac_width = ["auto"] for seq_blocks_1: trials use the calibration ranges
  std::string first_weight_widths = "[2, 4, 8]";  // seq_blocks_1's weight_width choices

  SmallSearch()
      : SearchToml{.dataset = "fashion_mnist", .preprocess = "normalize", .calibration_samples = 64,
                   .data_loader = "val_dataloader", .num_samples = 256,
                   .metrics = accuracy_metric() + minimized_metric("average_bitwidth", "-0.00625")} {}

  std::string toml() const {
    SearchToml t = *this;
    const std::string frac = auto_frac ? "weight_frac_width = [\"auto\"]\n" : "";
    t.layers = {{"seq_blocks_1", integer_layer("[4, 8]", first_weight_widths, frac)},
                {"seq_blocks_3", integer_layer("[4, 8]", "[2, 4, 8]")}};
    return t.toml();
  }
};

// `qdse -q search --config <config> --load <weights> <extra>` (weights: the peer's).
inline CliResult run_small_search(const std::filesystem::path& config, const std::string& extra,
                                  const std::filesystem::path& scratch, const std::string& weights = "") {
  return run_qdse("-q search --config '" + config.string() + "' --load '" +
                      (weights.empty() ? small_search_weights() : weights) + "' " + extra,
                  scratch);
}

// Number of lines of a message (a clean error is one line).
inline int line_count(const std::string& s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n + (!s.empty() && s.back() != '\n');
}

// Runs the small search once per case {config lines, expected text}, the config made from the
// lines by `make_config`: each must exit 1 with one stderr line that holds the expected text and
// the config's file name, and leave no run directory.
inline void expect_bad_search_configs(const std::filesystem::path& dir,
                                      const std::vector<std::pair<std::string, std::string>>& cases,
                                      const std::function<std::string(const std::string&)>& make_config) {
  int i = 0;
  for (const auto& [lines, expected] : cases) {
    const auto cfg = dir / ("bad" + std::to_string(i) + ".toml");
    const auto run = dir / ("run" + std::to_string(i++));
    write_text(cfg, make_config(lines));
    const auto r = run_small_search(cfg, "--out '" + run.string() + "'", dir);
    EXPECT_EQ(r.status, 1) << lines;
    EXPECT_NE(r.err.find(expected), std::string::npos) << lines << ": " << r.err;
    EXPECT_NE(r.err.find(cfg.filename().string()), std::string::npos) << lines << ": " << r.err;
    EXPECT_EQ(line_count(r.err), 1) << r.err;
    EXPECT_FALSE(std::filesystem::exists(run)) << "nothing written for " << lines;
  }
}

// The same as a test of its own: skips (fails on CI) without the small search's inputs,
// then runs `cases` in a fresh scratch_dir(scratch).
inline void expect_bad_search_keys(const std::string& scratch,
                                   const std::function<std::string(const std::string&)>& make_config,
                                   const std::vector<std::pair<std::string, std::string>>& cases) {
  QDSE_REQUIRE_SMALL_SEARCH();
  expect_bad_search_configs(scratch_dir(scratch), cases, make_config);
}

}  // namespace qdse::testing
