// The result cache keys on the configuration's value (issue 14, item 4): two ternary
// thresholds that describe() prints alike ("t=0.05") are two configurations. With the
// old describe()-text keys the second trial of this search was answered from the
// cache with the first one's metrics (`1 repeated configurations answered from cache`).
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "../support/prerequisites.hpp"
#include "../support/search_toml.hpp"
#include "cli_runner.hpp"

namespace qdse::cli {
namespace {

namespace fs = std::filesystem;
using namespace qdse::testing;

TEST(ResultCacheKey, ThresholdsThatPrintAlikeAreTwoConfigurations) {
  const std::string weights = peer_model("fmnist-mlp.json");
  QDSE_REQUIRE(fs::exists(weights) && fs::exists(fashion_mnist_dir()),
               "needs " << weights << " and " << fashion_mnist_dir());
  const auto dir = scratch_dir("result-cache-key");
  write_text(dir / "ternary.toml",
             SearchToml{.layers = {{"seq_blocks_1", "name = [\"ternary\"]\ndata_in_threshold = [0.5]\n"
                                                    "weight_threshold = [0.05, 0.05000001]\n"}},
                        .data_loader = "test_dataloader", .num_samples = 256, .n_trials = 2}
                 .toml());
  const auto r = run_qdse("-q search --config '" + (dir / "ternary.toml").string() + "' --load '" + weights +
                              "' --out '" + (dir / "run").string() + "'",
                          dir);
  ASSERT_EQ(r.status, 0) << r.err;
  const auto trials = nlohmann::json::parse(read_text(dir / "run" / "trials.json"));
  ASSERT_EQ(trials.size(), 2u);
  EXPECT_NE(trials[0].at("params"), trials[1].at("params"));
  for (const auto& t : trials) {
    EXPECT_EQ(t.at("state"), "COMPLETE");
    EXPECT_EQ(t.at("metrics").at("cached"), 0.0) << "trial " << t.at("number");
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace qdse::cli
