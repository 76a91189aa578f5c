// Format value type: validation messages, describe(), storage sizes, config names.
#include "qdse/quant/formats/format.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "qdse/core/error.hpp"

namespace qdse::quant {
namespace {

// Runs validate() and returns the Config error message ("" if it passed).
std::string validation_error(const Format& f, std::string_view prefix = "") {
  try {
    validate(f, "passes.quantize.linear.config", prefix);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Config);
    return e.what();
  }
  return "";
}

TEST(FormatValidate, AcceptsDefaults) {
  EXPECT_EQ(validation_error(Format{FloatFormat{}}), "");
  EXPECT_EQ(validation_error(Format{IntegerFormat{}}), "");
  EXPECT_EQ(validation_error(Format{MinifloatFormat{}}), "");
  EXPECT_EQ(validation_error(Format{BlockFpFormat{}}), "");
  EXPECT_EQ(validation_error(Format{LogFormat{}}), "");
  EXPECT_EQ(validation_error(Format{BinaryFormat{}}), "");
  EXPECT_EQ(validation_error(Format{TernaryFormat{}}), "");
  EXPECT_EQ(validation_error(Format{MinifloatFormat{.exponent_width = 8, .mantissa_width = 23,
                                                    .ieee_like = true}}),
            "");
}

TEST(FormatValidate, IntegerWidthMessageHasRuleValueAndWhere) {
  EXPECT_EQ(validation_error(Format{IntegerFormat{.width = 40}}, "weight_"),
            "`weight_width` must be in [1, 32], got 40 (passes.quantize.linear.config)");
  EXPECT_NE(validation_error(Format{IntegerFormat{.width = 0}}).find("got 0"), std::string::npos);
  EXPECT_EQ(validation_error(Format{IntegerFormat{.width = 1}}), "");
  EXPECT_EQ(validation_error(Format{IntegerFormat{.width = 32}}), "");
}

TEST(FormatValidate, IntegerFracRange) {
  EXPECT_EQ(validation_error(Format{IntegerFormat{.width = 8, .frac_width = 65}}),
            "`frac_width` must be in [-32, 64], got 65 (passes.quantize.linear.config)");
  EXPECT_NE(validation_error(Format{IntegerFormat{.width = 8, .frac_width = -33}}).find("got -33"),
            std::string::npos);
  EXPECT_EQ(validation_error(Format{IntegerFormat{.width = 8, .frac_width = -32}}), "");
  EXPECT_EQ(validation_error(Format{IntegerFormat{.width = 8, .frac_width = 64}}), "");
}

TEST(FormatValidate, MinifloatRules) {
  const std::string m0 = validation_error(Format{MinifloatFormat{.mantissa_width = 0}});
  EXPECT_NE(m0.find("`mantissa_width` must be in [1, 23], got 0"), std::string::npos) << m0;
  const std::string e9 = validation_error(Format{MinifloatFormat{.exponent_width = 9}});
  EXPECT_NE(e9.find("`exponent_width` must be in [1, 8], got 9"), std::string::npos) << e9;
  const std::string e8 = validation_error(Format{MinifloatFormat{.exponent_width = 8}});
  EXPECT_NE(e8.find("unless ieee_like"), std::string::npos) << e8;
  const std::string bias = validation_error(Format{MinifloatFormat{.exponent_bias = 200}});
  EXPECT_NE(bias.find("`exponent_bias`"), std::string::npos) << bias;
  EXPECT_NE(bias.find("got 200"), std::string::npos) << bias;
  const std::string ieee1 =
      validation_error(Format{MinifloatFormat{.exponent_width = 1, .ieee_like = true}});
  EXPECT_NE(ieee1.find("ieee_like reserves"), std::string::npos) << ieee1;
}

TEST(FormatValidate, BlockFpLogTernaryRules) {
  EXPECT_NE(validation_error(Format{BlockFpFormat{.block_size = 0}}).find("`block_size` must be in [1, "),
            std::string::npos);
  EXPECT_NE(validation_error(Format{BlockFpFormat{.mantissa_width = 0}}).find("`mantissa_width`"),
            std::string::npos);
  EXPECT_NE(validation_error(Format{BlockFpFormat{.mantissa_width = 23}}).find("`exponent_bias`"),
            std::string::npos);  // default bias 127 + 23 mantissa bits underflows float32
  EXPECT_NE(validation_error(Format{LogFormat{.exponent_width = 0}}).find("`exponent_width`"),
            std::string::npos);
  EXPECT_NE(validation_error(Format{LogFormat{.exponent_width = 8}}).find("`exponent_bias`"),
            std::string::npos);  // 2^128 is not a float32
  EXPECT_EQ(validation_error(Format{LogFormat{.exponent_width = 8, .exponent_bias = 128}}), "");
  EXPECT_NE(validation_error(Format{TernaryFormat{.threshold = -1.0}}).find("`threshold` must be finite and >= 0, got -1"),
            std::string::npos);
}

TEST(FormatDescribe, ShortForms) {
  EXPECT_EQ(describe(Format{IntegerFormat{.width = 8, .frac_width = 4}}), "integer<8,4>");
  EXPECT_EQ(describe(Format{IntegerFormat{.width = 8}}), "integer<8,NA>");
  EXPECT_EQ(describe(Format{IntegerFormat{.width = 6, .frac_width = 2, .is_signed = false,
                                          .rounding = Rounding::Floor, .overflow = Overflow::Wrap}}),
            "integer<6,2,unsigned,floor,wrap>");
  EXPECT_EQ(describe(Format{MinifloatFormat{}}), "minifloat<e4,m3,b7>");
  EXPECT_EQ(describe(Format{MinifloatFormat{.exponent_width = 5, .mantissa_width = 2,
                                            .denormals = false, .ieee_like = true}}),
            "minifloat<e5,m2,b15,ieee,no_denormals>");
  EXPECT_EQ(describe(Format{BlockFpFormat{}}), "block_fp<m7,e8,b127,16@-1>");
  EXPECT_EQ(describe(Format{LogFormat{.has_zero = true}}), "log<e4,b7,zero>");
  EXPECT_EQ(describe(Format{BinaryFormat{.scaled = true}}), "binary<scaled>");
  EXPECT_EQ(describe(Format{TernaryFormat{.threshold = 0.05, .scaled = true}}), "ternary<t=0.05,scaled>");
  EXPECT_EQ(describe(Format{TernaryFormat{}}), "ternary");
  EXPECT_EQ(describe(Format{FloatFormat{}}), "float");
}

TEST(FormatStorage, BitsPerElement) {
  EXPECT_EQ(storage_bits(Format{IntegerFormat{.width = 6}}), 6);
  EXPECT_EQ(storage_bits(Format{MinifloatFormat{.exponent_width = 5, .mantissa_width = 2}}), 8);
  // block_fp: 1 + 7 + 8/16 = 8.5 -> 9 rounded up; exact via bits_per_element.
  EXPECT_EQ(storage_bits(Format{BlockFpFormat{}}), 9);
  EXPECT_DOUBLE_EQ(bits_per_element(Format{BlockFpFormat{}}), 8.5);
  EXPECT_EQ(storage_bits(Format{BlockFpFormat{.mantissa_width = 3, .exponent_width = 8, .block_size = 8}}), 5);
  EXPECT_EQ(storage_bits(Format{LogFormat{.exponent_width = 4}}), 5);
  EXPECT_EQ(storage_bits(Format{BinaryFormat{}}), 1);
  EXPECT_EQ(storage_bits(Format{TernaryFormat{}}), 2);
  EXPECT_EQ(storage_bits(Format{FloatFormat{}}), 32);
}

TEST(FormatStorage, TensorBitsCountRaggedBlocks) {
  const std::vector<int64_t> sizes{3, 20};  // 2 blocks of 16 per row (one ragged)
  EXPECT_EQ(tensor_storage_bits(Format{BlockFpFormat{}}, sizes), 60 * 8 + 3 * 2 * 8);
  EXPECT_EQ(tensor_storage_bits(Format{IntegerFormat{.width = 4}}, sizes), 240);
  const std::vector<int64_t> dim0{20, 3};
  EXPECT_EQ(tensor_storage_bits(Format{BlockFpFormat{.block_dim = 0}}, dim0), 60 * 8 + 3 * 2 * 8);
}

TEST(FormatNames, ParseAndPrint) {
  EXPECT_EQ(parse_format_kind("block_fp", ""), FormatKind::BlockFp);
  EXPECT_EQ(parse_format_kind("integer", ""), FormatKind::Integer);
  EXPECT_EQ(parse_rounding("TRN", ""), Rounding::Floor);
  EXPECT_EQ(parse_rounding("RND_CONV", ""), Rounding::NearestEven);
  EXPECT_EQ(parse_rounding("toward_zero", ""), Rounding::TowardZero);
  EXPECT_EQ(parse_overflow("WRAP", ""), Overflow::Wrap);
  EXPECT_EQ(to_string(Rounding::NearestAway), "nearest_away");
  try {
    parse_rounding("up", "cfg.toml:3");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Config);
    EXPECT_NE(std::string(e.what()).find("got \"up\" (cfg.toml:3)"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_format_kind("posit", ""), Error);
}

TEST(FormatValue, KindAndEquality) {
  const Format a{IntegerFormat{.width = 8, .frac_width = 4}};
  EXPECT_EQ(a.kind(), FormatKind::Integer);
  EXPECT_TRUE(a.is<IntegerFormat>());
  EXPECT_EQ(a, (Format{IntegerFormat{.width = 8, .frac_width = 4}}));
  EXPECT_NE(a, (Format{IntegerFormat{.width = 8}}));
  EXPECT_EQ(resolved_frac_width(IntegerFormat{.width = 7}), 3);
  EXPECT_EQ(resolved_exponent_bias(MinifloatFormat{.exponent_width = 5}), 15);
}

}  // namespace
}  // namespace qdse::quant
