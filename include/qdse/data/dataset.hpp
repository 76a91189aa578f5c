// In-memory datasets: the value every loader returns and every trainer consumes.
//
// A Dataset owns three Splits (train, validation, test); each Split owns one
// contiguous float32 tensor of samples [N, ...sample_shape] and one int64 label
// tensor [N], already preprocessed (see preprocess.hpp), so training and
// evaluation never touch files or transform samples again. Tensors live on the
// CPU; copying a Dataset copies tensor handles, not data (libtorch semantics).
// Thread-safety: a const Dataset/Split may be read from many threads at once;
// nothing here mutates shared state.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "qdse/data/preprocess.hpp"

namespace qdse::data {

enum class SplitKind { Train, Validation, Test };

// "train", "val" / "validation", "test"; anything else throws Error(Config)
// listing the valid names.
SplitKind parse_split(std::string_view name);
std::string_view to_string(SplitKind kind);  // "train", "validation", "test"

struct Split {
  at::Tensor x;  // float32 [N, ...sample_shape], contiguous
  at::Tensor y;  // int64 [N], values in [0, num_classes)
  int64_t size() const;  // N (0 for an undefined/empty split)
};

struct Dataset {
  std::string name;  // canonical name: "fashion_mnist", "mnist", "jsc", "csv"
  Split train, validation, test;
  std::vector<int64_t> sample_shape;  // e.g. {1, 28, 28} or {16}
  int64_t num_classes = 0;
  std::vector<std::string> class_names;    // num_classes entries
  std::vector<std::string> feature_names;  // tabular datasets only; empty for images
  // The preprocessing that was applied, resolved: Normalize carries the mean/std
  // used, Standardize the per-feature train statistics (needed to preprocess new
  // samples identically at inference time).
  Preprocess preprocess;

  const Split& split(SplitKind kind) const;
  Split& split(SplitKind kind);
};

// The rows `indices` of `split`, copied into new contiguous tensors.
Split take_rows(const Split& split, const std::vector<int64_t>& indices);

// Moves ceil(fraction * N) rows of `from`, chosen by seeded_permutation(N, seed),
// into the returned split; `from` keeps the rest. Both come out in permutation
// order, exactly like sklearn's train_test_split(test_size=fraction,
// random_state=seed). fraction must be in [0, 1); 0 returns an empty split.
Split carve_split(Split& from, double fraction, uint64_t seed);

// An empty split with the right dtypes and sample shape (N = 0).
Split make_empty_split(const std::vector<int64_t>& sample_shape);

}  // namespace qdse::data
