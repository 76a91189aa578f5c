// JournalFile: the byte-level side of Optuna's journal file (JSON lines), shared by every
// JournalStorage of one path in this process: reading the lines appended since the last
// read, and appending lines under Optuna's file lock.
//
// Format facts (optuna/storages/_journal/file.py in Debian's python3-optuna 3.1, and
// optuna/storages/journal/_file.py in 4.x/5.x):
//  - one JSON object per line, each line ended by "\n"; Python's json.dumps writes the
//    non-JSON tokens NaN, Infinity and -Infinity for non-finite floats;
//  - a line that does not parse is skipped as long as it is the LAST line (a writer may
//    be killed half-way: its line is retried on the next read); a bad line followed by
//    more lines is an error;
//  - writers append under a lock: a symlink `PATH.lock` -> PATH (JournalFileSymlinkLock,
//    the default of every version), created with symlink(2) (exclusive), released by
//    renaming it to `PATH.lock<uuid>.rename` and unlinking that; waiters retry with a
//    sleep that doubles from 1 ms to 1 s; the lines are written, flushed and fsynced
//    before the lock is released.
//  - stale lock: Optuna 3.1 never breaks a lock (a writer killed while holding it blocks
//    every other writer); Optuna 4.x breaks a lock older than a grace period (30 s by
//    default). qdse follows 4.x with kStaleLockSeconds, so a qdse writer is not blocked
//    forever by a dead holder; a qdse writer holds the lock for milliseconds.
// Internal to qdse_storage. Thread-safety: none; JournalStorage serialises calls.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace qdse::storage::detail {

// A lock older than this (seconds, by its own mtime) is broken, as Optuna 4.x does.
inline constexpr double kStaleLockSeconds = 30.0;

// Text of `v` as Python's json.dumps writes it for Optuna (compact separators, as
// Optuna 4.x; non-finite doubles as NaN / Infinity / -Infinity; non-ASCII escaped).
std::string journal_dump(const nlohmann::ordered_json& v);
// Parses one line, accepting Python's NaN / Infinity / -Infinity tokens outside strings
// (they come back as doubles). Returns a discarded value when the line is not JSON.
nlohmann::json journal_parse(const std::string& line);

class JournalFile {
 public:
  explicit JournalFile(std::string path);

  const std::string& path() const { return path_; }

  // The complete lines appended since the last call (from the start on the first call),
  // each with its 1-based line number. A last line that is incomplete or does not parse
  // is left for the next call; an unparsable line followed by another throws
  // qdse::Error(Storage) naming the file and line.
  std::vector<std::pair<long long, nlohmann::json>> read_new();

  // Appends `lines` (already dumped, without "\n") in one write, fsynced. Call only
  // while holding the lock (Lock below).
  void append(const std::vector<std::string>& lines);

  // Creates the file if missing (as Optuna's JournalFileStorage does on open).
  void create_if_missing();

  // Optuna's symlink lock on `path`, held for the object's lifetime.
  class Lock {
   public:
    explicit Lock(const std::string& path);
    ~Lock();
    Lock(const Lock&) = delete;
    Lock& operator=(const Lock&) = delete;

   private:
    std::string lock_path_;
  };

 private:
  std::string path_;
  std::uint64_t offset_ = 0;  // bytes consumed (complete, parsed lines)
  long long lines_read_ = 0;
};

}  // namespace qdse::storage::detail
