#include "qdse/storage/sqlite_storage.hpp"

#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "qdse/core/error.hpp"
#include "qdse/search/finish_rule.hpp"
#include "qdse/storage/process_identity.hpp"
#include "qdse/storage/row_codec.hpp"
#include "schema_sql.hpp"
#include "trial_cache.hpp"

namespace qdse::storage {
namespace {

using search::Direction;
using search::FrozenTrial;
using search::ParamVector;
using search::TrialState;

// SQLite's column types; the key of qdse_meta is NOT NULL, as SQLite allows NULL keys otherwise.
const std::string kCreateSchema =
    detail::create_schema_sql({"TEXT PRIMARY KEY NOT NULL", "INTEGER PRIMARY KEY", "INTEGER", "REAL"});

constexpr const char* kTrialColumns =
    "number, state, params_json, values_json, constraints_json, metrics_json, sample_seconds, eval_seconds, "
    "start_time, end_time, worker";

std::string shorten(const std::string& s, std::size_t n = 200) { return s.size() <= n ? s : s.substr(0, n) + "..."; }

}  // namespace

namespace detail {

// The connection, its statement cache and the study identity. All members are used
// under `mutex`.
class SqliteDb {
 public:
  std::string path;
  std::string study;
  std::string space_json;
  std::vector<Direction> directions;
  long long study_id = -1;
  std::string context;  // "study `s` in `path`", for row errors
  bool synchronous_full = false;  // see SqliteOptions
  bool read_only = false;         // see SqliteOptions
  int schema_version = kSchemaVersion;  // of the file: 1 lacks the process columns
  RowRules rules;                 // what every trial row of the study must agree with
  sqlite3* handle = nullptr;
  std::mutex mutex;
  std::unordered_map<std::string, sqlite3_stmt*> cache;
  // The study's trials as this connection knows them (trial_cache.hpp), and the
  // PRAGMA data_version at which they matched the database plus this connection's own
  // writes (-1: never read). data_version changes only when ANOTHER connection commits,
  // so while it holds still, our own creates and finishes are applied to the cache
  // directly and trials()/trials_since() answer without a query.
  TrialCache trials;
  long long synced_version = -1;

  ~SqliteDb() {
    for (auto& [sql, stmt] : cache) sqlite3_finalize(stmt);
    if (handle) sqlite3_close_v2(handle);
  }

  [[noreturn]] void fail(const std::string& what) const {
    std::string msg = "SQLite study storage `" + path + "`: " + what;
    if (handle) {
      const int code = sqlite3_extended_errcode(handle);
      msg += ": ";
      msg += sqlite3_errmsg(handle);
      if ((code & 0xff) == SQLITE_CORRUPT || (code & 0xff) == SQLITE_NOTADB) msg += " (the file is corrupt or not a database)";
    }
    throw Error(ErrorKind::Storage, msg);
  }

  void exec(const char* sql, const char* what) {
    if (sqlite3_exec(handle, sql, nullptr, nullptr, nullptr) != SQLITE_OK) fail(what);
  }

