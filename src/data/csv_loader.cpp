#include "qdse/data/csv_loader.hpp"

#include <torch/types.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <map>
#include <optional>

#include "qdse/core/error.hpp"
#include "qdse/data/csv_reader.hpp"

namespace qdse::data {

namespace {

std::optional<int64_t> parse_class_id(std::string_view s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  for (char c : s)
    if (c < '0' || c > '9') return std::nullopt;
  int64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

int64_t label_column_index(const CsvTable& t, const std::string& label_column) {
  const int64_t idx = t.find_column(label_column);
  if (idx < 0) {
    std::string cols;
    for (const auto& h : t.header()) cols += (cols.empty() ? "" : ", ") + h;
    throw Error(ErrorKind::Io, t.path() + ":1: expected a label column named `" + label_column +
                                   "` (option `label_column`), found columns: " + cols);
  }
  if (t.num_columns() < 2) {
    throw Error(ErrorKind::Io, t.path() + ": expected at least one feature column besides the label column `" +
                                   label_column + "`, found none");
  }
  return idx;
}

torch::Tensor read_features(const CsvTable& t, int64_t label_col) {
  const int64_t n = t.num_rows();
  const int64_t f = t.num_columns() - 1;
  auto x = torch::empty({n, f}, torch::kFloat32);
  float* out = x.data_ptr<float>();
  for (int64_t r = 0; r < n; ++r)
    for (int64_t c = 0; c < t.num_columns(); ++c)
      if (c != label_col) *out++ = static_cast<float>(t.number(r, c));
  return x;
}

std::string find_split_file(const std::filesystem::path& dir, const std::string& stem) {
  for (const std::string& name : {stem + ".csv", stem + ".csv.gz"}) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(dir / name, ec)) return (dir / name).string();
  }
  throw Error(ErrorKind::Io, "csv: directory " + dir.string() + " has no " + stem + ".csv (or " + stem +
                                 ".csv.gz); expected train.csv and test.csv, or point `dataset_path` "
                                 "at a single CSV file");
}

}  // namespace

Dataset load_csv_dataset(const std::string& path, const std::string& label_column) {
  if (path.empty()) {
    throw Error(ErrorKind::Config,
                "dataset `csv` needs `dataset_path`: a CSV file, or a directory with train.csv and test.csv");
  }
  std::error_code ec;
  const bool is_dir = std::filesystem::is_directory(path, ec);
  std::vector<CsvTable> tables;
  if (is_dir) {
    tables.push_back(CsvTable::read(find_split_file(path, "train")));
    tables.push_back(CsvTable::read(find_split_file(path, "test")));
    if (tables[0].header() != tables[1].header()) {
      const auto& a = tables[0].header();
      const auto& b = tables[1].header();
      size_t i = 0;
      while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
      throw Error(ErrorKind::Io, tables[1].path() + ":1: expected the same header as " + tables[0].path() +
                                     "; column " + std::to_string(i + 1) + " is `" +
                                     (i < b.size() ? b[i] : std::string("<missing>")) + "` there but `" +
                                     (i < a.size() ? a[i] : std::string("<missing>")) + "` in train");
    }
  } else {
    tables.push_back(CsvTable::read(path));
  }
  const int64_t label_col = label_column_index(tables[0], label_column);

  // Decide integer ids vs. string classes over all rows of all files.
  bool all_ids = true;
  int64_t max_id = -1;
  std::map<std::string, int64_t> names;
  for (const CsvTable& t : tables) {
    for (int64_t r = 0; r < t.num_rows(); ++r) {
      std::string_view s = trim_blanks(t.cell(r, label_col));
      if (s.empty()) {
        throw Error(ErrorKind::Io, t.where(r, label_col) + ": expected a class label, found an empty cell");
      }
      if (auto id = parse_class_id(s); id && all_ids) {
        max_id = std::max(max_id, *id);
      } else {
        all_ids = false;
      }
      names.emplace(std::string(s), 0);
    }
  }
  if (all_ids && max_id > kCsvMaxClassId) {
    throw Error(ErrorKind::Io, tables[0].path() + ": label column `" + label_column +
                                   "` has class id " + std::to_string(max_id) + ", expected ids <= " +
                                   std::to_string(kCsvMaxClassId));
  }
  Dataset d;
  d.name = "csv";
  if (all_ids) {
    d.num_classes = max_id + 1;
    for (int64_t i = 0; i < d.num_classes; ++i) d.class_names.push_back(std::to_string(i));
  } else {
    int64_t next = 0;
    for (auto& [name, id] : names) {
      id = next++;
      d.class_names.push_back(name);
    }
    d.num_classes = next;
  }

  std::vector<Split> splits;
  for (const CsvTable& t : tables) {
    Split s;
    s.x = read_features(t, label_col);
    s.y = torch::empty({t.num_rows()}, torch::kInt64);
    int64_t* y = s.y.data_ptr<int64_t>();
    for (int64_t r = 0; r < t.num_rows(); ++r) {
      std::string_view cell = trim_blanks(t.cell(r, label_col));
      y[r] = all_ids ? *parse_class_id(cell) : names.at(std::string(cell));
    }
    splits.push_back(std::move(s));
  }
  for (int64_t c = 0; c < tables[0].num_columns(); ++c)
    if (c != label_col) d.feature_names.push_back(tables[0].header()[static_cast<size_t>(c)]);
  d.sample_shape = {static_cast<int64_t>(d.feature_names.size())};
  d.train = std::move(splits[0]);
  if (is_dir) {
    d.test = std::move(splits[1]);
  } else {
    d.test = carve_split(d.train, kCsvTestFraction, kCsvTestSeed);
  }
  d.validation = make_empty_split(d.sample_shape);
  return d;
}

}  // namespace qdse::data
