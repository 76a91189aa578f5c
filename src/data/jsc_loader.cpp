#include "qdse/data/jsc_loader.hpp"

#include <hdf5.h>
#include <torch/types.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <unordered_set>

#include "qdse/core/error.hpp"
#include "qdse/data/csv_reader.hpp"
#include "qdse/data/permutation.hpp"

namespace qdse::data {

namespace {

// Rows are read in slabs so memory tracks the rows really present.
constexpr hsize_t kRowsPerSlab = 1 << 16;
// 2^28 rows * 21 doubles = 45 GB: far beyond any real JSC file; a bigger
// header count means a corrupt file.
constexpr hsize_t kMaxRows = hsize_t{1} << 28;

// Silences HDF5's automatic stderr error dump for the loader's lifetime: qdse
// reports its own messages. Restores the previous handler.
class QuietHdf5 {
 public:
  QuietHdf5() {
    H5Eget_auto2(H5E_DEFAULT, &func_, &data_);
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  }
  ~QuietHdf5() { H5Eset_auto2(H5E_DEFAULT, func_, data_); }

 private:
  H5E_auto2_t func_ = nullptr;
  void* data_ = nullptr;
};

// Closes an HDF5 id with the matching close function.
class H5Id {
 public:
  H5Id(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  ~H5Id() {
    if (id_ >= 0) close_(id_);
  }
  H5Id(const H5Id&) = delete;
  H5Id& operator=(const H5Id&) = delete;
  hid_t get() const { return id_; }
  bool ok() const { return id_ >= 0; }

 private:
  hid_t id_;
  herr_t (*close_)(hid_t);
};

std::string jsc_hint() {
  return std::string("Get the JSC file (HDF5, dataset `t_allpar_new`) from ") + kJscDownloadUrl + " and save it as " +
         kJscDefaultDir + "/" + kJscFileName + ", or point `dataset_path` at it or at a CSV with the 16 "
         "feature and 5 label columns.";
}

std::vector<std::string> all_field_names() {
  std::vector<std::string> names = jsc_feature_names();
  names.insert(names.end(), jsc_label_names().begin(), jsc_label_names().end());
  return names;
}

std::string compound_field_list(hid_t type) {
  std::string list;
  const int n = H5Tget_nmembers(type);
  for (int i = 0; i < n && i < 64; ++i) {
    char* name = H5Tget_member_name(type, static_cast<unsigned>(i));
    if (name) {
      list += (list.empty() ? "" : ", ") + std::string(name);
      H5free_memory(name);
    }
  }
  if (n > 64) list += ", ...";
  return list;
}

void check_finite(const JscTable& t, const std::string& path, const std::vector<std::string>& names) {
  for (int64_t r = 0; r < t.rows; ++r)
    for (int64_t c = 0; c < JscTable::kWidth; ++c) {
      const double v = t.values[static_cast<size_t>(r * JscTable::kWidth + c)];
      if (!std::isfinite(v)) {
        throw Error(ErrorKind::Io, path + ": row " + std::to_string(r) + ", field `" +
                                       names[static_cast<size_t>(c)] + "`: expected a finite number, found " +
                                       std::to_string(v));
      }
    }
}

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string resolve_jsc_path(const std::string& path_in) {
  const std::string path = path_in.empty() ? kJscDefaultDir : path_in;
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    std::string tried;
    for (const char* name : {kJscFileName, "jsc.h5", "jsc.hdf5", "jsc.csv", "jsc.csv.gz"}) {
      const auto p = (std::filesystem::path(path) / name).string();
      if (std::filesystem::is_regular_file(p, ec)) return p;
      tried += (tried.empty() ? "" : ", ") + p;
    }
    throw Error(ErrorKind::Io, "jsc: no data file in directory " + path + " (tried " + tried + "). " + jsc_hint());
  }
  if (!std::filesystem::exists(path, ec)) {
    throw Error(ErrorKind::Io, "jsc: " + path + " not found; expected the JSC HDF5 file or a CSV. " + jsc_hint());
  }
  return path;
}

}  // namespace

const std::vector<std::string>& jsc_feature_names() {
  static const std::vector<std::string> names = {
      "j_zlogz",         "j_c1_b0_mmdt",    "j_c1_b1_mmdt", "j_c1_b2_mmdt", "j_c2_b1_mmdt",    "j_c2_b2_mmdt",
      "j_d2_b1_mmdt",    "j_d2_b2_mmdt",    "j_d2_a1_b1_mmdt", "j_d2_a1_b2_mmdt", "j_m2_b1_mmdt", "j_m2_b2_mmdt",
      "j_n2_b1_mmdt",    "j_n2_b2_mmdt",    "j_mass_mmdt",  "j_multiplicity"};
  return names;
}

const std::vector<std::string>& jsc_label_names() {
  static const std::vector<std::string> names = {"j_g", "j_q", "j_w", "j_z", "j_t"};
  return names;
}

std::vector<std::string> jsc_class_names() { return {"gluon", "quark", "W", "Z", "top"}; }

JscTable read_jsc_hdf5(const std::string& path) {
  QuietHdf5 quiet;
  const std::vector<std::string> names = all_field_names();
  if (H5Fis_hdf5(path.c_str()) <= 0) {
    throw Error(ErrorKind::Io, path + ": expected an HDF5 file, found something else (or it is unreadable)");
  }
  H5Id file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!file.ok()) throw Error(ErrorKind::Io, path + ": cannot open as HDF5 (corrupt or truncated?)");
  if (H5Lexists(file.get(), kJscHdf5Dataset, H5P_DEFAULT) <= 0) {
    throw Error(ErrorKind::Io, path + ": expected a dataset `" + kJscHdf5Dataset + "`, found none");
  }
  H5Id dset(H5Dopen2(file.get(), kJscHdf5Dataset, H5P_DEFAULT), H5Dclose);
  if (!dset.ok()) throw Error(ErrorKind::Io, path + ": `" + kJscHdf5Dataset + "` is not a readable dataset");
  H5Id ftype(H5Dget_type(dset.get()), H5Tclose);
  if (!ftype.ok() || H5Tget_class(ftype.get()) != H5T_COMPOUND) {
    throw Error(ErrorKind::Io, path + ": expected `" + kJscHdf5Dataset +
                                   "` to be a compound (structured) array with named fields, found another type");
  }
  for (const std::string& name : names) {
    const int idx = H5Tget_member_index(ftype.get(), name.c_str());
    if (idx < 0) {
      throw Error(ErrorKind::Io, path + ": `" + kJscHdf5Dataset + "` has no field `" + name +
                                     "`; found fields: " + compound_field_list(ftype.get()));
    }
    const H5T_class_t cls = H5Tget_member_class(ftype.get(), static_cast<unsigned>(idx));
    if (cls != H5T_FLOAT && cls != H5T_INTEGER) {
      throw Error(ErrorKind::Io, path + ": field `" + name + "` of `" + kJscHdf5Dataset +
                                     "`: expected a float or integer scalar, found another type");
    }
  }
  H5Id fspace(H5Dget_space(dset.get()), H5Sclose);
  if (!fspace.ok() || H5Sget_simple_extent_ndims(fspace.get()) != 1) {
    throw Error(ErrorKind::Io, path + ": expected `" + kJscHdf5Dataset + "` to be 1-D, found rank " +
                                   std::to_string(fspace.ok() ? H5Sget_simple_extent_ndims(fspace.get()) : -1));
  }
  hsize_t n = 0;
  H5Sget_simple_extent_dims(fspace.get(), &n, nullptr);
  if (n == 0 || n > kMaxRows) {
    throw Error(ErrorKind::Io, path + ": expected between 1 and " + std::to_string(kMaxRows) + " rows in `" +
                                   kJscHdf5Dataset + "`, found " + std::to_string(n));
  }
  // Memory type: just the 21 wanted fields as doubles; HDF5 matches members by
  // name and converts float32/float64/int to double.
  constexpr size_t kRowBytes = sizeof(double) * JscTable::kWidth;
  H5Id mtype(H5Tcreate(H5T_COMPOUND, kRowBytes), H5Tclose);
  for (size_t i = 0; i < names.size(); ++i) H5Tinsert(mtype.get(), names[i].c_str(), i * sizeof(double), H5T_NATIVE_DOUBLE);

