#include "qdse/data/csv_loader.hpp"

#include <gtest/gtest.h>

#include "../support/csv_rows.hpp"
#include "../support/errors.hpp"
#include "../support/temp_dir.hpp"
#include <torch/types.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <functional>

#include "qdse/core/error.hpp"
#include "qdse/data/csv_reader.hpp"

using namespace qdse::data;
namespace fs = std::filesystem;

using namespace qdse::testing;

TEST(CsvReader, QuotesBomCrlfAndBlankLines) {
  TempDir dir("qdse_csv");
  auto p = dir.write("t.csv", "\xEF\xBB\xBFx, \"y\"\r\n\r\n\"1,5\",\"say \"\"hi\"\"\"\r\n2,3\n\n");
  CsvTable t = CsvTable::read(p);
  EXPECT_EQ(t.header(), (std::vector<std::string>{"x", "y"}));
  ASSERT_EQ(t.num_rows(), 2);
  EXPECT_EQ(t.cell(0, 0), "1,5");
  EXPECT_EQ(t.cell(0, 1), "say \"hi\"");
  EXPECT_EQ(t.line_of_row(0), 3);
  EXPECT_EQ(t.line_of_row(1), 4);
  EXPECT_DOUBLE_EQ(t.number(1, 1), 3.0);
}

TEST(CsvReader, Errors) {
  TempDir dir("qdse_csv");
  EXPECT_CONTAINS(error_of([&] { CsvTable::read(dir.write("e.csv", "")); }), "empty file");
  EXPECT_CONTAINS(error_of([&] { CsvTable::read(dir.write("h.csv", "a,b\n")); }), "expected data rows");
  std::string msg = error_of([&] { CsvTable::read(dir.write("r.csv", "a,b\n1,2\n3\n")); });
  EXPECT_CONTAINS(msg, "r.csv:3: expected 2 fields");
  EXPECT_CONTAINS(msg, "found 1");
  EXPECT_CONTAINS(error_of([&] { CsvTable::read(dir.write("q.csv", "a,b\n\"1,2\n")); }), "q.csv:2:1: expected a closing quote");
  EXPECT_CONTAINS(error_of([&] { CsvTable::read(dir.write("d.csv", "a,a\n1,2\n")); }), "duplicate column name `a`");
  EXPECT_CONTAINS(error_of([&] { CsvTable::read(dir.write("missing_dir/x.csv", "")); }), "not found");
}

