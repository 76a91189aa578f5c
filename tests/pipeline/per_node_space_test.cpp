// setup.per_node: one seed table per op type, one independent choice per node (the
// per-layer spaces of real networks), against the default where a type shares one choice.
#include <gtest/gtest.h>

#include <string>

#include "../support/errors.hpp"
#include "../support/temp_dir.hpp"
#include "qdse/io/run_config.hpp"
#include "qdse/ir/zoo.hpp"
#include "qdse/pipeline/quant_space.hpp"
#include "qdse/pipeline/search_config.hpp"

namespace qdse::pipeline {
namespace {

// fmnist-mlp has three linear layers: seq_blocks_1, _3, _5.
std::string per_node_toml(const std::string& setup) {
  return "model = \"fmnist-mlp\"\n[search.search_space]\n" + setup +
         "\n[search.search_space.seed.default.config]\nname = [\"NA\"]\n"
         "[search.search_space.seed.linear.config]\nname = [\"integer\"]\n"
         "data_in_width = [8]\ndata_in_frac_width = [4]\nweight_width = [2, 4, 8]\nweight_frac_width = [1]\n";
}

// Params of `space` whose name starts with `prefix`.
int params_under(const QuantSpace& space, const std::string& prefix) {
  int n = 0;
  for (const auto& name : space.space().names()) n += name.rfind(prefix, 0) == 0 ? 1 : 0;
  return n;
}

SpaceConfig space_of(const qdse::testing::TempDir& dir, const std::string& setup) {
  return parse_search_config(io::load_run_config(dir.write("space.toml", per_node_toml(setup))), SearchParts::Space).space;
}

TEST(PerNodeSpace, EachNodeOfTheTypeGetsItsOwnChoices) {
  const qdse::testing::TempDir dir("per_node");
  const ir::Graph g = ir::build_zoo_model("fmnist-mlp");
  const QuantSpace shared(space_of(dir, "setup.by = \"type\""), g);
  const QuantSpace per_node(space_of(dir, "setup.by = \"type\"\nsetup.per_node = true"), g);
  EXPECT_EQ(params_under(shared, "linear/"), 5);  // name, data_in_*, weight_*: shared by all three
  EXPECT_EQ(params_under(shared, "seq_blocks_"), 0);
  EXPECT_EQ(params_under(per_node, "linear/"), 0);
  for (const char* node : {"seq_blocks_1/", "seq_blocks_3/", "seq_blocks_5/"})
    EXPECT_EQ(params_under(per_node, node), 5) << node;
  EXPECT_EQ(*per_node.space().size(), *shared.space().size() * 3 * 3);  // two more free weight widths
}

TEST(PerNodeSpace, PerNodeWithByNameIsALocatedError) {
  const qdse::testing::TempDir dir("per_node");
  const std::string e = qdse::testing::error_of([&] { space_of(dir, "setup.by = \"name\"\nsetup.per_node = true"); });
  EXPECT_CONTAINS(e, "space.toml:");
  EXPECT_CONTAINS(e, "per_node");
  EXPECT_EQ(e.find('\n'), std::string::npos) << e;
}

}  // namespace
}  // namespace qdse::pipeline