  JscTable t;
  for (hsize_t start = 0; start < n; start += kRowsPerSlab) {
    const hsize_t count = std::min(kRowsPerSlab, n - start);
    t.values.resize(static_cast<size_t>((start + count) * JscTable::kWidth));
    H5Id mspace(H5Screate_simple(1, &count, nullptr), H5Sclose);
    H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, &start, nullptr, &count, nullptr);
    if (H5Dread(dset.get(), mtype.get(), mspace.get(), fspace.get(), H5P_DEFAULT,
                t.values.data() + start * JscTable::kWidth) < 0) {
      throw Error(ErrorKind::Io, path + ": cannot read rows " + std::to_string(start) + ".." +
                                     std::to_string(start + count - 1) + " of `" + kJscHdf5Dataset +
                                     "` (file truncated or corrupt?)");
    }
  }
  t.rows = static_cast<int64_t>(n);
  check_finite(t, path, names);
  return t;
}

JscTable read_jsc_csv(const std::string& path) {
  const CsvTable csv = CsvTable::read(path);
  const std::vector<std::string> names = all_field_names();
  std::vector<int64_t> cols;
  for (const std::string& name : names) {
    const int64_t c = csv.find_column(name);
    if (c < 0) {
      std::string found;
      for (const auto& h : csv.header()) found += (found.empty() ? "" : ", ") + h;
      throw Error(ErrorKind::Io, path + ":1: expected a column `" + name + "`, found columns: " + found);
    }
    cols.push_back(c);
  }
  JscTable t;
  t.rows = csv.num_rows();
  t.values.resize(static_cast<size_t>(t.rows * JscTable::kWidth));
  for (int64_t r = 0; r < t.rows; ++r)
    for (size_t i = 0; i < cols.size(); ++i)
      t.values[static_cast<size_t>(r * JscTable::kWidth) + i] = csv.number(r, cols[i]);
  return t;
}

