// TableReader: typed access to a parsed TOML table that remembers where it is.
//
// Every value read through it is checked for type and every error says the rule,
// the value received and where: "config.toml:12 (passes.quantize.linear.config.weight_width)".
// check_keys() turns unknown keys (typos) into errors listing the valid keys.
// Ownership: a reader points into a toml::table owned by the caller (keep the
// parsed document alive while readers exist). Thread-safety: read-only.
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "qdse/core/error.hpp"

namespace qdse::io {

class TableReader {
 public:
  TableReader(const toml::table& table, std::string file, std::string path);

  // Parses a TOML file; syntax errors become Config errors with file:line:column.
  static std::shared_ptr<toml::table> parse_file(const std::string& file);

  bool has(std::string_view key) const { return table_->contains(key); }
  const toml::node* node(std::string_view key) const { return table_->get(key); }
  std::vector<std::string> keys() const;

  std::optional<std::string> get_string(std::string_view key) const;
  std::optional<int64_t> get_int(std::string_view key) const;
  std::optional<double> get_double(std::string_view key) const;  // accepts integers too
  std::optional<bool> get_bool(std::string_view key) const;
  std::optional<TableReader> get_table(std::string_view key) const;

  std::string string_or(std::string_view key, std::string fallback) const;
  int64_t int_or(std::string_view key, int64_t fallback) const;
  double double_or(std::string_view key, double fallback) const;
  bool bool_or(std::string_view key, bool fallback) const;

  // Throws for any key not in `allowed`, naming the valid keys.
  void check_keys(const std::vector<std::string_view>& allowed) const;

  // "file:line (path.key)" for a key of this table, or for the table itself.
  std::string where(std::string_view key = {}) const;
  Error error(std::string_view key, const std::string& message) const;

  const std::string& file() const { return file_; }
  const std::string& path() const { return path_; }
  std::string child_path(std::string_view key) const;
  const toml::table& raw() const { return *table_; }

 private:
  const toml::table* table_;
  std::string file_;
  std::string path_;
};

// Short human form of a TOML value ("40", "\"abc\"", "[2, 4]"): one line, control
// characters escaped, cut after about 120 characters.
std::string describe_node(const toml::node& node);
// `text` with newlines and other control characters escaped (\n, \x01), so that a
// message quoting user input stays on one line.
std::string one_line_text(std::string_view text);

}  // namespace qdse::io
