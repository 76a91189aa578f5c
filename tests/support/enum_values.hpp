// Every value of an enum whose values run 0 .. Count-1 (the sampler and metric kinds,
// whose tables have one row per value): tests loop over it to check every row; and the
// checks every such kind table passes (expect_kind_table).
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <set>
#include <string_view>
#include <vector>

namespace qdse::testing {

template <class Enum, std::size_t Count>
std::vector<Enum> every_enum_value() {
  std::vector<Enum> out;
  for (std::size_t k = 0; k < Count; ++k) out.push_back(static_cast<Enum>(k));
  return out;
}

// A kind table (one row per enum value, in enum order, each with its kind, a name and a
// description): `table` has Count rows; every kind's row names that kind and describes
// it; names are unique and `parse` maps each back to its kind.
template <class Enum, std::size_t Count, class Table, class InfoOf, class Parse>
void expect_kind_table(const Table& table, InfoOf info_of, Parse parse) {
  ASSERT_EQ(table.size(), Count);
  std::set<std::string_view> names;
  for (Enum kind : every_enum_value<Enum, Count>()) {
    const auto& row = info_of(kind);
    EXPECT_EQ(row.kind, kind) << row.name;
    EXPECT_FALSE(row.description.empty()) << row.name;
    EXPECT_TRUE(names.insert(row.name).second) << "duplicate name " << row.name;
    EXPECT_EQ(parse(row.name), kind) << row.name;
  }
}

}  // namespace qdse::testing
