#include "qdse/data/jsc_loader.hpp"

#include <gtest/gtest.h>

#include "../support/errors.hpp"
#include "../support/temp_dir.hpp"
#include <torch/types.h>

// Debian installs the serial HDF5 headers in a subfolder; the test target does
// not get qdse_data's private HDF5 include path.
#if __has_include(<hdf5.h>)
#include <hdf5.h>
#else
#include <hdf5/serial/hdf5.h>
#endif

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>

#include "qdse/core/error.hpp"
#include "qdse/data/load_dataset.hpp"

using namespace qdse::data;
namespace fs = std::filesystem;

namespace {

using qdse::testing::error_of;
using qdse::testing::TempDir;

// One row: features f(i, k) = i + k / 100, class i % 5.
struct Row {
  std::vector<double> features;
  int cls;
};

Row make_row(int i) {
  Row r;
  for (int k = 0; k < kJscNumFeatures; ++k) r.features.push_back(i + k / 100.0);
  r.cls = i % 5;
  return r;
}

// Writes rows as a compound dataset `t_allpar_new` in the hls4ml layout: the
// wanted fields (as `float_type`), plus two unrelated fields, in a shuffled
// field order. `skip` leaves one field out.
void write_h5(const std::string& path, const std::vector<Row>& rows, hid_t float_type,
              const std::string& skip = "", const char* dataset_name = "t_allpar_new") {
  std::vector<std::string> names = {"j_index"};
  for (auto it = jsc_label_names().rbegin(); it != jsc_label_names().rend(); ++it) names.push_back(*it);
  for (const auto& f : jsc_feature_names()) names.push_back(f);
  names.push_back("j_pt");
  std::erase(names, skip);
  const size_t fsize = H5Tget_size(float_type);
  const size_t row_bytes = names.size() * 8;
  hid_t type = H5Tcreate(H5T_COMPOUND, row_bytes);
  for (size_t i = 0; i < names.size(); ++i)
    H5Tinsert(type, names[i].c_str(), i * 8, names[i] == "j_index" ? H5T_NATIVE_INT64 : float_type);
  std::vector<unsigned char> buf(rows.size() * row_bytes, 0);
  for (size_t r = 0; r < rows.size(); ++r) {
    for (size_t i = 0; i < names.size(); ++i) {
      unsigned char* dst = buf.data() + r * row_bytes + i * 8;
      double v = 0;
      const std::string& n = names[i];
      if (n == "j_index") {
        int64_t idx = static_cast<int64_t>(r);
        std::memcpy(dst, &idx, 8);
        continue;
      }
      if (n == "j_pt") v = 123.0;
      for (int k = 0; k < kJscNumFeatures; ++k)
        if (n == jsc_feature_names()[k]) v = rows[r].features[static_cast<size_t>(k)];
      for (int k = 0; k < kJscNumLabels; ++k)
        if (n == jsc_label_names()[k]) v = rows[r].cls == k ? 1.0 : 0.0;
      if (fsize == 4) {
        float f = static_cast<float>(v);
        std::memcpy(dst, &f, 4);
      } else {
        std::memcpy(dst, &v, 8);
      }
    }
  }
  hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hsize_t dims[1] = {rows.size()};
  hid_t space = H5Screate_simple(1, dims, nullptr);
  hid_t dset = H5Dcreate2(file, dataset_name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(dset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data());
  H5Dclose(dset);
  H5Sclose(space);
  H5Tclose(type);
  H5Fclose(file);
}

void write_csv(const std::string& path, const std::vector<Row>& rows) {
  std::ofstream out(path);
  out << "extra";
  for (auto it = jsc_label_names().rbegin(); it != jsc_label_names().rend(); ++it) out << "," << *it;
  for (const auto& f : jsc_feature_names()) out << "," << f;
  out << "\n";
  for (const Row& r : rows) {
    out << "7";
    for (int k = kJscNumLabels - 1; k >= 0; --k) out << "," << (r.cls == k ? 1 : 0);
    for (double f : r.features) out << "," << f;
    out << "\n";
  }
}

std::vector<Row> rows_0_to(int n) {
  std::vector<Row> rows;
  for (int i = 0; i < n; ++i) rows.push_back(make_row(i));
  return rows;
}

}  // namespace

TEST(JscLoader, Hdf5RoundTripFloat32AndFloat64) {
  for (hid_t ft : {H5T_NATIVE_FLOAT, H5T_NATIVE_DOUBLE}) {
    TempDir dir("qdse_jsc");
    write_h5(dir.file("jsc.h5"), rows_0_to(7), ft);
    JscTable t = read_jsc_hdf5(dir.file("jsc.h5"));
    ASSERT_EQ(t.rows, 7);
    for (int r = 0; r < 7; ++r) {
      Row expect = make_row(r);
      for (int k = 0; k < kJscNumFeatures; ++k)
        EXPECT_NEAR(t.values[static_cast<size_t>(r * JscTable::kWidth + k)], expect.features[static_cast<size_t>(k)], 1e-5);
      for (int k = 0; k < kJscNumLabels; ++k)
        EXPECT_EQ(t.values[static_cast<size_t>(r * JscTable::kWidth + kJscNumFeatures + k)], expect.cls == k ? 1.0 : 0.0);
    }
  }
}

TEST(JscLoader, Hdf5MissingFieldAndDataset) {
  TempDir dir("qdse_jsc");
  write_h5(dir.file("a.h5"), rows_0_to(3), H5T_NATIVE_FLOAT, "j_mass_mmdt");
  std::string msg = error_of([&] { read_jsc_hdf5(dir.file("a.h5")); });
  EXPECT_CONTAINS(msg, dir.file("a.h5"));
  EXPECT_CONTAINS(msg, "no field `j_mass_mmdt`");
  write_h5(dir.file("b.h5"), rows_0_to(3), H5T_NATIVE_FLOAT, "", "other");
  EXPECT_CONTAINS(error_of([&] { read_jsc_hdf5(dir.file("b.h5")); }), "expected a dataset `t_allpar_new`");
  std::ofstream(dir.file("c.h5")) << "not hdf5";
  EXPECT_CONTAINS(error_of([&] { read_jsc_hdf5(dir.file("c.h5")); }), "expected an HDF5 file");
  // Truncated HDF5: the superblock survives, the data does not.
  write_h5(dir.file("d.h5"), rows_0_to(2000), H5T_NATIVE_DOUBLE);
  fs::resize_file(dir.file("d.h5"), fs::file_size(dir.file("d.h5")) / 2);
  EXPECT_NE(error_of([&] { read_jsc_hdf5(dir.file("d.h5")); }), "");
}

TEST(JscLoader, CsvMatchesHdf5) {
  TempDir dir("qdse_jsc");
  write_h5(dir.file("jsc.h5"), rows_0_to(20), H5T_NATIVE_DOUBLE);
  write_csv(dir.file("jsc.csv"), rows_0_to(20));
  JscTable a = read_jsc_hdf5(dir.file("jsc.h5"));
  JscTable b = read_jsc_csv(dir.file("jsc.csv"));
  ASSERT_EQ(a.rows, b.rows);
  for (size_t i = 0; i < a.values.size(); ++i) EXPECT_NEAR(a.values[i], b.values[i], 1e-9);
  std::ofstream(dir.file("bad.csv")) << "j_zlogz,j_g\n1,0\n";
  EXPECT_CONTAINS(error_of([&] { read_jsc_csv(dir.file("bad.csv")); }), "expected a column `j_c1_b0_mmdt`");
}

TEST(JscLoader, DropsDuplicatesKeepingFirst) {
  std::vector<Row> rows = rows_0_to(6);
  rows.insert(rows.begin() + 3, make_row(1));  // exact duplicate of row 1
  rows.push_back(make_row(5));                 // duplicate of row 5
  Row near = make_row(2);
  near.cls = 4;  // same features, different label: not a duplicate
  rows.push_back(near);
  TempDir dir("qdse_jsc");
  write_h5(dir.file("jsc.h5"), rows, H5T_NATIVE_FLOAT);
  JscTable t = read_jsc_hdf5(dir.file("jsc.h5"));
  EXPECT_EQ(drop_duplicate_rows(t), 2);
  EXPECT_EQ(t.rows, 7);
  EXPECT_NEAR(t.values[3 * JscTable::kWidth], 3.0, 1e-6);  // row order kept
}

TEST(JscLoader, DatasetSplitAndLabels) {
  TempDir dir("qdse_jsc");
  write_h5(dir.file(kJscFileName), rows_0_to(50), H5T_NATIVE_FLOAT);
  Dataset d = load_jsc_dataset(dir.path().string());  // directory: finds the MASE file name
  EXPECT_EQ(d.name, "jsc");
  EXPECT_EQ(d.test.size(), 10);
  EXPECT_EQ(d.train.size(), 40);
  EXPECT_EQ(d.train.x.sizes(), (std::vector<int64_t>{40, 16}));
  EXPECT_EQ(d.num_classes, 5);
  EXPECT_EQ(d.feature_names.size(), 16u);
  for (const Split* s : {&d.train, &d.test})
    for (int64_t r = 0; r < s->size(); ++r) {
      const auto i = static_cast<int64_t>(std::lround(s->x[r][0].item<float>()));
      EXPECT_EQ(s->y[r].item<int64_t>(), i % 5);
    }
  // seed 42, 50 rows: test is the first 10 of RandomState(42).permutation(50).
  Dataset again = load_jsc_dataset(dir.file(kJscFileName));
  EXPECT_TRUE(torch::equal(d.test.y, again.test.y));
  EXPECT_TRUE(torch::equal(d.train.x, again.train.x));
}

TEST(JscLoader, StandardizeUsesTrainStats) {
  TempDir dir("qdse_jsc");
  write_h5(dir.file("jsc.h5"), rows_0_to(100), H5T_NATIVE_DOUBLE);
  DatasetOptions opt;
  opt.name = "jsc";
  opt.path = dir.file("jsc.h5");
  Dataset raw_opts_d = [&] {
    DatasetOptions o = opt;
    o.preprocess = parse_preprocess("none");
    return load_dataset(o);
  }();
  Dataset d = load_dataset(opt);  // default: standardize
  EXPECT_EQ(d.preprocess.kind, Preprocess::Kind::Standardize);
  EXPECT_EQ(d.validation.size(), 8);  // ceil(0.1 * 80)
  EXPECT_EQ(d.train.size(), 72);
  // Train features have mean 0 and population std 1; test ones use train stats.
  auto mean = d.train.x.mean(0);
  auto std = d.train.x.std(0, /*unbiased=*/false);
  EXPECT_LT(mean.abs().max().item<float>(), 1e-5);
  EXPECT_LT((std - 1).abs().max().item<float>(), 1e-5);
  auto raw_train = raw_opts_d.train.x.to(torch::kFloat64);
  auto m = raw_train.mean(0);
  auto s = raw_train.std(0, false);
  auto expected_test = ((raw_opts_d.test.x.to(torch::kFloat64) - m) / s).to(torch::kFloat32);
  EXPECT_TRUE(torch::allclose(d.test.x, expected_test, 1e-5, 1e-5));
  EXPECT_NEAR(d.preprocess.mean[0], m[0].item<double>(), 1e-9);
}

TEST(JscLoader, MissingFileHint) {
  TempDir dir("qdse_jsc");
  std::string msg = error_of([&] { load_jsc_dataset(dir.path().string()); });
  EXPECT_CONTAINS(msg, kJscFileName);
  EXPECT_CONTAINS(msg, "cernbox.cern.ch");
  std::ofstream(dir.file("x.bin")) << "garbage";
  EXPECT_CONTAINS(error_of([&] { load_jsc_dataset(dir.file("x.bin")); }), "expected an HDF5 file");
}
