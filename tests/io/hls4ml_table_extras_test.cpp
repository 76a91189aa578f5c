// The certified part of the hls4ml table (issue 16): accum, the default result of a layer
// no consumer quantizes, ReuseFactor/Strategy, and the dict form of the same table.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "qdse/io/hls4ml_export.hpp"
#include "qdse/ir/zoo.hpp"

namespace qdse::io {
namespace {

// fmnist-mlp: flatten, linear seq_blocks_1, relu, linear seq_blocks_3, relu, linear seq_blocks_5.
// seq_blocks_3 reads relu seq_blocks_2 (its data_in sets that result); seq_blocks_5's data_in is
// not given, so seq_blocks_3's result is its exact sum (= accum) and seq_blocks_4 gets nothing.
std::vector<LayerPrecision> extras_layers() {
  LayerPrecision a{"seq_blocks_1", 8, 4, 8, 6, 16, 10};
  a.accum_width = 25;
  a.accum_frac = 10;
  a.reuse_factor = 4;
  a.strategy = "Resource";
  LayerPrecision b{"seq_blocks_3", 6, 3, 4, 3, 8, 5};
  b.accum_width = 17;
  b.accum_frac = 6;
  return {a, b};
}

TEST(Hls4mlTableExtras, AccumResultAndImplementationKeys) {
  const auto g = ir::build_zoo_model("fmnist-mlp");
  const std::string yaml = hls4ml_precision_table(g, extras_layers(), {"x"});
  const std::string want =
      "LayerName:\n"
      "  seq_blocks_1:\n"
      "    Precision:\n"
      "      weight: ap_fixed<8,2>\n"
      "      bias: ap_fixed<16,6>\n"
      "      accum: ap_fixed<25,15>\n"
      "      result: ap_fixed<25,15>\n"
      "    ReuseFactor: 4\n"
      "    Strategy: Resource\n"
      "  seq_blocks_0:\n"
      "    Precision:\n"
      "      result: ap_fixed<8,4>\n"
      "  x:\n"
      "    Precision:\n"
      "      result: ap_fixed<8,4>\n"
      "  seq_blocks_3:\n"
      "    Precision:\n"
      "      weight: ap_fixed<4,1>\n"
      "      bias: ap_fixed<8,3>\n"
      "      accum: ap_fixed<17,11>\n"
      "      result: ap_fixed<17,11>\n"
      "  seq_blocks_2:\n"
      "    Precision:\n"
      "      result: ap_fixed<6,3>\n";
  EXPECT_EQ(yaml, want);
}

// A consumer that reads a dense layer directly sets its result: the dense rounds into it.
TEST(Hls4mlTableExtras, ConsumerDataInWinsOverTheExactResult) {
  const auto g = ir::build_zoo_model("fmnist-mlp");
  auto layers = extras_layers();
  LayerPrecision c{"seq_blocks_5", 7, 2, 8, 7, 8, 7};
  layers.push_back(c);
  const std::string yaml = hls4ml_precision_table(g, layers);
  EXPECT_NE(yaml.find("  seq_blocks_4:\n    Precision:\n      result: ap_fixed<7,5>\n"), std::string::npos) << yaml;
  // seq_blocks_3 still holds its exact sum: its consumer is the relu, not seq_blocks_5.
  EXPECT_NE(yaml.find("      accum: ap_fixed<17,11>\n      result: ap_fixed<17,11>\n"), std::string::npos) << yaml;
}

TEST(Hls4mlTableExtras, DictFormHoldsTheSameTable) {
  const auto g = ir::build_zoo_model("fmnist-mlp");
  const auto j = nlohmann::json::parse(hls4ml_config_json(g, extras_layers(), {"x"}));
  const auto& names = j.at("LayerName");
  EXPECT_EQ(names.at("seq_blocks_1").at("Precision").at("accum"), "ap_fixed<25,15>");
  EXPECT_EQ(names.at("seq_blocks_1").at("Precision").at("result"), "ap_fixed<25,15>");
  EXPECT_EQ(names.at("seq_blocks_1").at("ReuseFactor"), 4);
  EXPECT_EQ(names.at("seq_blocks_1").at("Strategy"), "Resource");
  EXPECT_EQ(names.at("x").at("Precision").at("result"), "ap_fixed<8,4>");
  EXPECT_EQ(names.at("seq_blocks_2").at("Precision").at("result"), "ap_fixed<6,3>");
  EXPECT_FALSE(names.at("seq_blocks_3").contains("ReuseFactor"));
  EXPECT_EQ(names.size(), 5u);  // seq_blocks_1, _0, x, _3, _2: nothing for _4 and _5
}

}  // namespace
}  // namespace qdse::io
