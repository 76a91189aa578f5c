// Rows of CSV text, split at commas, for tests that read the CSV files qdse writes
// (trials.csv, compare CSVs: no quoted cells). A line ending in a comma has an empty
// last cell, so every row of a well-formed file is as wide as its header.
#pragma once

#include <sstream>
#include <string>
#include <vector>

namespace qdse::testing {

inline std::vector<std::vector<std::string>> csv_rows(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::stringstream ls(line);
    std::string cell;
    while (std::getline(ls, cell, ',')) cells.push_back(cell);
    if (!line.empty() && line.back() == ',') cells.push_back("");
    rows.push_back(cells);
  }
  return rows;
}

}  // namespace qdse::testing
