// The sampler table (search/sampler_kind.hpp): names, aliases, errors and factories.
#include "qdse/search/sampler_kind.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>

#include "../support/enum_values.hpp"
#include "../support/errors.hpp"
#include "qdse/core/error.hpp"
#include "qdse/search/sampler_factory.hpp"

namespace qdse::search {
namespace {

using qdse::testing::error_of;

std::vector<SamplerKind> every_sampler_kind() { return qdse::testing::every_enum_value<SamplerKind, kSamplerKindCount>(); }

TEST(SamplerKindTable, OneRowPerKindInEnumOrder) {
  qdse::testing::expect_kind_table<SamplerKind, kSamplerKindCount>(
      sampler_table(), [](SamplerKind k) -> const SamplerInfo& { return info_of(k); },
      [](std::string_view name) { return parse_sampler_kind(name); });
}

TEST(SamplerKindTable, EveryKindRoundTripsThroughItsName) {
  for (auto kind : every_sampler_kind()) {
    const auto name = name_of(kind);
    EXPECT_EQ(parse_sampler_kind(name), kind);
    for (std::string_view rest = info_of(kind).aliases; !rest.empty();) {
      const auto alias = rest.substr(0, rest.find(' '));
      EXPECT_EQ(parse_sampler_kind(alias), kind) << alias;
      rest.remove_prefix(std::min(rest.size(), alias.size() + 1));
    }
  }
  EXPECT_EQ(sampler_names(), (std::vector<std::string>{"random", "bruteforce", "tpe", "nsgaii", "sensitivity"}));
  EXPECT_EQ(sampler_name_list(), "random, bruteforce, tpe, nsgaii, sensitivity");
}

TEST(SamplerKindTable, CaseAndSeparatorsAreIgnoredAliasesAccepted) {
  EXPECT_EQ(parse_sampler_kind("TPE"), SamplerKind::Tpe);
  EXPECT_EQ(parse_sampler_kind("BruteForce"), SamplerKind::BruteForce);
  EXPECT_EQ(parse_sampler_kind("brute_force"), SamplerKind::BruteForce);
  EXPECT_EQ(parse_sampler_kind("Brute-Force"), SamplerKind::BruteForce);
  EXPECT_EQ(parse_sampler_kind("brute force"), SamplerKind::BruteForce);
  EXPECT_EQ(parse_sampler_kind("nsga2"), SamplerKind::NsgaII);
  EXPECT_EQ(parse_sampler_kind("NSGA-II"), SamplerKind::NsgaII);
  EXPECT_EQ(parse_sampler_kind("nsga_ii"), SamplerKind::NsgaII);
  EXPECT_EQ(find_sampler_kind("Random"), SamplerKind::Random);
}

// Bad names: every one is a qdse::Error that names the input and lists the valid names.
TEST(SamplerKindTable, UnknownNamesListTheValidOnes) {
  for (const std::string bad : {"cmaes", "", "  ", "tpe2", "nsga3", "brute", "random!", "tpe\n"}) {
    EXPECT_FALSE(find_sampler_kind(bad).has_value()) << bad;
    const std::string msg = error_of([&] { parse_sampler_kind(bad); });
    EXPECT_CONTAINS(msg, "unknown sampler `" + bad + "`; valid names: random, bruteforce, tpe, nsgaii, sensitivity");
  }
  try {
    parse_sampler_kind("cmaes");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
  }
}

TEST(SamplerKindTable, MakeSamplerBuildsEveryKindUnderItsName) {
  for (auto kind : every_sampler_kind()) {
    const auto by_kind = make_sampler(kind, SamplerOptions{.seed = 3});
    ASSERT_NE(by_kind, nullptr);
    EXPECT_EQ(by_kind->name(), name_of(kind));
    EXPECT_EQ(make_sampler(name_of(kind))->name(), name_of(kind));
  }
}

// Only brute force enumerates the space (compare runs it once; the progress bar counts cells).
TEST(SamplerKindTable, ExhaustiveTrait) {
  for (auto kind : every_sampler_kind()) EXPECT_EQ(info_of(kind).exhaustive, kind == SamplerKind::BruteForce);
}

}  // namespace
}  // namespace qdse::search
