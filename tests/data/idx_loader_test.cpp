#include "qdse/data/idx_loader.hpp"

#include <gtest/gtest.h>

#include "../support/errors.hpp"
#include "../support/temp_dir.hpp"
#include <torch/types.h>
#include <zlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>

#include "qdse/core/error.hpp"
#include "qdse/data/load_dataset.hpp"

using namespace qdse::data;
namespace fs = std::filesystem;

namespace {

using qdse::testing::error_of;
using qdse::testing::TempDir;

// A fresh directory under /tmp, removed at the end of the test.
void put_be32(std::string& s, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) s.push_back(static_cast<char>((v >> shift) & 0xff));
}

std::string images_bytes(uint32_t n, uint32_t rows = 28, uint32_t cols = 28, uint32_t magic = 0x803) {
  std::string s;
  put_be32(s, magic);
  put_be32(s, n);
  put_be32(s, rows);
  put_be32(s, cols);
  for (uint64_t i = 0; i < uint64_t{n} * rows * cols; ++i) s.push_back(static_cast<char>(i % 256));
  return s;
}

std::string labels_bytes(uint32_t n, uint32_t magic = 0x801) {
  std::string s;
  put_be32(s, magic);
  put_be32(s, n);
  for (uint32_t i = 0; i < n; ++i) s.push_back(static_cast<char>(i % 10));
  return s;
}

void write_plain(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

void write_gz(const std::string& path, const std::string& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
  gzclose(f);
}

// A full four-file directory: 30 train and 12 test samples, gzipped.
void write_idx_dir(const TempDir& dir, bool gz = true) {
  auto w = [&](const std::string& name, const std::string& bytes) {
    if (gz) write_gz(dir.file(name + ".gz"), bytes);
    else write_plain(dir.file(name), bytes);
  };
  w("train-images-idx3-ubyte", images_bytes(30));
  w("train-labels-idx1-ubyte", labels_bytes(30));
  w("t10k-images-idx3-ubyte", images_bytes(12));
  w("t10k-labels-idx1-ubyte", labels_bytes(12));
}

}  // namespace

TEST(IdxLoader, ReadsGzipAndPlainIdentically) {
  TempDir dir("qdse_idx");
  write_gz(dir.file("a.gz"), images_bytes(3));
  write_plain(dir.file("a"), images_bytes(3));
  auto a = read_idx_images(dir.file("a.gz"));
  auto b = read_idx_images(dir.file("a"));
  EXPECT_EQ(a.sizes(), (std::vector<int64_t>{3, 28, 28}));
  EXPECT_EQ(a.scalar_type(), torch::kUInt8);
  EXPECT_TRUE(torch::equal(a, b));
  // Pixel k of the file is k % 256.
  EXPECT_EQ(a[1][0][5].item<uint8_t>(), (784 + 5) % 256);
  write_gz(dir.file("l.gz"), labels_bytes(13));
  auto l = read_idx_labels(dir.file("l.gz"));
  EXPECT_EQ(l.scalar_type(), torch::kInt64);
  EXPECT_EQ(l[12].item<int64_t>(), 2);
}

TEST(IdxLoader, LoadsDirectoryAsDataset) {
  for (bool gz : {true, false}) {
    TempDir dir("qdse_idx");
    write_idx_dir(dir, gz);
    Dataset d = load_idx_dataset(IdxFlavor::FashionMnist, dir.path().string());
    EXPECT_EQ(d.name, "fashion_mnist");
    EXPECT_EQ(d.train.x.sizes(), (std::vector<int64_t>{30, 1, 28, 28}));
    EXPECT_EQ(d.train.x.scalar_type(), torch::kFloat32);
    EXPECT_TRUE(d.train.x.is_contiguous());
    EXPECT_EQ(d.test.size(), 12);
    EXPECT_EQ(d.validation.size(), 0);
    EXPECT_EQ(d.num_classes, 10);
    EXPECT_EQ(d.class_names.front(), "T-shirt/top");
    EXPECT_EQ(d.class_names.back(), "Ankle boot");
    EXPECT_FLOAT_EQ(d.train.x[0][0][7][4].item<float>(), 200.f);  // raw pixels: byte 7*28+4 = 200
    EXPECT_EQ(d.test.y[11].item<int64_t>(), 1);
  }
}

