// Loader for generic tabular classification data in CSV files.
//
// Layout: either one CSV file (the test split is carved from it: kCsvTestFraction
// of the rows, chosen by seeded_permutation with kCsvTestSeed, the same rule as
// sklearn's train_test_split(test_size=0.2, random_state=42)), or a directory
// holding train.csv and test.csv (each may be gzipped as .csv.gz) with identical
// headers. The column named `label_column` holds the class; every other column
// is a numeric feature, in header order. Labels: if every label cell (train and
// test together) is a non-negative integer, it is the class id and num_classes =
// max id + 1 (class names "0", "1", ...); otherwise the distinct label strings,
// sorted bytewise (std::string order), are classes 0, 1, ... in that order.
// Errors name the file, line and column (see csv_reader.hpp). Returns raw
// values; load_dataset() carves validation and preprocesses.
// Ownership: returns values. Thread-safety: reentrant.
#pragma once

#include <cstdint>
#include <string>

#include "qdse/data/dataset.hpp"

namespace qdse::data {

inline constexpr double kCsvTestFraction = 0.2;
inline constexpr uint64_t kCsvTestSeed = 42;
// Integer labels above this are rejected: they would make an absurdly wide
// classifier and almost always mean the wrong column was chosen.
inline constexpr int64_t kCsvMaxClassId = 65535;

Dataset load_csv_dataset(const std::string& path, const std::string& label_column);

}  // namespace qdse::data
