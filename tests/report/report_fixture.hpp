// Shared setup of the report/compare CLI tests: a small learnable CSV dataset
// (16 features, 5 classes, written by the test), jsc-toy trained on it once with
// `qdse train`, and configs whose space has 4^3 = 64 configurations (three linear
// layers x data_in_width {4, 8} x weight_width {2, 8}).
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "../cli/cli_runner.hpp"

namespace qdse::report_test {

// The CLI tests' runner and file readers (tests/cli/cli_runner.hpp), under this suite's names.
using Run = testing::CliResult;
using testing::read_json;
using testing::run_qdse;
inline std::string slurp(const std::filesystem::path& p) { return testing::read_text(p); }

struct Fixture {
  std::filesystem::path dir;
  std::string single_config;  // scalar objective with a constraint, random sampler, 30 trials
  std::string multi_config;   // accuracy (max) x model_size_bytes (min), brute force over 64
};

inline std::string config_text(const std::filesystem::path& dir, bool multi) {
  std::ostringstream c;
  c << "model = \"jsc-toy\"\ndataset = \"csv\"\ndataset_path = \"" << (dir / "data").string() << "\"\n"
    << "max_epochs = 30\nbatch_size = 64\nlearning_rate = 0.01\nseed = 0\n"
    << "checkpoint_dir = \"" << (dir / "ckpt").string() << "\"\n"
    << "[search.search_space]\nname = \"graph/quantize/mixed_precision_ptq\"\nsetup.by = \"name\"\n"
    << "[search.search_space.seed.default.config]\nname = [\"NA\"]\n";
  for (const char* layer : {"seq_blocks_2", "seq_blocks_5", "seq_blocks_8"})
    c << "[search.search_space.seed." << layer << ".config]\nname = [\"integer\"]\n"
      << "data_in_width = [4, 8]\ndata_in_frac_width = [\"auto\"]\nweight_width = [2, 8]\n"
      << "weight_frac_width = [\"auto\"]\nbias_width = [8]\nbias_frac_width = [\"auto\"]\n";
  c << "[search.strategy]\nname = \"optuna\"\n[search.strategy.sw_runner.basic_evaluation]\n"
    << "data_loader = \"test_dataloader\"\nnum_samples = 0\n[search.strategy.setup]\n";
  if (multi)
    c << "sampler = \"bruteforce\"\nn_trials = 64\nsum_scaled_metrics = false\nseed = 0\n"
      << "[search.strategy.metrics]\naccuracy.scale = 1.0\naccuracy.direction = \"maximize\"\n"
      << "model_size_bytes.scale = 1.0\nmodel_size_bytes.direction = \"minimize\"\n";
  else
    c << "sampler = \"random\"\nn_trials = 30\nsum_scaled_metrics = true\ndirection = \"maximize\"\nseed = 0\n"
      << "[search.strategy.metrics]\naccuracy.scale = 1.0\naccuracy.direction = \"maximize\"\n"
      << "average_bitwidth.scale = -0.00625\naverage_bitwidth.direction = \"minimize\"\n"
      << "[search.strategy.constraints]\naccuracy = \">= 0.85 * float\"\n";
  return c.str();
}

// Built once per test executable.
inline const Fixture& fixture() {
  static const Fixture f = [] {
    Fixture x;
    x.dir = std::filesystem::temp_directory_path() / ("qdse-report-" + std::to_string(::getpid()));
    std::filesystem::remove_all(x.dir);
    std::filesystem::create_directories(x.dir / "data");
    // label = argmax of 5 fixed linear functions of 16 features in [-1, 1].
    uint64_t s = 12345;
    auto next = [&s] {
      s = s * 6364136223846793005ULL + 1442695040888963407ULL;
      return static_cast<double>(s >> 11) / 9007199254740992.0 * 2 - 1;
    };
    double w[5][16];
    for (auto& row : w)
      for (double& v : row) v = next();
    for (const auto& [name, n] : {std::pair<const char*, int>{"train.csv", 1200}, {"test.csv", 400}}) {
      std::ofstream out(x.dir / "data" / name);
      for (int j = 0; j < 16; ++j) out << "f" << j << ",";
      out << "label\n";
      for (int i = 0; i < n; ++i) {
        double xs[16];
        for (double& v : xs) v = next();
        int best = 0;
        double best_score = -1e9;
        for (int c = 0; c < 5; ++c) {
          double score = 0;
          for (int j = 0; j < 16; ++j) score += w[c][j] * xs[j];
          if (score > best_score) best_score = score, best = c;
        }
        for (double v : xs) out << v << ",";
        out << best << "\n";
      }
    }
    x.single_config = (x.dir / "single.toml").string();
    x.multi_config = (x.dir / "multi.toml").string();
    std::ofstream(x.single_config) << config_text(x.dir, false);
    std::ofstream(x.multi_config) << config_text(x.dir, true);
    const auto r = run_qdse("-q train --config '" + x.single_config + "'", x.dir / "train");
    if (r.status != 0) ADD_FAILURE() << "qdse train failed: " << r.err;
    return x;
  }();
  return f;
}

inline bool is_png(const std::filesystem::path& p) {
  const std::string s = slurp(p);
  return s.size() > 8 && s.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0;
}

inline bool is_svg(const std::filesystem::path& p) {
  const std::string s = slurp(p);
  return s.size() > 100 && s.find("<svg") != std::string::npos && s.find("</svg>") != std::string::npos;
}

}  // namespace qdse::report_test
