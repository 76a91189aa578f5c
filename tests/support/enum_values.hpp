// Every value of an enum whose values run 0 .. Count-1 (the sampler and metric kinds,
// whose tables have one row per value): tests loop over it to check every row.
#pragma once

#include <cstddef>
#include <vector>

namespace qdse::testing {

template <class Enum, std::size_t Count>
std::vector<Enum> every_enum_value() {
  std::vector<Enum> out;
  for (std::size_t k = 0; k < Count; ++k) out.push_back(static_cast<Enum>(k));
  return out;
}

}  // namespace qdse::testing
