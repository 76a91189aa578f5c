// Lookup in a table with one row per enum value, in enum order (the sampler and
// metric tables): the enum value is the row index, checked so that a bad cast
// aborts with the enum's name instead of reading past the table.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "qdse/core/error.hpp"

namespace qdse {

template <class Row, class Kind>
const Row& row_of_kind(std::span<const Row> rows, Kind kind, std::string_view kind_name) {
  const auto k = static_cast<std::size_t>(kind);
  QDSE_ASSERT(k < rows.size(), std::string(kind_name) + " out of range: " + std::to_string(k));
  return rows[k];
}

}  // namespace qdse
