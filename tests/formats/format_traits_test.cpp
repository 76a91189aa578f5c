// The FormatKind traits table: one row per kind, in order; names and aliases
// round-trip through parse_format_kind; describe() and quantize() go through the
// row of the format's own kind.
#include "qdse/quant/formats/format_traits.hpp"

#include <gtest/gtest.h>
#include <torch/types.h>

#include <set>
#include <utility>

#include "../support/errors.hpp"
#include "qdse/quant/formats/quantize.hpp"

namespace qdse::quant {
namespace {

// A default-valued Format of every FormatParams alternative (a new format is
// included without editing this test).
template <std::size_t... I>
std::vector<Format> one_of_each(std::index_sequence<I...>) {
  return {Format{FormatParams(std::in_place_index<I>)}...};
}
std::vector<Format> one_format_per_kind() {
  return one_of_each(std::make_index_sequence<std::variant_size_v<FormatParams>>{});
}

TEST(FormatTraits, OneRowPerKindInOrder) {
  ASSERT_EQ(all_format_traits().size(), kFormatKindCount);
  for (std::size_t i = 0; i < kFormatKindCount; ++i) {
    const auto kind = static_cast<FormatKind>(i);
    EXPECT_EQ(format_traits(kind).kind, kind);
    EXPECT_EQ(&format_traits(kind), &all_format_traits()[i]);
  }
  EXPECT_THROW(format_traits(FormatKind::kCount), std::out_of_range);
}

TEST(FormatTraits, NamesAndAliasesRoundTrip) {
  std::set<std::string_view> spellings;
  for (const FormatTraits& t : all_format_traits()) {
    SCOPED_TRACE(std::string(t.name));
    EXPECT_EQ(to_string(t.kind), t.name);
    EXPECT_EQ(parse_format_kind(t.name, ""), t.kind);
    EXPECT_TRUE(spellings.insert(t.name).second) << "two rows share a name";
    for (std::string_view alias : t.aliases) {
      EXPECT_EQ(parse_format_kind(alias, ""), t.kind) << alias;
      EXPECT_TRUE(spellings.insert(alias).second) << "spelling used twice: " << alias;
    }
  }
  EXPECT_EQ(parse_format_kind("fixed", ""), FormatKind::Integer);
  EXPECT_EQ(parse_format_kind("minifloat_ieee", ""), FormatKind::Minifloat);
}

TEST(FormatTraits, UnknownNameListsEveryRow) {
  // The message (and its order) is what configs have always shown.
  EXPECT_EQ(qdse::testing::error_of([] { parse_format_kind("fp8", "cfg.toml:3"); }),
            "format name must be one of float, integer, minifloat, block_fp, log, binary, ternary, "
            "got \"fp8\" (cfg.toml:3)");
}

TEST(FormatTraits, EveryAlternativeDescribesAndQuantizesThroughItsRow) {
  const auto formats = one_format_per_kind();
  ASSERT_EQ(formats.size(), kFormatKindCount);
  const at::Tensor x = torch::linspace(-3.0, 3.0, 64, torch::kFloat).reshape({4, 16});
  std::set<FormatKind> kinds;
  for (const Format& f : formats) {
    const FormatTraits& t = format_traits(f.kind());
    SCOPED_TRACE(std::string(t.name));
    kinds.insert(f.kind());
    EXPECT_EQ(describe(f).rfind(t.name, 0), 0u) << describe(f);  // "integer<8,NA>" starts "integer"
    EXPECT_TRUE(torch::equal(quantize(x, f), t.quantize(x, f)));
    EXPECT_TRUE(torch::equal(quantize_ref(x, f), t.quantize_ref(x, f)));
    EXPECT_EQ(t.parse_keys == nullptr, f.kind() == FormatKind::Float) << "only float reads no keys";
  }
  EXPECT_EQ(kinds.size(), kFormatKindCount);  // Format::kind() is the variant index
}

TEST(FormatTraits, DescribeStringsUnchanged) {
  // Memo keys, run outputs and goldens embed these strings.
  EXPECT_EQ(describe(Format{FloatFormat{}}), "float");
  EXPECT_EQ(describe(Format{IntegerFormat{.width = 8, .frac_width = 4}}), "integer<8,4>");
  EXPECT_EQ(describe(Format{IntegerFormat{.width = 6, .is_signed = false, .rounding = Rounding::Floor,
                                          .overflow = Overflow::Wrap}}),
            "integer<6,NA,unsigned,floor,wrap>");
  EXPECT_EQ(describe(Format{MinifloatFormat{.ieee_like = true}}), "minifloat<e4,m3,b7,ieee>");
  EXPECT_EQ(describe(Format{MinifloatFormat{.denormals = false}}), "minifloat<e4,m3,b7,no_denormals>");
  EXPECT_EQ(describe(Format{BlockFpFormat{}}), "block_fp<m7,e8,b127,16@-1>");
  EXPECT_EQ(describe(Format{LogFormat{.has_zero = true}}), "log<e4,b7,zero>");
  EXPECT_EQ(describe(Format{BinaryFormat{.scaled = true}}), "binary<scaled>");
  EXPECT_EQ(describe(Format{TernaryFormat{.threshold = 0.05, .scaled = true}}), "ternary<t=0.05,scaled>");
  EXPECT_EQ(describe(Format{TernaryFormat{}}), "ternary");
}

TEST(FormatTraits, OnlyIntegerReachesHls4mlAndIntegerKernels) {
  for (const FormatTraits& t : all_format_traits()) {
    EXPECT_EQ(t.hls4ml_exportable, t.kind == FormatKind::Integer) << t.name;
    EXPECT_EQ(t.integer_kernels, t.kind == FormatKind::Integer) << t.name;
  }
}

}  // namespace
}  // namespace qdse::quant
