// The seed lab's example configs (configs/seed_flow/) parse and describe the spaces
// their comments promise, through `qdse space` as a user would run it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "cli_runner.hpp"

namespace {

using namespace qdse::testing;

struct SeedFlowCase {
  const char* config;
  uint64_t size;
  size_t dimensions;  // with more than one choice
};

class SeedFlowConfigs : public ::testing::TestWithParam<SeedFlowCase> {};

TEST_P(SeedFlowConfigs, SpaceHasTheDocumentedSize) {
  const auto& c = GetParam();
  const auto r = run_qdse(std::string("--json space --config configs/seed_flow/") + c.config,
                          scratch_dir("seed-flow"));
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("size").get<uint64_t>(), c.size);
  // Every key is a dimension (MASE's flattening); those with more than one choice are searched.
  size_t searched = 0;
  for (const auto& d : j.at("dimensions"))
    if (d.at("choices").get<std::string>().find(',') != std::string::npos) ++searched;
  EXPECT_EQ(searched, c.dimensions);
}

INSTANTIATE_TEST_SUITE_P(All, SeedFlowConfigs,
                         ::testing::Values(SeedFlowCase{"fmnist_mlp_by_type.toml", 81, 4},
                                           SeedFlowCase{"fmnist_mlp_by_name.toml", 216, 6},
                                           SeedFlowCase{"jsc_tiny_by_type.toml", 24, 4},
                                           SeedFlowCase{"jsc_tiny_by_name.toml", 54, 4}));

}  // namespace
