// n_jobs is bounded by what the machine and OpenBLAS support, with the same rule for
// the config key and the flag (issue 13, item 10): `n_jobs = 100000` used to grow to
// 4.4 GB and abort, `--n-jobs 200` to crash inside OpenBLAS. Above the bound: one
// located line on stderr and exit 1, before any model or data is loaded. At the bound:
// the search runs.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "../support/prerequisites.hpp"
#include "../support/search_toml.hpp"
#include "cli_runner.hpp"
#include "qdse/pipeline/thread_budget.hpp"

namespace qdse::cli {
namespace {

namespace fs = std::filesystem;
using namespace qdse::testing;

// fmnist-mlp, 4 configurations, 32 validation samples; `n_jobs_line` goes into [setup].
std::string config_text(const std::string& n_jobs_line) {
  return SearchToml{.dataset = "fashion_mnist", .preprocess = "normalize",
                    .layers = {{"seq_blocks_5", integer_layer("[4, 8]", "[4, 8]")}},
                    .data_loader = "test_dataloader", .num_samples = 32, .n_trials = 100, .setup = n_jobs_line + "\n"}
      .toml();
}

int lines(const std::string& text) { return static_cast<int>(std::count(text.begin(), text.end(), '\n')); }

std::string shell_path(const fs::path& p) { return "'" + p.string() + "'"; }

TEST(NJobs, ConfigValuesAboveTheBoundAreOneLocatedLine) {
  const auto dir = scratch_dir("njobs-config");
  const int most = pipeline::max_n_jobs();
  for (const std::string& value : std::vector<std::string>{"100000", std::to_string(most + 1), "1099511627776", "0", "-3"}) {
    const auto cfg = dir / ("n" + value + ".toml");
    write_text(cfg, config_text("n_jobs = " + value));
    const auto r = run_qdse("search --config " + shell_path(cfg) + " --out " + shell_path(dir / ("run" + value)), dir);
    EXPECT_EQ(r.status, 1) << value << ": " << r.err;
    EXPECT_EQ(lines(r.err), 1) << value << ": " << r.err;
    EXPECT_NE(r.err.find("n_jobs"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(cfg.filename().string()), std::string::npos) << "names the file: " << r.err;
    if (value != "0" && value != "-3") {
      EXPECT_NE(r.err.find("use at most " + std::to_string(most)), std::string::npos) << r.err;
    }
    EXPECT_FALSE(fs::exists(dir / ("run" + value))) << "nothing written for a refused config";
  }
}

TEST(NJobs, FlagValuesAboveTheBoundAreOneLine) {
  const auto dir = scratch_dir("njobs-flag");
  const auto cfg = dir / "c.toml";
  write_text(cfg, config_text(""));
  const int most = pipeline::max_n_jobs();
  for (const std::string& value : std::vector<std::string>{"200", "1024", "1025", std::to_string(most + 1)}) {
    const auto r =
        run_qdse("search --config " + shell_path(cfg) + " --n-jobs " + value + " --out " + shell_path(dir / "run"), dir);
    EXPECT_EQ(r.status, 1) << value << ": " << r.err;
    EXPECT_EQ(lines(r.err), 1) << value << ": " << r.err;
    EXPECT_NE(r.err.find("--n-jobs"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("use at most " + std::to_string(most)), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(dir / "run"));
  }
}

TEST(NJobs, TheBoundItselfRuns) {
  const std::string weights = peer_model("fmnist-mlp.json");
  QDSE_REQUIRE(fs::exists(weights), "peer weights at " << weights);
  QDSE_REQUIRE(fs::exists(fashion_mnist_dir()), "Fashion-MNIST");
  const auto dir = scratch_dir("njobs-max");
  const auto cfg = dir / "c.toml";
  const int most = pipeline::max_n_jobs();
  write_text(cfg, config_text("n_jobs = " + std::to_string(most)));
  const auto r = run_qdse("-q search --config " + shell_path(cfg) + " --load " + shell_path(weights) +
                              " --storage memory: --out " + shell_path(dir / "run"),
                          dir);
  ASSERT_EQ(r.status, 0) << r.err;
  const auto best = nlohmann::json::parse(read_text(dir / "run" / "best.json"));
  EXPECT_EQ(best.at("provenance").at("n_jobs"), most);
  EXPECT_EQ(best.at("summary").at("trials"), 4);
  EXPECT_EQ(best.at("summary").at("failed"), 0);
}

}  // namespace
}  // namespace qdse::cli
