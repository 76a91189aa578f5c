// The one entry point that turns dataset options into a ready, in-memory Dataset.
//
// load_dataset() picks the loader by name, then applies the common steps in a
// fixed order: (1) the loader reads train and test (raw values), (2) a
// validation split of ceil(validation_fraction * N_train) rows is carved from
// train with seeded_permutation(N_train, seed) (the same rule as sklearn's
// train_test_split), (3) preprocessing is applied to all splits, with
// Standardize statistics from the (post-carve) train split, (4) limit_train
// keeps the first rows of the (already shuffled) train split. The options map
// 1:1 onto config keys `dataset`, `dataset_path`, `preprocess`,
// `validation_fraction`, `label_column` (see docs/datasets.md).
// Ownership: returns a value. Thread-safety: reentrant, except that HDF5 files
// (jsc) must not be loaded from two threads at once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "qdse/data/dataset.hpp"
#include "qdse/data/preprocess.hpp"

namespace qdse::data {

struct DatasetOptions {
  // "fashion_mnist" (aliases "fmnist", "fashion-mnist"), "mnist", "jsc", "csv".
  std::string name;
  // File or directory; empty = the dataset's default location (csv has none).
  std::string path;
  // Empty = the dataset's default (default_preprocess). A Normalize without
  // mean/std takes the dataset's default statistics.
  std::optional<Preprocess> preprocess;
  double validation_fraction = 0.1;  // in [0, 1)
  uint64_t seed = 0;                 // validation carving
  std::string label_column = "label";  // csv only
  std::optional<int64_t> limit_train;  // keep at most this many train rows (>= 1)
  // false: the caller reads only the test split. IDX datasets then skip the train
  // files (60 000 images: ~0.6 s and ~400 MB at start-up) and return empty train and
  // validation splits. Preprocessing that needs train statistics (standardize) and
  // the tabular loaders read everything regardless.
  bool train = true;
};

// "fashion_mnist", "mnist", "jsc", "csv" for a valid name or alias; otherwise
// Error(Config) listing the valid names.
std::string canonical_dataset_name(std::string_view name);
const std::vector<std::string>& dataset_names();  // canonical names

// fashion_mnist: Normalize(0.2860, 0.3530); mnist: Normalize(0.1307, 0.3081);
// jsc and csv: Standardize.
Preprocess default_preprocess(std::string_view canonical_name);

Dataset load_dataset(const DatasetOptions& options);

}  // namespace qdse::data