int64_t drop_duplicate_rows(JscTable& t) {
  constexpr auto kW = static_cast<size_t>(JscTable::kWidth);
  const double* base = t.values.data();
  auto canon = [](double v) { return v == 0.0 ? 0.0 : v; };  // -0.0 == 0.0, as in pandas
  auto hash = [&](int64_t r) {
    size_t h = 1469598103934665603ULL;
    for (size_t c = 0; c < kW; ++c) {
      const double v = canon(base[static_cast<size_t>(r) * kW + c]);
      uint64_t bits;
      std::memcpy(&bits, &v, sizeof bits);
      h = (h ^ bits) * 1099511628211ULL;
    }
    return h;
  };
  auto equal = [&](int64_t a, int64_t b) {
    for (size_t c = 0; c < kW; ++c)
      if (base[static_cast<size_t>(a) * kW + c] != base[static_cast<size_t>(b) * kW + c]) return false;
    return true;
  };
  std::unordered_set<int64_t, decltype(hash), decltype(equal)> seen(static_cast<size_t>(t.rows), hash, equal);
  std::vector<int64_t> keep;
  keep.reserve(static_cast<size_t>(t.rows));
  for (int64_t r = 0; r < t.rows; ++r)
    if (seen.insert(r).second) keep.push_back(r);
  const int64_t removed = t.rows - static_cast<int64_t>(keep.size());
  if (removed == 0) return 0;
  std::vector<double> out(keep.size() * kW);
  for (size_t i = 0; i < keep.size(); ++i)
    std::memcpy(out.data() + i * kW, base + static_cast<size_t>(keep[i]) * kW, kW * sizeof(double));
  t.values = std::move(out);
  t.rows = static_cast<int64_t>(keep.size());
  return removed;
}

Dataset load_jsc_dataset(const std::string& path_in) {
  const std::string path = resolve_jsc_path(path_in);
  JscTable t;
  if (ends_with(path, ".csv") || ends_with(path, ".csv.gz")) {
    t = read_jsc_csv(path);
  } else {
    {
      QuietHdf5 quiet;
      if (H5Fis_hdf5(path.c_str()) <= 0) {
        throw Error(ErrorKind::Io, "jsc: " + path +
                                       ": expected an HDF5 file (dataset `t_allpar_new`) or a file ending in "
                                       ".csv, found neither. " + jsc_hint());
      }
    }
    t = read_jsc_hdf5(path);
  }
  drop_duplicate_rows(t);

  Split all;
  all.x = torch::empty({t.rows, kJscNumFeatures}, torch::kFloat32);
  all.y = torch::empty({t.rows}, torch::kInt64);
  float* x = all.x.data_ptr<float>();
  int64_t* y = all.y.data_ptr<int64_t>();
  for (int64_t r = 0; r < t.rows; ++r) {
    const double* row = t.values.data() + r * JscTable::kWidth;
    for (int64_t f = 0; f < kJscNumFeatures; ++f) x[r * kJscNumFeatures + f] = static_cast<float>(row[f]);
    const double* labels = row + kJscNumFeatures;
    // argmax, first maximum wins (torch.max on one-hot rows).
    int64_t best = 0;
    for (int64_t k = 1; k < kJscNumLabels; ++k)
      if (labels[k] > labels[best]) best = k;
    if (!(labels[best] > 0.0)) {
      throw Error(ErrorKind::Io, path + ": row " + std::to_string(r) +
                                     " (after dropping duplicates): expected one-hot labels j_g..j_t, "
                                     "found no positive entry");
    }
    y[r] = best;
  }
  Dataset d;
  d.name = "jsc";
  d.sample_shape = {kJscNumFeatures};
  d.num_classes = kJscNumLabels;
  d.class_names = jsc_class_names();
  d.feature_names = jsc_feature_names();
  d.test = carve_split(all, kJscTestFraction, kJscSplitSeed);
  d.train = std::move(all);
  d.validation = make_empty_split(d.sample_shape);
  return d;
}

}  // namespace qdse::data
