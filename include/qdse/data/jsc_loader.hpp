// Loader for the hls4ml jet-substructure classification data (JSC), as MASE uses it.
//
// Sources: (a) the CERNBox HDF5 file (MASE saves it as kJscFileName) whose
// dataset `t_allpar_new` is a 1-D compound array with named fields, float or
// integer; only the 16 feature and 5 one-hot label fields are read, converted
// to double by HDF5 itself; (b) a CSV file with those column names (any order,
// extra columns ignored). Processing mirrors MASE's _preprocess_jsc_dataset:
// exact duplicate rows (features + labels) are dropped keeping the first, then
// 20% of the rows become the test split using seeded_permutation(N, 42), which
// equals sklearn's train_test_split(test_size=0.2, random_state=42) index for
// index (NumPy MT19937 permutation, see permutation.hpp). The class is the
// argmax of the one-hot labels. Features are returned raw; load_dataset()
// carves validation and standardizes (default) with train statistics.
// Ownership: returns values. Thread-safety: the HDF5 library (Debian's serial
// build) is not thread-safe; do not load HDF5 files from two threads at once.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "qdse/data/dataset.hpp"

namespace qdse::data {

inline constexpr const char* kJscHdf5Dataset = "t_allpar_new";
inline constexpr const char* kJscFileName =
    "processed-pythia82-lhc13-all-pt1-50k-r1_h022_e0175_t220_nonu_truth.z";
inline constexpr const char* kJscDownloadUrl = "https://cernbox.cern.ch/index.php/s/jvFd5MoWhGs1l5v/download";
// Relative to the working directory, like MASE's dataset folder.
inline constexpr const char* kJscDefaultDir = "data/jsc";
inline constexpr double kJscTestFraction = 0.2;
inline constexpr uint64_t kJscSplitSeed = 42;
inline constexpr int64_t kJscNumFeatures = 16;
inline constexpr int64_t kJscNumLabels = 5;

const std::vector<std::string>& jsc_feature_names();  // the 16 inputs, in model order
const std::vector<std::string>& jsc_label_names();    // j_g, j_q, j_w, j_z, j_t
std::vector<std::string> jsc_class_names();           // gluon, quark, W, Z, top

// Rows of 16 features followed by 5 label values, row-major, in file order.
struct JscTable {
  std::vector<double> values;
  int64_t rows = 0;
  static constexpr int64_t kWidth = kJscNumFeatures + kJscNumLabels;
};

JscTable read_jsc_hdf5(const std::string& path);
JscTable read_jsc_csv(const std::string& path);
// Removes exact duplicate rows, keeping first occurrences in order (pandas
// drop_duplicates). Returns how many rows were removed.
int64_t drop_duplicate_rows(JscTable& table);

// `path`: an HDF5 or .csv(.gz) file, or a directory holding kJscFileName,
// jsc.h5, jsc.hdf5 or jsc.csv; empty = kJscDefaultDir. Returns train/test raw.
Dataset load_jsc_dataset(const std::string& path);

}  // namespace qdse::data
