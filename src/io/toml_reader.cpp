#include "qdse/io/toml_reader.hpp"

#include <filesystem>
#include <sstream>

namespace qdse::io {
namespace {

// Values and keys come from the user's file: a string may hold newlines, control
// characters or a megabyte of text. Errors are one line, so those are escaped and
// long descriptions cut.
constexpr std::size_t kMaxDescribed = 120;

std::string one_line(std::string_view text, std::size_t max_chars) {
  std::string out;
  for (unsigned char c : text) {
    if (out.size() >= max_chars && (c & 0xC0) != 0x80) {  // never cut inside a UTF-8 character
      out += "...";
      break;
    }
    if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (c < 0x20 || c == 0x7f) {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace

std::string one_line_text(std::string_view text) { return one_line(text, std::string::npos); }

TableReader::TableReader(const toml::table& table, std::string file, std::string path)
    : table_(&table), file_(std::move(file)), path_(std::move(path)) {}

std::shared_ptr<toml::table> TableReader::parse_file(const std::string& file) {
  // toml++ reads a directory as an empty document, which would surface later as
  // "no [search] table"; say what is wrong instead.
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec))
    throw Error(ErrorKind::Config, "config " + one_line_text(file) + " is a directory; expected a TOML file");
  try {
    return std::make_shared<toml::table>(toml::parse_file(file));
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    std::ostringstream msg;
    msg << "invalid TOML in " << file;
    if (b.line) msg << ":" << b.line << ":" << b.column;
    msg << ": " << e.description();
    // toml++ reports a missing file as a parse error too; say it plainly.
    if (!b.line) msg.str("cannot read config file " + file + ": " + std::string(e.description()));
    throw Error(ErrorKind::Config, one_line_text(msg.str()));
  }
}

std::vector<std::string> TableReader::keys() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : *table_) out.emplace_back(k.str());
  return out;
}

std::string TableReader::child_path(std::string_view key) const {
  if (path_.empty()) return std::string(key);
  return path_ + "." + std::string(key);
}

std::string TableReader::where(std::string_view key) const {
  const toml::node* n = key.empty() ? table_ : table_->get(key);
  std::string out = file_;
  if (n && n->source().begin.line) out += ":" + std::to_string(n->source().begin.line);
  const std::string p = key.empty() ? path_ : child_path(key);
  if (!p.empty()) out += " (" + p + ")";
  return out;
}

Error TableReader::error(std::string_view key, const std::string& message) const {
  return Error(ErrorKind::Config, one_line_text(message + " (" + where(key) + ")"));
}

std::string describe_node(const toml::node& node) {
  std::ostringstream s;
  node.visit([&](const auto& v) {
    if constexpr (toml::is_string<decltype(v)>)
      s << '"' << v.get() << '"';
    else if constexpr (toml::is_table<decltype(v)>)
      s << "a table";
    else
      s << v;
  });
  // Arrays print over several lines and strings may hold anything: keep one short line.
  std::string text = s.str();
  if (node.is_array()) {
    std::string flat;
    bool space = false;
    for (char c : text) {
      const bool ws = c == '\n' || c == '\r' || c == '\t' || c == ' ';
      if (ws) {
        space = true;
        continue;
      }
      if (space && !flat.empty() && flat.back() != '[' && c != ']') flat += ' ';
      space = false;
      flat += c;
    }
    text = flat;
  }
  return one_line(text, kMaxDescribed);
}

namespace {
Error type_error(const TableReader& r, std::string_view key, const char* expected) {
  return r.error(key, "`" + std::string(key) + "` must be " + expected + ", got " +
                          describe_node(*r.node(key)));
}

// A scalar of exactly TOML type T (no conversions): nullopt when the key is absent, a
// located type error when it holds anything else.
template <class T>
std::optional<T> exact_value(const TableReader& r, std::string_view key, const char* expected) {
  const toml::node* n = r.node(key);
  if (!n) return std::nullopt;
  if (auto v = n->value_exact<T>()) return v;
  throw type_error(r, key, expected);
}
}  // namespace

std::optional<std::string> TableReader::get_string(std::string_view key) const {
  return exact_value<std::string>(*this, key, "a string");
}

std::optional<int64_t> TableReader::get_int(std::string_view key) const {
  return exact_value<int64_t>(*this, key, "an integer");
}

std::optional<double> TableReader::get_double(std::string_view key) const {
  const toml::node* n = node(key);
  if (!n) return std::nullopt;
  if (n->is_floating_point()) return n->as_floating_point()->get();
  if (n->is_integer()) return static_cast<double>(n->as_integer()->get());
  throw type_error(*this, key, "a number");
}

std::optional<bool> TableReader::get_bool(std::string_view key) const {
  return exact_value<bool>(*this, key, "true or false");
}

std::optional<TableReader> TableReader::get_table(std::string_view key) const {
  const toml::node* n = node(key);
  if (!n) return std::nullopt;
  if (!n->is_table()) throw type_error(*this, key, "a table");
  return TableReader(*n->as_table(), file_, child_path(key));
}

std::string TableReader::string_or(std::string_view key, std::string fallback) const {
  return get_string(key).value_or(std::move(fallback));
}
int64_t TableReader::int_or(std::string_view key, int64_t fallback) const {
  return get_int(key).value_or(fallback);
}
double TableReader::double_or(std::string_view key, double fallback) const {
  return get_double(key).value_or(fallback);
}
bool TableReader::bool_or(std::string_view key, bool fallback) const {
  return get_bool(key).value_or(fallback);
}

void TableReader::check_keys(const std::vector<std::string_view>& allowed) const {
  for (const auto& [k, v] : *table_) {
    bool ok = false;
    for (auto a : allowed) ok = ok || a == k.str();
    if (ok) continue;
    std::string valid;
    for (auto a : allowed) valid += (valid.empty() ? "" : ", ") + std::string(a);
    throw error(k.str(), "unknown key `" + std::string(k.str()) + "`; valid keys here: " + valid);
  }
}

}  // namespace qdse::io
