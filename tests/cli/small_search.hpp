// A small search for end-to-end tests of `qdse search` through the binary: fmnist-mlp
// with the peer's trained weights, two layers x weight {2,4,8} x data_in {4,8}
// (36 configurations), 256 validation samples, so a run takes seconds.
// Used by the run-directory, signal and resume-fingerprint tests.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "../support/prerequisites.hpp"
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

struct SmallSearch {
  std::string preprocess = "normalize";
  int num_samples = 256;
  std::string sampler = "bruteforce";
  std::string extra;  // more top-level keys, e.g. "seed = 1\n"
  int calibration_samples = 64;
  bool auto_frac = false;  // weight_frac_width = ["auto"]: trials use the calibration ranges

  std::string toml() const {
    const std::string frac = auto_frac ? "weight_frac_width = [\"auto\"]\n" : "";
    return extra + R"(model = "fmnist-mlp"
dataset = "fashion_mnist"
preprocess = ")" + preprocess + R"("
[search.search_space]
name = "graph/quantize/mixed_precision_ptq"
setup.by = "name"
[search.search_space.seed.default.config]
name = ["NA"]
[search.search_space.seed.seq_blocks_1.config]
name = ["integer"]
data_in_width = [4, 8]
weight_width = [2, 4, 8]
)" + frac + R"([search.search_space.seed.seq_blocks_3.config]
name = ["integer"]
data_in_width = [4, 8]
weight_width = [2, 4, 8]
[search.search_space.calibration]
num_samples = )" + std::to_string(calibration_samples) + R"(
[search.strategy.sw_runner.basic_evaluation]
data_loader = "val_dataloader"
num_samples = )" + std::to_string(num_samples) + R"(
[search.strategy.setup]
sampler = ")" + sampler + R"("
n_trials = 1000
[search.strategy.metrics]
accuracy.scale = 1.0
accuracy.direction = "maximize"
average_bitwidth.scale = -0.00625
average_bitwidth.direction = "minimize"
)";
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

}  // namespace qdse::testing