  // A cached prepared statement, reset and unbound when the Stmt goes out of scope.
  class Stmt {
   public:
    Stmt(SqliteDb& db, sqlite3_stmt* s) : db_(db), s_(s) {}
    ~Stmt() {
      sqlite3_reset(s_);
      sqlite3_clear_bindings(s_);
    }
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;
    Stmt& bind(int i, long long v) { return check(sqlite3_bind_int64(s_, i, v)); }
    Stmt& bind(int i, double v) { return check(sqlite3_bind_double(s_, i, v)); }
    Stmt& bind(int i, const std::string& v) {
      return check(sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
    }
    Stmt& bind_null(int i) { return check(sqlite3_bind_null(s_, i)); }
    // True while there is a row.
    bool step(const char* what) {
      const int rc = sqlite3_step(s_);
      if (rc == SQLITE_ROW) return true;
      if (rc == SQLITE_DONE) return false;
      db_.fail(what);
    }
    bool is_null(int i) const { return sqlite3_column_type(s_, i) == SQLITE_NULL; }
    long long integer(int i) const { return sqlite3_column_int64(s_, i); }
    std::string text(int i) const {
      const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, i));
      return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, i))) : std::string();
    }
    // A REAL column of an untrusted row: anything but a number is an error.
    double real(int i, const std::string& context, const char* column) const {
      const int type = sqlite3_column_type(s_, i);
      if (type != SQLITE_FLOAT && type != SQLITE_INTEGER) {
        throw Error(ErrorKind::Storage, context + ": column `" + column + "` is not a number");
      }
      return sqlite3_column_double(s_, i);
    }
    // An INTEGER column of an untrusted row.
    long long whole(int i, const std::string& context, const char* column) const {
      if (sqlite3_column_type(s_, i) != SQLITE_INTEGER) {
        throw Error(ErrorKind::Storage, context + ": column `" + column + "` is not an integer");
      }
      return sqlite3_column_int64(s_, i);
    }

   private:
    Stmt& check(int rc) {
      if (rc != SQLITE_OK) db_.fail("binding a statement parameter");
      return *this;
    }
    SqliteDb& db_;
    sqlite3_stmt* s_;
  };

  Stmt prepare(const std::string& sql) {
    auto it = cache.find(sql);
    if (it == cache.end()) {
      sqlite3_stmt* s = nullptr;
      if (sqlite3_prepare_v3(handle, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr) != SQLITE_OK) {
        fail("preparing `" + shorten(sql, 60) + "`");
      }
      it = cache.emplace(sql, s).first;
    }
    return Stmt(*this, it->second);
  }

  // BEGIN IMMEDIATE takes the write lock up front, so two writers never deadlock on a
  // read-to-write upgrade; rolled back unless commit() ran.
  class WriteTxn {
   public:
    explicit WriteTxn(SqliteDb& db) : db_(db) { db_.exec("BEGIN IMMEDIATE", "starting a write transaction"); }
    ~WriteTxn() {
      if (!done_) sqlite3_exec(db_.handle, "ROLLBACK", nullptr, nullptr, nullptr);
    }
    void commit() {
      db_.exec("COMMIT", "committing");
      done_ = true;
    }

   private:
    SqliteDb& db_;
    bool done_ = false;
  };

  FrozenTrial read_trial(const Stmt& s) const {
    RawTrialRow row;
    row.number = s.whole(0, context, "number");
    const std::string trial_context = context + ", trial " + std::to_string(row.number);
    row.state = s.text(1);
    row.params_json = s.text(2);
    row.values_json = s.text(3);
    row.constraints_json = s.text(4);
    row.metrics_json = s.text(5);
    row.sample_seconds = s.real(6, trial_context, "sample_seconds");
    row.eval_seconds = s.real(7, trial_context, "eval_seconds");
    row.start_time = s.text(8);
    row.end_time = s.text(9);
    row.worker = s.text(10);
    return decode_trial(row, context, rules);
  }

  // Error for a trial number that does not exist or is not Running.
  [[noreturn]] void fail_not_running(int number, const char* op) {
    auto s = prepare("SELECT state FROM trials WHERE study_id = ? AND number = ?");
    s.bind(1, study_id).bind(2, static_cast<long long>(number));
    if (!s.step("reading a trial")) {
      throw Error(ErrorKind::InvalidArgument, std::string(op) + ": no trial " + std::to_string(number) + " in " + context);
    }
    throw Error(ErrorKind::InvalidArgument, std::string(op) + ": trial " + std::to_string(number) + " of " + context +
                                                " is already " + s.text(0));
  }
};

}  // namespace detail

