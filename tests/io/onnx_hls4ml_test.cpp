// hls4ml precision table: W = width, I = width - frac, data_in -> producer's result.
#include <gtest/gtest.h>

#include "qdse/core/error.hpp"
#include "qdse/io/hls4ml_export.hpp"
#include "qdse/ir/zoo.hpp"

namespace qdse::io {
namespace {

TEST(Hls4mlExport, ApFixedMapping) {
  EXPECT_EQ(ap_fixed(8, 4), "ap_fixed<8,4>");
  EXPECT_EQ(ap_fixed(8, 7), "ap_fixed<8,1>");
  EXPECT_EQ(ap_fixed(16, 18), "ap_fixed<16,-2>");
}

TEST(Hls4mlExport, TableForMlp) {
  const auto g = ir::build_zoo_model("fmnist-mlp");  // flatten, linear, relu, linear, relu, linear
  std::vector<LayerPrecision> layers = {
      {"seq_blocks_1", 8, 4, 8, 6, 16, 10},
      {"seq_blocks_3", 6, 3, 4, 3, 8, 5},
  };
  const std::string yaml = hls4ml_precision_table(g, layers);
  const std::string want =
      "LayerName:\n"
      "  seq_blocks_1:\n"
      "    Precision:\n"
      "      weight: ap_fixed<8,2>\n"
      "      bias: ap_fixed<16,6>\n"
      "  seq_blocks_0:\n"
      "    Precision:\n"
      "      result: ap_fixed<8,4>\n"
      "  seq_blocks_3:\n"
      "    Precision:\n"
      "      weight: ap_fixed<4,1>\n"
      "      bias: ap_fixed<8,3>\n"
      "  seq_blocks_2:\n"
      "    Precision:\n"
      "      result: ap_fixed<6,3>\n";
  EXPECT_EQ(yaml, want);
}

TEST(Hls4mlExport, GraphInputAndErrors) {
  const auto g = ir::build_zoo_model("jsc-tiny");  // seq_blocks_0 is BN reading the input
  const auto yaml = hls4ml_precision_table(g, {{"seq_blocks_0", 10, 6, 0, 0, 0, 0}});
  EXPECT_NE(yaml.find("  input:\n    Precision:\n      result: ap_fixed<10,4>\n"), std::string::npos) << yaml;
  EXPECT_THROW(hls4ml_precision_table(g, {{"nope", 8, 4, 8, 4, 8, 4}}), Error);
  EXPECT_THROW(hls4ml_precision_table(g, {{"seq_blocks_2", 8, 4, 80, 4, 8, 4}}), Error);
}

}  // namespace
}  // namespace qdse::io
