// Sample preprocessing, applied once at load time.
//
// Loaders return raw values (pixels as 0..255 floats, tabular features as read);
// load_dataset() then applies one Preprocess to every split so the in-memory
// dataset is final. Formulas (x is float32; c = channel = dim 1 of a sample batch;
// f = feature = one element of the flattened sample):
//   None        x
//   Scale       x / 255
//   Normalize   (x / 255 - mean[c]) / std[c]     (mean/std of size 1 broadcast)
//   Standardize (x - mean[f]) / std[f], mean/std over the TRAIN split only,
//               population std (ddof 0, like sklearn's StandardScaler), std 0 -> 1
// Ownership: Preprocess is a plain value. Thread-safety: functions are reentrant;
// apply_preprocess mutates only the Dataset it is given.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace qdse::data {

struct Dataset;

struct Preprocess {
  enum class Kind { None, Scale, Normalize, Standardize };
  Kind kind = Kind::None;
  // Normalize: per-channel mean/std (size 1 or channel count); empty = the
  // dataset's default (Fashion-MNIST / MNIST constants).
  // Standardize: filled by apply_preprocess with the train statistics; leave empty.
  std::vector<double> mean;
  std::vector<double> std;
};

// "none", "scale", "normalize", "standardize" (case-sensitive); anything else
// throws Error(Config) listing the valid names.
Preprocess::Kind parse_preprocess_kind(std::string_view name);
Preprocess parse_preprocess(std::string_view name);  // kind only, no mean/std
std::string_view to_string(Preprocess::Kind kind);

// Applies `p` to all splits of `dataset` in place and records the resolved
// Preprocess (with the mean/std actually used) in dataset.preprocess.
// Throws Error(Config) for Normalize without mean/std, mismatched mean/std sizes
// or a non-positive std, and for Standardize on an empty train split.
void apply_preprocess(Dataset& dataset, const Preprocess& p);

}  // namespace qdse::data