namespace {

using Db = detail::SqliteDb;

// Refuses non-SQLite files before SQLite sees them (SQLite would report "file is not a
// database" only on first use). A zero-length file is a fresh database to SQLite.
void check_header(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return;
  if (std::filesystem::is_directory(path, ec)) {
    throw Error(ErrorKind::Storage, "SQLite study storage `" + path + "` is a directory");
  }
  const auto size = std::filesystem::file_size(path, ec);
  if (ec || size == 0) return;
  std::ifstream in(path, std::ios::binary);
  char header[16] = {};
  in.read(header, sizeof header);
  if (size < 100 || !in || std::memcmp(header, "SQLite format 3", 16) != 0) {
    throw Error(ErrorKind::Storage, "`" + path +
                                        "` is not an SQLite database (no SQLite header); qdse refuses to use it as "
                                        "a study storage and leaves it untouched");
  }
}

bool existed_nonempty(const std::string& path) {
  std::error_code ec;
  return std::filesystem::exists(path, ec) && std::filesystem::file_size(path, ec) > 0 && !ec;
}

std::vector<std::string> table_names(Db& db) {
  std::vector<std::string> names;
  auto s = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name");
  while (s.step("reading the schema")) names.push_back(s.text(0));
  return names;
}

// Read-only validation of an existing file. Returns false for an empty database (no
// tables), true for a qdse database of this schema version; throws otherwise.
bool validate_schema(Db& db) {
  const auto tables = table_names(db);
  long long app_id = 0;
  {
    auto s = db.prepare("PRAGMA application_id");
    if (s.step("reading the application id")) app_id = s.integer(0);
  }
  if (tables.empty() && app_id == 0) return false;
  const bool has_meta = std::find(tables.begin(), tables.end(), "qdse_meta") != tables.end();
  if (!has_meta) {
    std::string list;
    for (const auto& t : tables) list += (list.empty() ? "" : ", ") + t;
    throw Error(ErrorKind::Storage, "`" + db.path + "` is an SQLite database of another program (tables: " +
                                        (list.empty() ? "none" : list) +
                                        "; no qdse_meta table); qdse refuses to use it and leaves it untouched");
  }
  std::string application, version_text;
  {
    auto s = db.prepare("SELECT key, value FROM qdse_meta");
    while (s.step("reading qdse_meta")) {
      const auto key = s.text(0);
      if (key == "application") application = s.text(1);
      if (key == "schema_version") version_text = s.text(1);
    }
  }
  if (application != kApplicationName || app_id != kSqliteApplicationId) {
    throw Error(ErrorKind::Storage, "`" + db.path + "` has a qdse_meta table but is not a qdse study database (application `" +
                                        application + "`, application_id " + std::to_string(app_id) +
                                        "); qdse leaves it untouched");
  }
  int version = -1;
  try {
    std::size_t used = 0;
    version = std::stoi(version_text, &used);
    if (used != version_text.size()) version = -1;
  } catch (const std::exception&) {
  }
  if (version < 0) {
    throw Error(ErrorKind::Storage, "`" + db.path + "`: qdse_meta.schema_version is `" + version_text + "`, not a number");
  }
  if (version < kOldestSchemaVersion || version > kSchemaVersion) {
    throw Error(ErrorKind::Storage,
                "`" + db.path + "` has qdse schema version " + std::to_string(version) + " but this qdse reads versions " +
                    std::to_string(kOldestSchemaVersion) + " to " + std::to_string(kSchemaVersion) +
                    (version > kSchemaVersion ? " (written by a newer qdse: use that version)"
                                              : " (written by an older qdse: migrate it or start a new file)") +
                    "; the file was not changed");
  }
  for (const char* t : {"studies", "trials"}) {
    if (std::find(tables.begin(), tables.end(), t) == tables.end()) {
      throw Error(ErrorKind::Storage, "`" + db.path + "` is a qdse database without its `" + t + "` table (damaged)");
    }
  }
  db.schema_version = version;
  return true;
}

// validate_schema() on one snapshot: its reads (table list, application id) are separate
// statements, and a concurrent first opener may commit the schema between two
// autocommit reads (seen: "another program (tables: none)" from a half-seen new file).
bool validate_schema_snapshot(Db& db) {
  db.exec("BEGIN", "starting a read transaction");
  try {
    const bool ready = validate_schema(db);
    db.exec("COMMIT", "ending a read transaction");
    return ready;
  } catch (...) {
    sqlite3_exec(db.handle, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

void quick_check(Db& db) {
  auto s = db.prepare("PRAGMA quick_check");
  std::string report;
  while (s.step("checking the file (PRAGMA quick_check)")) report += (report.empty() ? "" : "; ") + s.text(0);
  if (report != "ok") {
    throw Error(ErrorKind::Storage, "`" + db.path + "` is corrupt (PRAGMA quick_check: " + shorten(report) +
                                        "); qdse leaves it untouched");
  }
}

void set_pragmas(Db& db) {
  // journal_mode=WAL persists in the file; readers never block the writer. Switching a
  // new file needs a moment of exclusive access that SQLite's busy handler does not wait
  // for (it answers "database is locked" or the old mode), so concurrent first openers
  // retry here for up to the busy timeout.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(SqliteStorage::kBusyTimeoutMs);
  while (true) {
    std::string mode;
    const int rc = sqlite3_exec(
        db.handle, "PRAGMA journal_mode = WAL",
        [](void* out, int, char** values, char**) {
          *static_cast<std::string*>(out) = values[0] ? values[0] : "";
          return 0;
        },
        &mode, nullptr);
    if (rc == SQLITE_OK && mode == "wal") break;
    const bool busy = (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED || rc == SQLITE_OK;
    if (!busy || std::chrono::steady_clock::now() >= deadline) {
      if (rc != SQLITE_OK) db.fail("enabling WAL");
      db.fail("the file cannot be switched to WAL mode (journal mode `" + mode + "`)");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  db.exec(db.synchronous_full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL", "setting synchronous");
  db.exec("PRAGMA foreign_keys = ON", "enabling foreign keys");
}

void create_schema(Db& db) {
  Db::WriteTxn txn(db);
  if (validate_schema(db)) return;  // another process created it meanwhile
  db.exec(kCreateSchema.c_str(), "creating the qdse schema");
  auto s = db.prepare("INSERT INTO qdse_meta(key, value) VALUES ('application', ?), ('schema_version', ?), ('created_time', ?)");
  s.bind(1, std::string(kApplicationName)).bind(2, std::to_string(kSchemaVersion)).bind(3, search::iso8601_now());
  s.step("writing qdse_meta");
  db.exec(("PRAGMA application_id = " + std::to_string(kSqliteApplicationId)).c_str(), "setting the application id");
  txn.commit();
}

// `path` as an SQLite URI ("file:...?"): the characters URIs give a meaning are escaped.
std::string file_uri(const std::string& path) {
  std::string out = "file:";
  for (unsigned char ch : path) {
    if (ch == '%' || ch == '?' || ch == '#' || ch <= 0x20 || ch >= 0x7f) {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", ch);
      out += buf;
    } else {
      out += static_cast<char>(ch);
    }
  }
  return out;
}

// Read-only open (SqliteOptions::read_only). A WAL database needs its `-shm` (and
// `-wal`) file to be read; a plain read-only connection tries to create them and fails
// with "unable to open database file" in a directory it cannot write (a read-only
// mount, another user's run). Then, if no WAL file holds commits, `immutable=1` reads
// the database file alone, which is then all there is; if one does, reading without it
// would silently miss trials, so that is a clear error instead.
void open_read_only(Db& db) {
  std::error_code ec;
  if (!std::filesystem::exists(db.path, ec)) {
    throw Error(ErrorKind::Storage, "SQLite study storage `" + db.path + "` does not exist");
  }
  check_header(db.path);
  const auto file = std::filesystem::absolute(db.path, ec);
  const std::string dir = file.parent_path().string();
  const std::string wal = db.path + "-wal", shm = db.path + "-shm";
  const bool dir_writable = ::access(dir.c_str(), W_OK) == 0;
  const bool wal_has_commits = existed_nonempty(wal);
  std::string uri = file_uri(file.string()) + "?mode=ro";
  if (!dir_writable && !std::filesystem::exists(shm, ec)) {
    if (wal_has_commits) {
      throw Error(ErrorKind::Storage, "SQLite study storage `" + db.path + "` cannot be read here: its WAL file `" +
                                          wal + "` holds commits, and SQLite needs to create `" + shm +
                                          "` to read them but cannot write to `" + dir +
                                          "`; copy the .db and -wal files to a writable directory and read the copy");
    }
    uri += "&immutable=1";
  }
  if (sqlite3_open_v2(uri.c_str(), &db.handle, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    db.fail("cannot open read-only");
  }
  sqlite3_extended_result_codes(db.handle, 1);
  sqlite3_busy_timeout(db.handle, SqliteStorage::kBusyTimeoutMs);
  if (existed_nonempty(db.path)) quick_check(db);
}

void open_connection(Db& db) {
  if (db.read_only) {
    open_read_only(db);
    if (!validate_schema_snapshot(db)) {
      throw Error(ErrorKind::Storage, "no study `" + db.study + "` in `" + db.path + "` (studies: none)");
    }
    return;
  }
  check_header(db.path);
  const bool existed = existed_nonempty(db.path);
  if (sqlite3_open_v2(db.path.c_str(), &db.handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    db.fail("cannot open");
  }
  sqlite3_extended_result_codes(db.handle, 1);
  sqlite3_busy_timeout(db.handle, SqliteStorage::kBusyTimeoutMs);
  if (existed) quick_check(db);
  // Validate before writing anything: a foreign or newer file must stay byte-identical.
  const bool ready = validate_schema_snapshot(db);
  set_pragmas(db);
  if (!ready) create_schema(db);
}

struct StoredStudy {
  long long id = -1;
  std::string space_json;
  std::vector<Direction> directions;
};

std::optional<StoredStudy> find_study(Db& db) {
  auto s = db.prepare("SELECT study_id, space_json, directions_json FROM studies WHERE name = ?");
  s.bind(1, db.study);
  if (!s.step("reading the studies table")) return std::nullopt;
  const std::string ctx = "study `" + db.study + "` in `" + db.path + "`";
  StoredStudy st;
  st.id = s.whole(0, ctx, "study_id");
  st.space_json = canonical_json(s.text(1), ctx);
  st.directions = decode_directions(s.text(2), ctx);
  return st;
}

std::string study_names(Db& db) {
  std::string list;
  auto s = db.prepare("SELECT name FROM studies ORDER BY name");
  while (s.step("listing studies")) list += (list.empty() ? "" : ", ") + s.text(0);
  return list.empty() ? "none" : list;
}

std::string describe(const std::vector<Direction>& dirs) { return encode_directions(dirs); }

void attach_study(Db& db, const std::string& space_json, const std::vector<Direction>& directions) {
  const std::string ctx = "study `" + db.study + "` in `" + db.path + "`";
  const std::string given_space = space_json.empty() ? "" : canonical_json(space_json, ctx + " (given space)");
  auto st = find_study(db);
  if (!st) {
    if (given_space.empty() || directions.empty() || db.read_only) {
      throw Error(ErrorKind::Storage, "no study `" + db.study + "` in `" + db.path + "` (studies: " + study_names(db) +
                                          ")" + (db.read_only ? "" : "; give a search space and directions to create it"));
    }
    Db::WriteTxn txn(db);
    st = find_study(db);  // another process may have created it meanwhile
    if (!st) {
      auto s = db.prepare(
          "INSERT INTO studies(name, space_json, directions_json, created_time) VALUES (?, ?, ?, ?) RETURNING study_id");
      s.bind(1, db.study).bind(2, given_space).bind(3, encode_directions(directions)).bind(4, search::iso8601_now());
      if (!s.step("creating the study")) db.fail("creating the study returned no id");
      st = StoredStudy{s.integer(0), given_space, directions};
    }
    txn.commit();
  }
  if (!given_space.empty() && given_space != st->space_json) {
    throw Error(ErrorKind::Storage, ctx + " was created with another search space: stored " + shorten(st->space_json) +
                                        ", given " + shorten(given_space) + " (use a new study name to search another space)");
  }
  if (!directions.empty() && directions != st->directions) {
    throw Error(ErrorKind::Storage, ctx + " was created with directions " + describe(st->directions) + ", given " +
                                        describe(directions));
  }
  db.study_id = st->id;
  db.space_json = st->space_json;
  db.directions = st->directions;
  db.context = ctx;
  db.rules = row_rules(st->space_json, st->directions);
}

}  // namespace

static void cache_new_trial(detail::SqliteDb& db, FrozenTrial trial);
static void cache_finished_trial(detail::SqliteDb& db, int number, const search::TrialResult& result,
                                 const std::string& end_time);

static std::vector<double> as_stored(std::vector<double> v) {
  for (double& x : v) x = stored_double(x);
  return v;
}

// The Running trial a create writes, as a read would return it.
static FrozenTrial running_trial(long long number, const ParamVector& params, double sample_seconds,
                                 std::string start_time, const std::string& worker) {
  FrozenTrial t;
  t.number = static_cast<int>(number);
  t.state = TrialState::Running;
  t.params = as_stored(params);
  t.sample_seconds = stored_double(sample_seconds);
  t.start_time = std::move(start_time);
  t.worker = worker;
  return t;
}

// The INSERT of a new Running trial: parameters 1-9 (study, number, params, claim key,
// sample seconds, start time, worker, heartbeat, retry_of), then, from schema version 2,
// the creating process (10-12, bind_process).
static std::string insert_sql(const detail::SqliteDb& db) {
  std::string cols = "study_id, number, state, params_json, claim_key, sample_seconds, start_time, worker, heartbeat, retry_of";
  std::string vals = "?1, ?2, 'running', ?3, ?4, ?5, ?6, ?7, ?8, ?9";
  if (db.schema_version >= 2) {
    cols += ", host, pid, process_start";
    vals += ", ?10, ?11, ?12";
  }
  return "INSERT INTO trials(" + cols + ") VALUES (" + vals + ")";
}

static void bind_process(const detail::SqliteDb& db, detail::SqliteDb::Stmt& s) {
  if (db.schema_version < 2) return;  // a version-1 file has no process columns
  const ProcessIdentity self = this_process();
  s.bind(10, self.host).bind(11, self.pid).bind(12, self.start);
}

// Whether a trial of the study holds claim key `key` already (its configuration is
// claimed). Runs inside the caller's write transaction.
static bool claim_held(detail::SqliteDb& db, const std::string& key) {
  auto s = db.prepare("SELECT 1 FROM trials WHERE study_id = ? AND claim_key = ?");
  s.bind(1, db.study_id).bind(2, key);
  return s.step("checking the claim");
}

// Takes the study's next trial number. Runs inside the caller's write transaction.
static long long take_trial_number(detail::SqliteDb& db) {
  auto s = db.prepare(
      "UPDATE studies SET next_trial_number = next_trial_number + 1 WHERE study_id = ? RETURNING next_trial_number - 1");
  s.bind(1, db.study_id);
  if (!s.step("numbering the trial")) db.fail("the study row vanished");
  return s.integer(0);
}

SqliteStorage::SqliteStorage(const std::string& path, const std::string& study, const std::string& space_json,
                             const std::vector<Direction>& directions, SqliteOptions options)
    : db_(std::make_unique<detail::SqliteDb>()) {
  if (study.empty()) throw Error(ErrorKind::InvalidArgument, "SqliteStorage: the study name is empty");
  if (options.read_only && (!space_json.empty() || !directions.empty())) {
    throw Error(ErrorKind::InvalidArgument, "SqliteStorage: a read-only storage only loads (no space or directions)");
  }
  db_->synchronous_full = options.synchronous_full;
  db_->read_only = options.read_only;
  db_->path = path;
  db_->study = study;
  open_connection(*db_);
  attach_study(*db_, space_json, directions);
}

SqliteStorage::~SqliteStorage() = default;

int SqliteStorage::create_trial(const ParamVector& params, double sample_seconds, const std::string& worker) {
  std::lock_guard lock(db_->mutex);
  detail::SqliteDb& db = *db_;
  const std::string key = params_key(params);
  detail::SqliteDb::WriteTxn txn(db);
  const bool held = claim_held(db, key);
  const std::string start_time = search::iso8601_now();
  const long long number = take_trial_number(db);
  {
    auto s = db.prepare(insert_sql(db));
    s.bind(1, db.study_id).bind(2, number).bind(3, encode_doubles(params));
    if (held) {
      s.bind_null(4);
    } else {
      s.bind(4, key);
    }
    s.bind(5, sample_seconds).bind(6, start_time).bind(7, worker).bind(8, unix_now()).bind_null(9);
    bind_process(db, s);
    s.step("inserting the trial");
  }
  txn.commit();
  cache_new_trial(db, running_trial(number, params, sample_seconds, start_time, worker));
  return static_cast<int>(number);
}

std::optional<int> SqliteStorage::try_create_trial(const ParamVector& params, double sample_seconds,
                                                   const std::string& worker, std::optional<int> retry_of) {
  std::lock_guard lock(db_->mutex);
  detail::SqliteDb& db = *db_;
  const std::string key = params_key(params);
  Db::WriteTxn txn(db);
  if (claim_held(db, key)) return std::nullopt;  // rolled back: nothing written
  const std::string start_time = search::iso8601_now();
  const long long number = take_trial_number(db);
  {
    auto s = db.prepare(insert_sql(db));
    s.bind(1, db.study_id).bind(2, number).bind(3, encode_doubles(params)).bind(4, key);
    s.bind(5, sample_seconds).bind(6, start_time).bind(7, worker).bind(8, unix_now());
    if (retry_of) {
      s.bind(9, static_cast<long long>(*retry_of));
    } else {
      s.bind_null(9);
    }
    bind_process(db, s);
    s.step("inserting the trial");
  }
  txn.commit();
  cache_new_trial(db, running_trial(number, params, sample_seconds, start_time, worker));
  return static_cast<int>(number);
}

void SqliteStorage::finish_trial(int number, const search::TrialResult& result) {
  search::require_finishing_state(number, result.state);
  std::lock_guard lock(db_->mutex);
  detail::SqliteDb& db = *db_;
  // One statement = one transaction; `state = 'running'` makes finishing exactly-once.
  const std::string end_time = search::iso8601_now();
  {
    auto s = db.prepare(
        "UPDATE trials SET state = ?, values_json = ?, constraints_json = ?, metrics_json = ?, eval_seconds = ?, "
        "end_time = ? WHERE study_id = ? AND number = ? AND state = 'running'");
    s.bind(1, std::string(search::to_string(result.state)))
        .bind(2, encode_doubles(result.values))
        .bind(3, encode_doubles(result.constraints))
        .bind(4, encode_metrics(result.metrics))
        .bind(5, result.eval_seconds)
        .bind(6, end_time)
        .bind(7, db.study_id)
        .bind(8, static_cast<long long>(number));
    s.step("finishing the trial");
    if (sqlite3_changes(db.handle) == 0) db.fail_not_running(number, "finish_trial");
  }
  cache_finished_trial(db, number, result, end_time);
}

// The rows numbered >= `from` plus those in `numbers`: one statement, one consistent
// snapshot. UNION ALL, not OR: each half is a primary-key range/lookup (an OR scans the
// study). Used by sync_trials() to refresh the trial cache.
static std::vector<FrozenTrial> read_rows_since(detail::SqliteDb& db, long long from,
                                                const std::vector<long long>& numbers) {
  std::string listed = "[";
  for (long long n : numbers) listed += (listed.size() > 1 ? "," : "") + std::to_string(n);
  listed += "]";
  auto s = db.prepare(std::string("SELECT ") + kTrialColumns + " FROM trials WHERE study_id = ?1 AND number >= ?2 " +
                      "UNION ALL SELECT " + kTrialColumns +
                      " FROM trials WHERE study_id = ?1 AND number IN (SELECT value FROM json_each(?3))");
  s.bind(1, db.study_id).bind(2, from).bind(3, listed);
  std::vector<FrozenTrial> rows;
  while (s.step("reading trials")) rows.push_back(db.read_trial(s));
  return rows;
}

static long long data_version(detail::SqliteDb& db) {
  auto s = db.prepare("PRAGMA data_version");
  if (!s.step("reading the data version")) db.fail("PRAGMA data_version returned nothing");
  return s.integer(0);
}

// Brings the trial cache up to date. Only rows that can have changed are read (cached
// Running trials and new ones, trial_cache.hpp), and only when another connection has
// committed since the cache last matched the database.
static void sync_trials(detail::SqliteDb& db) {
  const long long version = data_version(db);
  if (version == db.synced_version) return;
  const auto& running = db.trials.running_numbers();
  db.trials.merge(read_rows_since(db, db.trials.next_number(), {running.begin(), running.end()}));
  db.synced_version = version;
}

// After this connection committed a new or finished trial: with no foreign commit since
// the last sync the cache takes the trial as a read would return it (stored_double: the
// codec's text is exact but for -0 and NaN payloads); otherwise one sync reads it
// together with the foreign rows.
// The write is already committed when these run: an error while refreshing the cache
// must not report it as failed, so it only forces the next read to sync.
static void cache_new_trial(detail::SqliteDb& db, FrozenTrial trial) {
  try {
    if (data_version(db) != db.synced_version || trial.number != db.trials.next_number()) {
      db.synced_version = -1;
      sync_trials(db);
      return;
    }
    db.trials.merge({std::move(trial)});
  } catch (const Error&) {
    db.synced_version = -1;
  }
}

static void cache_finished_trial(detail::SqliteDb& db, int number, const search::TrialResult& result,
                                 const std::string& end_time) try {
  const auto& cached = db.trials.trials();
  auto it = std::lower_bound(cached.begin(), cached.end(), number,
                             [](const FrozenTrial& t, long long n) { return t.number < n; });
  if (data_version(db) != db.synced_version || it == cached.end() || it->number != number ||
      it->state != TrialState::Running) {
    db.synced_version = -1;
    sync_trials(db);
    return;
  }
  FrozenTrial t = *it;
  t.state = result.state;
  t.values = as_stored(result.values);
  t.constraints = as_stored(result.constraints);
  t.metrics.clear();
  for (const auto& [k, v] : result.metrics) t.metrics.emplace(k, stored_double(v));
  t.eval_seconds = stored_double(result.eval_seconds);
  t.end_time = end_time;
  db.trials.merge({std::move(t)});
} catch (const Error&) {
  db.synced_version = -1;
}

std::vector<FrozenTrial> SqliteStorage::trials() const {
  std::lock_guard lock(db_->mutex);
  sync_trials(*db_);
  return db_->trials.trials();
}

std::vector<FrozenTrial> SqliteStorage::trials_since(int from, const std::vector<int>& watch) const {
  std::lock_guard lock(db_->mutex);
  sync_trials(*db_);
  const auto& cached = db_->trials.trials();
  const auto at = [&](long long n) {
    return std::lower_bound(cached.begin(), cached.end(), n,
                            [](const FrozenTrial& t, long long k) { return t.number < k; });
  };
  std::vector<FrozenTrial> out;
  for (int n : watch)
    if (n < from)
      if (auto it = at(n); it != cached.end() && it->number == n) out.push_back(*it);
  out.insert(out.end(), at(from), cached.end());
  return out;
}

std::optional<FrozenTrial> SqliteStorage::trial(int number) const {
  std::lock_guard lock(db_->mutex);
  auto s = db_->prepare(std::string("SELECT ") + kTrialColumns + " FROM trials WHERE study_id = ? AND number = ?");
  s.bind(1, db_->study_id).bind(2, static_cast<long long>(number));
  if (!s.step("reading a trial")) return std::nullopt;
  return db_->read_trial(s);
}

int SqliteStorage::n_trials() const {
  std::lock_guard lock(db_->mutex);
  auto s = db_->prepare("SELECT COUNT(*) FROM trials WHERE study_id = ?");
  s.bind(1, db_->study_id);
  s.step("counting trials");
  return static_cast<int>(s.integer(0));
}

std::optional<int> SqliteStorage::retry_of(int number) const {
  std::lock_guard lock(db_->mutex);
  auto s = db_->prepare("SELECT retry_of FROM trials WHERE study_id = ? AND number = ?");
  s.bind(1, db_->study_id).bind(2, static_cast<long long>(number));
  if (!s.step("reading a trial")) {
    throw Error(ErrorKind::InvalidArgument, "retry_of: no trial " + std::to_string(number) + " in " + db_->context);
  }
  if (s.is_null(0)) return std::nullopt;
  return static_cast<int>(s.whole(0, db_->context + ", trial " + std::to_string(number), "retry_of"));
}

void SqliteStorage::heartbeat(int number) {
  std::lock_guard lock(db_->mutex);
  detail::SqliteDb& db = *db_;
  {
    auto s = db.prepare("UPDATE trials SET heartbeat = ? WHERE study_id = ? AND number = ? AND state = 'running'");
    s.bind(1, unix_now()).bind(2, db.study_id).bind(3, static_cast<long long>(number));
    s.step("writing a heartbeat");
  }
  if (sqlite3_changes(db.handle) > 0) return;
  auto s = db.prepare("SELECT 1 FROM trials WHERE study_id = ? AND number = ?");
  s.bind(1, db.study_id).bind(2, static_cast<long long>(number));
  if (!s.step("reading a trial")) {
    throw Error(ErrorKind::InvalidArgument, "heartbeat: no trial " + std::to_string(number) + " in " + db.context);
  }
}

// Columns 0-3 (number, params_json, worker, retry_of) of a Running trial about to fail.
static search::StaleTrial stale_trial(const detail::SqliteDb& db, const detail::SqliteDb::Stmt& s) {
  search::StaleTrial t;
  t.number = static_cast<int>(s.whole(0, db.context, "number"));
  const std::string ctx = db.context + ", trial " + std::to_string(t.number);
  t.params = decode_doubles(s.text(1), "params_json", ctx);
  t.worker = s.text(2);
  if (!s.is_null(3)) t.retry_of = static_cast<int>(s.whole(3, ctx, "retry_of"));
  return t;
}

// Marks `trials` Failed inside the caller's write transaction. claim_key = NULL releases
// the params, so exactly one retry can claim them again.
static void fail_and_release(detail::SqliteDb& db, const std::vector<search::StaleTrial>& trials) {
  const std::string now = search::iso8601_now();
  for (const auto& t : trials) {
    auto s = db.prepare(
        "UPDATE trials SET state = 'failed', end_time = ?, claim_key = NULL WHERE study_id = ? AND number = ?");
    s.bind(1, now).bind(2, db.study_id).bind(3, static_cast<long long>(t.number));
    s.step("failing a trial of a dead worker");
  }
}

std::vector<search::StaleTrial> SqliteStorage::fail_stale_trials(double timeout_seconds) {
  std::lock_guard lock(db_->mutex);
  detail::SqliteDb& db = *db_;
  Db::WriteTxn txn(db);
  std::vector<search::StaleTrial> stale;
  {
    auto s = db.prepare(
        "SELECT number, params_json, worker, retry_of FROM trials WHERE study_id = ? AND state = 'running' AND "
        "heartbeat <= ? ORDER BY number");
    s.bind(1, db.study_id).bind(2, unix_now() - timeout_seconds);
    while (s.step("finding stale trials")) stale.push_back(stale_trial(db, s));
  }
  fail_and_release(db, stale);
  txn.commit();
  db.synced_version = -1;  // our own commit: data_version would not show it
  return stale;
}

std::vector<search::RunningTrial> SqliteStorage::running_trials() const {
  std::lock_guard lock(db_->mutex);
  detail::SqliteDb& db = *db_;
  const bool v2 = db.schema_version >= 2;
  auto s = db.prepare(std::string("SELECT number, params_json, worker, heartbeat, ") + (v2 ? "host, pid" : "'', 0") +
                      " FROM trials WHERE study_id = ? AND state = 'running' ORDER BY number");
  s.bind(1, db.study_id);
  const double now = unix_now();
  std::vector<search::RunningTrial> out;
  while (s.step("reading running trials")) {
    search::RunningTrial t;
    t.number = static_cast<int>(s.whole(0, db.context, "number"));
    const std::string ctx = db.context + ", trial " + std::to_string(t.number);
    t.params = decode_doubles(s.text(1), "params_json", ctx);
    t.worker = s.text(2);
    t.heartbeat_age = std::max(0.0, now - s.real(3, ctx, "heartbeat"));
    t.host = s.text(4);
    t.pid = s.integer(5);
    out.push_back(std::move(t));
  }
  return out;
}

std::vector<search::StaleTrial> SqliteStorage::fail_dead_local_trials() {
  std::lock_guard lock(db_->mutex);
  detail::SqliteDb& db = *db_;
  if (db.schema_version < 2 || db.read_only) return {};  // no process recorded / nothing may be written
  Db::WriteTxn txn(db);
  std::vector<search::StaleTrial> dead;
  {
    auto s = db.prepare(
        "SELECT number, params_json, worker, retry_of, host, pid, process_start FROM trials WHERE study_id = ? AND "
        "state = 'running' ORDER BY number");
    s.bind(1, db.study_id);
    while (s.step("finding trials of dead processes")) {
      const ProcessIdentity holder{s.text(4), s.integer(5), s.text(6)};
      if (liveness(holder) == ProcessLiveness::Dead) dead.push_back(stale_trial(db, s));
    }
  }
  if (dead.empty()) return dead;  // rolled back: nothing written
  fail_and_release(db, dead);
  txn.commit();
  db.synced_version = -1;  // our own commit: data_version would not show it
  return dead;
}

const std::string& SqliteStorage::path() const { return db_->path; }
const std::string& SqliteStorage::study_name() const { return db_->study; }
const std::string& SqliteStorage::space_json() const { return db_->space_json; }
const std::vector<Direction>& SqliteStorage::directions() const { return db_->directions; }

std::string SqliteStorage::integrity_check() const {
  std::lock_guard lock(db_->mutex);
  auto s = db_->prepare("PRAGMA integrity_check");
  std::string report;
  while (s.step("PRAGMA integrity_check")) report += (report.empty() ? "" : "; ") + s.text(0);
  return report;
}

std::vector<StudySummary> SqliteStorage::list_studies(const std::string& path) {
  Db db;
  db.path = path;
  db.read_only = true;
  open_read_only(db);
  if (!validate_schema_snapshot(db)) return {};
  std::vector<StudySummary> out;
  auto s = db.prepare(
      "SELECT s.name, s.directions_json, s.created_time, "
      "(SELECT COUNT(*) FROM trials t WHERE t.study_id = s.study_id AND t.state = 'running'), "
      "(SELECT COUNT(*) FROM trials t WHERE t.study_id = s.study_id AND t.state = 'complete'), "
      "(SELECT COUNT(*) FROM trials t WHERE t.study_id = s.study_id AND t.state = 'failed'), "
      "(SELECT COUNT(*) FROM trials t WHERE t.study_id = s.study_id AND t.state = 'pruned'), s.space_json "
      "FROM studies s ORDER BY s.name");
  while (s.step("listing studies")) {
    StudySummary sum;
    sum.name = s.text(0);
    sum.directions = decode_directions(s.text(1), "study `" + sum.name + "` in `" + path + "`");
    sum.created_time = s.text(2);
    sum.n_running = static_cast<int>(s.integer(3));
    sum.n_complete = static_cast<int>(s.integer(4));
    sum.n_failed = static_cast<int>(s.integer(5));
    sum.n_pruned = static_cast<int>(s.integer(6));
    sum.space_json = s.text(7);
    out.push_back(std::move(sum));
  }
  return out;
}

}  // namespace qdse::storage