TEST(CsvLoader, SingleFileIntegerLabels) {
  TempDir dir("qdse_csv");
  auto p = dir.write("data.csv", numbered_csv(50, 3, /*negated=*/true));
  Dataset d = load_csv_dataset(p, "label");
  EXPECT_EQ(d.name, "csv");
  EXPECT_EQ(d.feature_names, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(d.sample_shape, (std::vector<int64_t>{2}));
  EXPECT_EQ(d.num_classes, 3);
  EXPECT_EQ(d.class_names, (std::vector<std::string>{"0", "1", "2"}));
  EXPECT_EQ(d.test.size(), 10);  // ceil(0.2 * 50)
  EXPECT_EQ(d.train.size(), 40);
  EXPECT_EQ(d.validation.size(), 0);
  // Rows keep their features and labels together: a = i, label = i % 3, b = -i.
  for (const Split* s : {&d.train, &d.test})
    for (int64_t r = 0; r < s->size(); ++r) {
      const float a = s->x[r][0].item<float>();
      EXPECT_EQ(s->x[r][1].item<float>(), -a);
      EXPECT_EQ(s->y[r].item<int64_t>(), static_cast<int64_t>(a) % 3);
    }
  // Same file, same split.
  Dataset again = load_csv_dataset(p, "label");
  EXPECT_TRUE(torch::equal(d.test.x, again.test.x));
}

TEST(CsvLoader, StringLabelsSortedAndDirectoryLayout) {
  TempDir dir("qdse_csv");
  dir.write("train.csv", "f1,f2,kind\n1,2,cat\n3,4,ant\n5,6,dog\n");
  dir.write("test.csv", "f1,f2,kind\n7,8,bee\n");
  Dataset d = load_csv_dataset(dir.path().string(), "kind");
  EXPECT_EQ(d.class_names, (std::vector<std::string>{"ant", "bee", "cat", "dog"}));
  EXPECT_EQ(d.train.size(), 3);
  EXPECT_EQ(d.test.size(), 1);
  EXPECT_EQ(d.train.y[0].item<int64_t>(), 2);  // cat
  EXPECT_EQ(d.test.y[0].item<int64_t>(), 1);   // bee
  EXPECT_FLOAT_EQ(d.test.x[0][1].item<float>(), 8.f);
}

TEST(CsvLoader, ErrorsNameLineAndColumn) {
  TempDir dir("qdse_csv");
  std::string msg = error_of([&] { load_csv_dataset(dir.write("n.csv", "a,label\n1,0\n2,1\nx2,0\n"), "label"); });
  EXPECT_CONTAINS(msg, "n.csv:4:1 (column `a`): expected a finite number, found `x2`");
  msg = error_of([&] { load_csv_dataset(dir.write("n2.csv", "label,a\n0, 1.5\n1,nan\n"), "label"); });
  EXPECT_CONTAINS(msg, "n2.csv:3:3 (column `a`)");
  msg = error_of([&] { load_csv_dataset(dir.write("m.csv", "a,b\n1,2\n"), "label"); });
  EXPECT_CONTAINS(msg, "expected a label column named `label`");
  EXPECT_CONTAINS(msg, "found columns: a, b");
  msg = error_of([&] { load_csv_dataset(dir.write("el.csv", "a,label\n1,\n"), "label"); });
  EXPECT_CONTAINS(msg, "el.csv:2:3 (column `label`): expected a class label");
  EXPECT_CONTAINS(error_of([&] { load_csv_dataset(dir.write("big.csv", "a,label\n1,99999999\n2,0\n"), "label"); }),
                  "class id 99999999");
  EXPECT_CONTAINS(error_of([&] { load_csv_dataset(dir.write("only.csv", "label\n1\n"), "label"); }),
                  "at least one feature column");
  EXPECT_CONTAINS(error_of([&] { load_csv_dataset("", "label"); }), "dataset_path");
}

TEST(CsvLoader, DirectoryErrors) {
  TempDir dir("qdse_csv");
  dir.write("train.csv", "a,label\n1,0\n");
  std::string msg = error_of([&] { load_csv_dataset(dir.path().string(), "label"); });
  EXPECT_CONTAINS(msg, "no test.csv");
  dir.write("test.csv", "b,label\n1,0\n");
  msg = error_of([&] { load_csv_dataset(dir.path().string(), "label"); });
  EXPECT_CONTAINS(msg, "expected the same header");
}

// Random edits of a valid CSV: every outcome is a Dataset or a qdse::Error.
TEST(CsvLoader, RandomCorruptionNeverCrashes) {
  TempDir dir("qdse_csv");
  const std::string good = "a,\"b\",label\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n9,10,x\n";
  const std::string alphabet = ",\"\n\r 0123456789.e-+xlabel";
  std::mt19937 rng(7);
  for (int i = 0; i < 300; ++i) {
    std::string text = good;
    for (int k = 0; k < 1 + i % 4; ++k) text[rng() % text.size()] = alphabet[rng() % alphabet.size()];
    if (i % 5 == 0) text.resize(rng() % text.size());
    const auto p = dir.write("f.csv", text);
    try {
      Dataset d = load_csv_dataset(p, "label");
      EXPECT_EQ(d.train.size() + d.test.size(), CsvTable::read(p).num_rows());
    } catch (const qdse::Error&) {
    }
  }
}
