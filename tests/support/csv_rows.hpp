// CSV text in tests: csv_rows() splits the CSV files qdse writes (trials.csv, compare
// CSVs), numbered_csv() makes a small dataset file for the loaders to read.
#pragma once

#include <sstream>
#include <string>
#include <vector>

namespace qdse::testing {

// Rows of CSV text, split at commas (no quoted cells). A line ending in a comma has an
// empty last cell, so every row of a well-formed file is as wide as its header.
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

// A dataset CSV with a header and `n` rows numbered i = 0..n-1: feature `a` = i and
// `label` = i % classes, then with `negated` a second feature `b` = -i, so that a test can
// check that the loader kept each row's features and label together.
inline std::string numbered_csv(int n, int classes, bool negated = false) {
  std::string s = negated ? "a,label,b\n" : "a,label\n";
  for (int i = 0; i < n; ++i)
    s += std::to_string(i) + "," + std::to_string(i % classes) + (negated ? "," + std::to_string(-i) : "") + "\n";
  return s;
}

}  // namespace qdse::testing
