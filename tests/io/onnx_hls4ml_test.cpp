// hls4ml precision table: W = width, I = width - frac, data_in -> producer's result.
#include <gtest/gtest.h>

#include "../support/errors.hpp"
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
      // hls4ml's io_parallel Flatten aliases its input: the input layer casts.
      "  input:\n"
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

namespace qdse::io {
namespace {

quant::SlotFormat fixed(int width, std::optional<int> frac, quant::Rounding r = quant::Rounding::NearestEven,
                        quant::Overflow o = quant::Overflow::Saturate) {
  quant::IntegerFormat f;
  f.width = width;
  f.frac_width = frac;
  f.rounding = r;
  f.overflow = o;
  return {quant::Format{f}, false};
}

TEST(Hls4mlExport, LayerPrecisionsFromQuantConfigInGraphOrder) {
  const auto g = ir::build_zoo_model("fmnist-mlp");
  quant::QuantConfig c;
  c.nodes["seq_blocks_5"].weight = fixed(4, 2, quant::Rounding::Floor, quant::Overflow::Wrap);
  c.nodes["seq_blocks_1"].data_in = fixed(8, std::nullopt);  // "NA": width / 2
  c.nodes["seq_blocks_1"].weight = fixed(6, 5, quant::Rounding::TowardZero);
  c.nodes["seq_blocks_1"].bias = quant::SlotFormat{quant::Format{quant::FloatFormat{}}, false};
  const auto p = layer_precisions(g, c);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].layer, "seq_blocks_1");
  EXPECT_EQ(p[0].data_in_width, 8);
  EXPECT_EQ(p[0].data_in_frac, 4);
  EXPECT_EQ(p[0].data_in_mode, "RND_CONV,SAT");
  EXPECT_EQ(p[0].weight_mode, "TRN_ZERO,SAT");
  EXPECT_EQ(p[0].bias_width, 0);  // float: not set
  EXPECT_EQ(p[1].layer, "seq_blocks_5");
  EXPECT_EQ(p[1].weight_mode, "");  // TRN,WRAP is ap_fixed's default
  const auto yaml = hls4ml_precision_table(g, p);
  EXPECT_NE(yaml.find("  seq_blocks_1:\n    Precision:\n      weight: ap_fixed<6,1,TRN_ZERO,SAT>\n"),
            std::string::npos) << yaml;
  EXPECT_NE(yaml.find("  seq_blocks_0:\n    Precision:\n      result: ap_fixed<8,4,RND_CONV,SAT>\n"),
            std::string::npos) << yaml;
  EXPECT_NE(yaml.find("      weight: ap_fixed<4,2>\n"), std::string::npos) << yaml;
  EXPECT_EQ(ap_fixed(8, 3, "RND_INF,WRAP"), "ap_fixed<8,5,RND_INF,WRAP>");
}

TEST(Hls4mlExport, FormatsWithoutApFixedAreErrors) {
  const auto g = ir::build_zoo_model("fmnist-mlp");
  quant::QuantConfig mini;
  mini.nodes["seq_blocks_3"].weight = quant::SlotFormat{quant::Format{quant::MinifloatFormat{}}, false};
  try {
    layer_precisions(g, mini);
    FAIL() << "minifloat exported";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("seq_blocks_3"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("weight"), std::string::npos) << e.what();
  }
  quant::QuantConfig uns;
  auto f = fixed(8, 4);
  std::get<quant::IntegerFormat>(f.format.params).is_signed = false;
  uns.nodes["seq_blocks_3"].data_in = f;
  EXPECT_THROW(layer_precisions(g, uns), Error);
  quant::QuantConfig unresolved;
  auto a = fixed(8, std::nullopt);
  a.auto_frac = true;
  unresolved.nodes["seq_blocks_3"].weight = a;
  EXPECT_THROW(layer_precisions(g, unresolved), Error);
}

// hls4ml_unsupported says "not applicable" without a throw, with the message
// layer_precisions throws, and "" exactly when layer_precisions succeeds.
TEST(Hls4mlExport, UnsupportedNamesWhatLayerPrecisionsRefuses) {
  const auto g = ir::build_zoo_model("fmnist-mlp");
  quant::QuantConfig ok;
  ok.nodes["seq_blocks_1"].weight = fixed(6, 5);
  ok.nodes["seq_blocks_1"].bias = quant::SlotFormat{quant::Format{quant::FloatFormat{}}, false};
  EXPECT_EQ(hls4ml_unsupported(g, ok), "");
  EXPECT_EQ(qdse::testing::error_of([&] { layer_precisions(g, ok); }), "");
  quant::QuantConfig mini = ok;
  mini.nodes["seq_blocks_3"].weight = quant::SlotFormat{quant::Format{quant::MinifloatFormat{}}, false};
  quant::QuantConfig uns = ok;
  auto f = fixed(8, 4);
  std::get<quant::IntegerFormat>(f.format.params).is_signed = false;
  uns.nodes["seq_blocks_3"].data_in = f;
  quant::QuantConfig unresolved = ok;
  auto a = fixed(8, std::nullopt);
  a.auto_frac = true;
  unresolved.nodes["seq_blocks_3"].bias = a;
  for (const auto* c : {&mini, &uns, &unresolved}) {
    const std::string why = hls4ml_unsupported(g, *c);
    EXPECT_CONTAINS(why, "seq_blocks_3");
    EXPECT_CONTAINS(qdse::testing::error_of([&] { layer_precisions(g, *c); }), why);
  }
}

}  // namespace
}  // namespace qdse::io
