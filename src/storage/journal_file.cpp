#include "journal_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <thread>

#include "qdse/core/error.hpp"

namespace qdse::storage::detail {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

// Placeholders for the non-finite tokens while nlohmann (strict JSON) writes or reads a
// line. The leading U+0001 cannot appear unescaped in JSON text, so a user string never
// turns into a number.
constexpr const char* kNanMark = "\x01qdse-NaN";
constexpr const char* kInfMark = "\x01qdse-Infinity";
constexpr const char* kNegInfMark = "\x01qdse-NegInfinity";

ordered_json mark_non_finite(const ordered_json& v) {
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (std::isnan(d)) return kNanMark;
    if (std::isinf(d)) return d > 0 ? kInfMark : kNegInfMark;
    return v;
  }
  if (v.is_array()) {
    ordered_json out = ordered_json::array();
    for (const auto& x : v) out.push_back(mark_non_finite(x));
    return out;
  }
  if (v.is_object()) {
    ordered_json out = ordered_json::object();
    for (const auto& [k, x] : v.items()) out[k] = mark_non_finite(x);
    return out;
  }
  return v;
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
}

json unmark(json v) {
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    if (s == kNanMark) return std::numeric_limits<double>::quiet_NaN();
    if (s == kInfMark) return std::numeric_limits<double>::infinity();
    if (s == kNegInfMark) return -std::numeric_limits<double>::infinity();
    return v;
  }
  if (v.is_array() || v.is_object())
    for (auto& x : v) x = unmark(std::move(x));
  return v;
}

[[noreturn]] void fail_io(const std::string& path, const std::string& what) {
  throw Error(ErrorKind::Storage, "journal study storage `" + path + "`: " + what + ": " + std::strerror(errno));
}

std::string random_hex() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(rng()),
                static_cast<unsigned long long>(rng()));
  return buf;
}

// Renames the lock away and removes it: Optuna's release, which never deletes a lock
// another process has just created under the same name.
void remove_lock(const std::string& lock_path) {
  const std::string renamed = lock_path + random_hex() + ".rename";
  if (::rename(lock_path.c_str(), renamed.c_str()) == 0) ::unlink(renamed.c_str());
}

}  // namespace

std::string journal_dump(const ordered_json& v) {
  std::string text = mark_non_finite(v).dump(-1, ' ', /*ensure_ascii=*/true);
  replace_all(text, "\"\\u0001qdse-NaN\"", "NaN");
  replace_all(text, "\"\\u0001qdse-Infinity\"", "Infinity");
  replace_all(text, "\"\\u0001qdse-NegInfinity\"", "-Infinity");
  return text;
}

json journal_parse(const std::string& line) {
  // Replace the bare tokens outside strings by marked strings, then parse strictly.
  std::string text;
  text.reserve(line.size());
  bool in_string = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (in_string) {
      text += c;
      if (c == '\\' && i + 1 < line.size()) text += line[++i];
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
      text += c;
    } else if (line.compare(i, 3, "NaN") == 0) {
      text += "\"\\u0001qdse-NaN\"";
      i += 2;
    } else if (line.compare(i, 8, "Infinity") == 0) {
      text += "\"\\u0001qdse-Infinity\"";
      i += 7;
    } else if (line.compare(i, 9, "-Infinity") == 0) {
      text += "\"\\u0001qdse-NegInfinity\"";
      i += 8;
    } else {
      text += c;
    }
  }
  json parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return parsed;
  return unmark(std::move(parsed));
}

JournalFile::JournalFile(std::string path) : path_(std::move(path)) {}

void JournalFile::create_if_missing() {
  const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) fail_io(path_, "cannot create or open for appending");
  ::close(fd);
}

std::vector<std::pair<long long, json>> JournalFile::read_new() {
  std::vector<std::pair<long long, json>> out;
  const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT && offset_ == 0) return out;
    fail_io(path_, "cannot open for reading");
  }
  std::string data;
  char buf[1 << 16];
  off_t at = static_cast<off_t>(offset_);
  while (true) {
    const ssize_t n = ::pread(fd, buf, sizeof buf, at);
    if (n < 0) {
      ::close(fd);
      fail_io(path_, "cannot read");
    }
    if (n == 0) break;
    data.append(buf, static_cast<std::size_t>(n));
    at += n;
  }
  ::close(fd);
  std::size_t pos = 0;
  while (pos < data.size()) {
    const std::size_t nl = data.find('\n', pos);
    if (nl == std::string::npos) break;  // incomplete last line: a writer is (or was) mid-write
    const std::string line = data.substr(pos, nl - pos);
    json parsed = journal_parse(line);
    if (parsed.is_discarded() || !parsed.is_object()) {
      if (nl + 1 >= data.size()) break;  // a bad last line is skipped, as Optuna does
      throw Error(ErrorKind::Storage, "journal study storage `" + path_ + "`, line " +
                                          std::to_string(lines_read_ + 1) +
                                          ": not a JSON object (the journal is damaged; qdse does not write to it)");
    }
    ++lines_read_;
    out.emplace_back(lines_read_, std::move(parsed));
    pos = nl + 1;
  }
  offset_ += pos;
  return out;
}

void JournalFile::append(const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& l : lines) text += l + "\n";
  const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) fail_io(path_, "cannot open for appending");
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      fail_io(path_, "cannot append");
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    ::close(fd);
    fail_io(path_, "cannot fsync");
  }
  ::close(fd);
}

JournalFile::Lock::Lock(const std::string& path) : lock_path_(path + ".lock") {
  auto sleep = std::chrono::microseconds(1000);
  while (::symlink(path.c_str(), lock_path_.c_str()) != 0) {
    if (errno != EEXIST) fail_io(path, "cannot create the lock `" + lock_path_ + "`");
    struct stat st {};
    if (::lstat(lock_path_.c_str(), &st) == 0) {
      const double age = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count() -
                         (static_cast<double>(st.st_mtim.tv_sec) + st.st_mtim.tv_nsec * 1e-9);
      if (age > kStaleLockSeconds) {
        remove_lock(lock_path_);  // its holder died: Optuna 4.x's grace-period rule
        continue;
      }
    }
    std::this_thread::sleep_for(sleep);
    sleep = std::min<std::chrono::microseconds>(sleep * 2, std::chrono::seconds(1));
  }
}

JournalFile::Lock::~Lock() { remove_lock(lock_path_); }

}  // namespace qdse::storage::detail