TEST(IdxLoader, BadMagic) {
  TempDir dir("qdse_idx");
  write_gz(dir.file("x.gz"), images_bytes(2, 28, 28, 0x801));
  const std::string msg = error_of([&] { read_idx_images(dir.file("x.gz")); });
  EXPECT_CONTAINS(msg, dir.file("x.gz"));
  EXPECT_CONTAINS(msg, "expected magic 0x00000803");
  EXPECT_CONTAINS(msg, "found 0x00000801");
  write_plain(dir.file("l"), labels_bytes(2, 0x12345678));
  EXPECT_CONTAINS(error_of([&] { read_idx_labels(dir.file("l")); }), "found 0x12345678");
}

TEST(IdxLoader, WrongDims) {
  TempDir dir("qdse_idx");
  write_gz(dir.file("x.gz"), images_bytes(2, 32, 32));
  EXPECT_CONTAINS(error_of([&] { read_idx_images(dir.file("x.gz")); }), "expected 28x28 images, found 32x32");
}

TEST(IdxLoader, TruncatedAndOverlongData) {
  TempDir dir("qdse_idx");
  std::string img = images_bytes(4);
  write_gz(dir.file("short.gz"), img.substr(0, img.size() - 100));
  std::string msg = error_of([&] { read_idx_images(dir.file("short.gz")); });
  EXPECT_CONTAINS(msg, "truncated image data");
  EXPECT_CONTAINS(msg, "3136 bytes");
  write_plain(dir.file("long"), img + "xyz");
  EXPECT_CONTAINS(error_of([&] { read_idx_images(dir.file("long")); }), "trailing data");
  write_plain(dir.file("hdr"), img.substr(0, 6));
  EXPECT_CONTAINS(error_of([&] { read_idx_images(dir.file("hdr")); }), "truncated IDX header");
  // A header that promises 2^32-1 images must fail on the missing bytes, not allocate them.
  std::string liar;
  put_be32(liar, 0x803);
  put_be32(liar, 0xffffffffu);
  put_be32(liar, 28);
  put_be32(liar, 28);
  liar += std::string(1000, '\0');
  write_gz(dir.file("liar.gz"), liar);
  EXPECT_CONTAINS(error_of([&] { read_idx_images(dir.file("liar.gz")); }), "truncated image data");
}

