// A small, strict CSV reader shared by the tabular loaders (csv, jsc).
//
// Format: comma-separated, first non-blank line is the header, one record per
// line ("\n" or "\r\n"), optional UTF-8 BOM, blank lines skipped, fields may be
// quoted with '"' (a doubled "" inside is a quote) but may not span lines.
// Every row must have as many fields as the header. Errors are Error(Io) of the
// form "<path>:<line>:<column>: expected ..., found ..." (1-based line and
// column), so a user can jump straight to the bad cell. Files may be gzipped.
// Ownership: CsvTable owns the file text; cells are views into it, so it is
// move-only in spirit (copying would leave views pointing at the old text;
// the copy constructor is deleted). Thread-safety: const access is safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace qdse::data {

// `s` without the spaces and tabs around it: cells keep them, numbers and labels do not.
std::string_view trim_blanks(std::string_view s);

class CsvTable {
 public:
  // Reads and tokenizes `path`. Throws Error(Io) for a missing/empty file, a file
  // without data rows, duplicate or empty header names, ragged rows and
  // malformed quoting.
  static CsvTable read(const std::string& path);

  CsvTable(CsvTable&&) = default;
  CsvTable& operator=(CsvTable&&) = default;
  CsvTable(const CsvTable&) = delete;
  CsvTable& operator=(const CsvTable&) = delete;

  const std::string& path() const { return path_; }
  const std::vector<std::string>& header() const { return header_; }
  int64_t num_rows() const { return static_cast<int64_t>(line_of_row_.size()); }
  int64_t num_columns() const { return static_cast<int64_t>(header_.size()); }
  // Index of `name` in the header, or -1.
  int64_t find_column(std::string_view name) const;
  std::string_view cell(int64_t row, int64_t col) const;
  int64_t line_of_row(int64_t row) const { return line_of_row_[static_cast<size_t>(row)]; }

  // The cell as a finite double (surrounding spaces allowed); otherwise throws
  // "<path>:<line>:<col> (column `name`): expected a finite number, found `...`".
  double number(int64_t row, int64_t col) const;
  // "<path>:<line>:<col> (column `name`)" for custom error messages.
  std::string where(int64_t row, int64_t col) const;

 private:
  CsvTable() = default;
  std::string path_;
  std::string text_;  // unescaped in place; cells_ view into it
  std::vector<std::string> header_;
  std::vector<std::string_view> cells_;  // row-major, num_columns per row
  std::vector<int32_t> column_of_cell_;  // 1-based source column of each cell
  std::vector<int64_t> line_of_row_;
};

}  // namespace qdse::data
