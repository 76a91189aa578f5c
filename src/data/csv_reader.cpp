#include "qdse/data/csv_reader.hpp"

#include <charconv>
#include <cmath>
#include <unordered_set>

#include "qdse/core/error.hpp"
#include "qdse/data/file_reader.hpp"

namespace qdse::data {

std::string_view trim_blanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

namespace {

std::string shorten(std::string_view s) {
  constexpr size_t kMax = 40;
  return s.size() <= kMax ? std::string(s) : std::string(s.substr(0, kMax)) + "...";
}

struct Field {
  std::string_view value;
  int32_t column;  // 1-based character column where the field starts
};

// Splits one line (no line terminator) into fields, unescaping quoted fields in
// place: the unescaped text is never longer than the original, so it fits.
std::vector<Field> split_line(char* begin, char* end, const std::string& path, int64_t line_no) {
  std::vector<Field> fields;
  char* p = begin;
  for (;;) {
    // A quoted field may be preceded by blanks (`a, "b"`); unquoted fields keep them.
    char* lead = p;
    while (lead < end && (*lead == ' ' || *lead == '\t')) ++lead;
    if (lead < end && *lead == '"') p = lead;
    const auto column = static_cast<int32_t>(p - begin + 1);
    if (p < end && *p == '"') {
      char* out = p;
      char* q = p + 1;
      bool closed = false;
      char* start = out;
      while (q < end) {
        if (*q == '"') {
          if (q + 1 < end && q[1] == '"') {
            *out++ = '"';
            q += 2;
            continue;
          }
          closed = true;
          ++q;
          break;
        }
        *out++ = *q++;
      }
      if (!closed) {
        throw Error(ErrorKind::Io, path + ":" + std::to_string(line_no) + ":" + std::to_string(column) +
                                       ": expected a closing quote for this field, found the end of "
                                       "the line (fields may not span lines)");
      }
      fields.push_back({std::string_view(start, static_cast<size_t>(out - start)), column});
      while (q < end && (*q == ' ' || *q == '\t')) ++q;
      if (q == end) break;
      if (*q != ',') {
        throw Error(ErrorKind::Io, path + ":" + std::to_string(line_no) + ":" +
                                       std::to_string(q - begin + 1) +
                                       ": expected a comma after the closing quote, found `" +
                                       std::string(1, *q) + "`");
      }
      p = q + 1;
      continue;
    }
    char* comma = p;
    while (comma < end && *comma != ',') ++comma;
    fields.push_back({std::string_view(p, static_cast<size_t>(comma - p)), column});
    if (comma == end) break;
    p = comma + 1;
  }
  return fields;
}

}  // namespace

CsvTable CsvTable::read(const std::string& path) {
  CsvTable t;
  t.path_ = path;
  t.text_ = read_whole_file(path);
  if (t.text_.size() >= 3 && t.text_.compare(0, 3, "\xEF\xBB\xBF") == 0) t.text_[0] = t.text_[1] = t.text_[2] = ' ';
  char* const data = t.text_.data();
  const size_t size = t.text_.size();
  size_t pos = 0;
  int64_t line_no = 0;
  bool have_header = false;
  while (pos < size) {
    size_t eol = t.text_.find('\n', pos);
    if (eol == std::string::npos) eol = size;
    size_t line_end = eol;
    if (line_end > pos && data[line_end - 1] == '\r') --line_end;
    ++line_no;
    char* b = data + pos;
    char* e = data + line_end;
    pos = eol + 1;
    if (trim_blanks(std::string_view(b, static_cast<size_t>(e - b))).empty()) continue;
    std::vector<Field> fields = split_line(b, e, path, line_no);
    if (!have_header) {
      std::unordered_set<std::string> seen;
      for (const Field& f : fields) {
        std::string name(trim_blanks(f.value));
        if (name.empty()) {
          throw Error(ErrorKind::Io, path + ":" + std::to_string(line_no) + ":" + std::to_string(f.column) +
                                         ": expected a column name in the header, found an empty field");
        }
        if (!seen.insert(name).second) {
          throw Error(ErrorKind::Io, path + ":" + std::to_string(line_no) + ":" + std::to_string(f.column) +
                                         ": duplicate column name `" + name + "` in the header");
        }
        t.header_.push_back(std::move(name));
      }
      have_header = true;
      continue;
    }
    if (fields.size() != t.header_.size()) {
      throw Error(ErrorKind::Io, path + ":" + std::to_string(line_no) + ": expected " +
                                     std::to_string(t.header_.size()) + " fields (as in the header), found " +
                                     std::to_string(fields.size()));
    }
    for (const Field& f : fields) {
      t.cells_.push_back(f.value);
      t.column_of_cell_.push_back(f.column);
    }
    t.line_of_row_.push_back(line_no);
  }
  if (!have_header) {
    throw Error(ErrorKind::Io, path + ": expected a CSV header row and data rows, found an empty file");
  }
  if (t.line_of_row_.empty()) {
    throw Error(ErrorKind::Io, path + ": expected data rows after the header, found none");
  }
  return t;
}

int64_t CsvTable::find_column(std::string_view name) const {
  for (size_t i = 0; i < header_.size(); ++i)
    if (header_[i] == name) return static_cast<int64_t>(i);
  return -1;
}

std::string_view CsvTable::cell(int64_t row, int64_t col) const {
  return cells_[static_cast<size_t>(row * num_columns() + col)];
}

std::string CsvTable::where(int64_t row, int64_t col) const {
  return path_ + ":" + std::to_string(line_of_row(row)) + ":" +
         std::to_string(column_of_cell_[static_cast<size_t>(row * num_columns() + col)]) + " (column `" +
         header_[static_cast<size_t>(col)] + "`)";
}

double CsvTable::number(int64_t row, int64_t col) const {
  std::string_view s = trim_blanks(cell(row, col));
  std::string_view digits = s;
  if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
  double value = 0.0;
  const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (s.empty() || ec != std::errc() || ptr != digits.data() + digits.size() || !std::isfinite(value)) {
    throw Error(ErrorKind::Io, where(row, col) + ": expected a finite number, found `" + shorten(s) + "`");
  }
  return value;
}

}  // namespace qdse::data