TEST(IdxLoader, CorruptGzipStream) {
  TempDir dir("qdse_idx");
  write_gz(dir.file("c.gz"), images_bytes(20));
  // Cut the compressed stream in half: zlib sees an unexpected end.
  auto size = fs::file_size(dir.file("c.gz"));
  fs::resize_file(dir.file("c.gz"), size / 2);
  std::string msg = error_of([&] { read_idx_images(dir.file("c.gz")); });
  EXPECT_CONTAINS(msg, dir.file("c.gz"));
  // Flip bytes in the middle of the deflate data.
  write_gz(dir.file("d.gz"), images_bytes(20));
  {
    std::fstream f(dir.file("d.gz"), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(40);
    f.write("\xff\xff\xff\xff\xff\xff\xff\xff", 8);
  }
  EXPECT_NE(error_of([&] { read_idx_images(dir.file("d.gz")); }), "");
}

TEST(IdxLoader, LabelOutOfRange) {
  TempDir dir("qdse_idx");
  std::string l = labels_bytes(5);
  l[8 + 3] = 10;
  write_plain(dir.file("l"), l);
  std::string msg = error_of([&] { read_idx_labels(dir.file("l")); });
  EXPECT_CONTAINS(msg, "label 3 is 10");
  EXPECT_CONTAINS(msg, "[0, 9]");
}

TEST(IdxLoader, CountMismatch) {
  TempDir dir("qdse_idx");
  write_idx_dir(dir);
  write_gz(dir.file("train-labels-idx1-ubyte.gz"), labels_bytes(29));
  std::string msg = error_of([&] { load_idx_dataset(IdxFlavor::Mnist, dir.path().string()); });
  EXPECT_CONTAINS(msg, "30 images");
  EXPECT_CONTAINS(msg, "29 labels");
}

TEST(IdxLoader, MissingFilesNameThePathAndHint) {
  TempDir dir("qdse_idx");
  write_idx_dir(dir);
  fs::remove(dir.file("t10k-images-idx3-ubyte.gz"));
  std::string msg = error_of([&] { load_idx_dataset(IdxFlavor::FashionMnist, dir.path().string()); });
  EXPECT_CONTAINS(msg, dir.file("t10k-images-idx3-ubyte.gz"));
  EXPECT_CONTAINS(msg, "apt-get install dataset-fashion-mnist");
  msg = error_of([&] { load_idx_dataset(IdxFlavor::Mnist, dir.file("nope")); });
  EXPECT_CONTAINS(msg, dir.file("nope"));
  EXPECT_CONTAINS(msg, "yann.lecun.com");
  EXPECT_CONTAINS(error_of([&] { read_idx_labels(dir.file("missing.gz")); }), dir.file("missing.gz"));
}

// Random truncations and byte flips of a gzipped and a plain file: every outcome
// is either a successful read or a qdse::Error, never a crash or another exception.
TEST(IdxLoader, RandomCorruptionNeverCrashes) {
  TempDir dir("qdse_idx");
  const std::string good = images_bytes(3);
  write_gz(dir.file("g.gz"), good);
  std::string gz;
  {
    std::ifstream in(dir.file("g.gz"), std::ios::binary);
    gz.assign(std::istreambuf_iterator<char>(in), {});
  }
  std::mt19937 rng(1);
  int errors = 0;
  for (int i = 0; i < 300; ++i) {
    std::string bytes = (i % 2 ? gz : good);
    if (i % 3 == 0) bytes.resize(rng() % bytes.size());
    for (int k = 0; k < 3; ++k)
      if (!bytes.empty()) bytes[rng() % std::min<size_t>(bytes.size(), 64)] = static_cast<char>(rng());
    write_plain(dir.file("f"), bytes);
    try {
      read_idx_images(dir.file("f"));
      read_idx_labels(dir.file("f"));
    } catch (const qdse::Error&) {
      ++errors;
    }
  }
  EXPECT_GT(errors, 250);
}

// A caller that reads only the test split (a search on test_dataloader without
// "auto" formats) gets the same test split without the train files being opened.
TEST(IdxLoader, TestOnlyLoadSkipsTheTrainFiles) {
  TempDir dir("qdse_idx");
  write_idx_dir(dir);
  DatasetOptions o;
  o.name = "fashion_mnist";
  o.path = dir.path().string();
  const Dataset full = load_dataset(o);
  fs::remove(dir.file("train-images-idx3-ubyte.gz"));  // proves the files are never read
  fs::remove(dir.file("train-labels-idx1-ubyte.gz"));
  o.train = false;
  const Dataset test_only = load_dataset(o);
  EXPECT_EQ(test_only.train.size(), 0);
  EXPECT_EQ(test_only.validation.size(), 0);
  EXPECT_EQ(test_only.sample_shape, full.sample_shape);
  EXPECT_TRUE(torch::equal(test_only.test.x, full.test.x));  // same preprocessing
  EXPECT_TRUE(torch::equal(test_only.test.y, full.test.y));
  // The full load still needs them, and so does preprocessing with train statistics.
  o.train = true;
  EXPECT_CONTAINS(error_of([&] { load_dataset(o); }), "train-images-idx3-ubyte");
  o.train = false;
  o.preprocess = parse_preprocess("standardize");
  EXPECT_CONTAINS(error_of([&] { load_dataset(o); }), "train-images-idx3-ubyte");
}
