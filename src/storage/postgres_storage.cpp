#include "qdse/storage/postgres_storage.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <mutex>
#include <set>
#include <pqxx/pqxx>

#include "qdse/core/error.hpp"
#include "qdse/search/finish_rule.hpp"
#include "qdse/storage/process_identity.hpp"
#include "qdse/storage/row_codec.hpp"
#include "schema_sql.hpp"
#include "trial_cache.hpp"

namespace qdse::storage {

using search::Direction;
using search::FrozenTrial;
using search::ParamVector;
using search::TrialState;

namespace {

// PostgreSQL's column types: 64-bit integers and doubles, study ids from a sequence.
const std::string kCreateSchema =
    detail::create_schema_sql({"TEXT PRIMARY KEY", "BIGSERIAL PRIMARY KEY", "BIGINT", "DOUBLE PRECISION"});

// Serialises schema creation between processes (any constant works; "qdse" in ASCII).
constexpr long long kSchemaLockKey = 0x71647365;

constexpr const char* kTrialColumns =
    "number, state, params_json, values_json, constraints_json, metrics_json, sample_seconds::text, "
    "eval_seconds::text, start_time, end_time, worker";

constexpr const char* kNow = "extract(epoch from clock_timestamp())";

// Doubles travel as text in their shortest round-trip form (libpqxx's own conversion
// may drop digits); PostgreSQL's float8 input reads NaN and Infinity too.
std::string float_text(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, end);
}

std::string shorten(const std::string& s, std::size_t n = 200) { return s.size() <= n ? s : s.substr(0, n) + "..."; }

std::string text_or_empty(const pqxx::field& f) { return f.is_null() ? std::string() : f.c_str(); }

double parse_float(const pqxx::field& f, const std::string& context, const char* column) {
  if (f.is_null()) throw Error(ErrorKind::Storage, context + ": column `" + column + "` is NULL");
  const char* s = f.c_str();
  char* end = nullptr;
  const double v = std::strtod(s, &end);
  if (end == s || *end != '\0') throw Error(ErrorKind::Storage, context + ": column `" + column + "` is not a number");
  return v;
}

long long parse_integer(const pqxx::field& f, const std::string& context, const char* column) {
  if (f.is_null()) throw Error(ErrorKind::Storage, context + ": column `" + column + "` is NULL");
  const std::string s = f.c_str();
  long long v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) {
    throw Error(ErrorKind::Storage, context + ": column `" + column + "` is not an integer");
  }
  return v;
}

}  // namespace

std::string redact_url(const std::string& url) {
  const auto scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  const auto at = url.find('@', scheme + 3);
  if (at == std::string::npos) return url;
  const auto colon = url.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

namespace detail {

// The connection and the study identity; used under `mutex`.
class PostgresDb {
 public:
  std::string url;  // redacted, for messages
  std::string study;
  std::string space_json;
  std::vector<Direction> directions;
  long long study_id = -1;
  std::string context;
  int schema_version = kSchemaVersion;  // of the database: 1 lacks the process columns
  bool read_only = false;               // a session of a read command
  RowRules rules;                       // what every trial row of the study must agree with
  std::unique_ptr<pqxx::connection> conn;
  std::mutex mutex;
  TrialCache trials;  // what trials() has read so far (see trial_cache.hpp)
  std::set<std::string> prepared;  // statements prepared on this connection

  // The per-trial statements run as prepared statements: planned once per connection.
  template <class... Args>
  pqxx::result exec_hot(pqxx::transaction_base& tx, const std::string& name, const std::string& sql, Args&&... args) {
    if (!prepared.contains(name)) {
      conn->prepare(name, sql);
      prepared.insert(name);
    }
    return tx.exec_prepared(name, std::forward<Args>(args)...);
  }

  // Runs f, turning libpqxx failures into qdse::Error(Storage) naming the database.
  template <class F>
  auto guarded(const char* what, F&& f) -> decltype(f()) {
    try {
      return f();
    } catch (const Error&) {
      throw;
    } catch (const pqxx::broken_connection& e) {
      throw Error(ErrorKind::Storage, "PostgreSQL study storage `" + url + "`: " + what + ": connection failed: " + e.what());
    } catch (const std::exception& e) {
      throw Error(ErrorKind::Storage, "PostgreSQL study storage `" + url + "`: " + what + ": " + e.what());
    }
  }

  FrozenTrial read_trial(const pqxx::row& r) const {
    RawTrialRow row;
    row.number = parse_integer(r[0], context, "number");
    const std::string trial_context = context + ", trial " + std::to_string(row.number);
    row.state = text_or_empty(r[1]);
    row.params_json = text_or_empty(r[2]);
    row.values_json = text_or_empty(r[3]);
    row.constraints_json = text_or_empty(r[4]);
    row.metrics_json = text_or_empty(r[5]);
    row.sample_seconds = parse_float(r[6], trial_context, "sample_seconds");
    row.eval_seconds = parse_float(r[7], trial_context, "eval_seconds");
    row.start_time = text_or_empty(r[8]);
    row.end_time = text_or_empty(r[9]);
    row.worker = text_or_empty(r[10]);
    return decode_trial(row, context, rules);
  }

  // The rows `UPDATE ... RETURNING number, params_json, worker, retry_of` failed, by number.
  std::vector<search::StaleTrial> stale_trials(const pqxx::result& r) const {
    std::vector<search::StaleTrial> out;
    for (const auto& row : r) {
      search::StaleTrial t;
      t.number = static_cast<int>(parse_integer(row[0], context, "number"));
      const std::string ctx = context + ", trial " + std::to_string(t.number);
      t.params = decode_doubles(text_or_empty(row[1]), "params_json", ctx);
      t.worker = text_or_empty(row[2]);
      if (!row[3].is_null()) t.retry_of = static_cast<int>(parse_integer(row[3], ctx, "retry_of"));
      out.push_back(std::move(t));
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.number < b.number; });
    return out;
  }

  [[noreturn]] void fail_not_running(pqxx::transaction_base& tx, int number, const char* op) {
    auto r = tx.exec_params("SELECT state FROM trials WHERE study_id = $1 AND number = $2", study_id, number);
    if (r.empty()) {
      throw Error(ErrorKind::InvalidArgument, std::string(op) + ": no trial " + std::to_string(number) + " in " + context);
    }
    throw Error(ErrorKind::InvalidArgument, std::string(op) + ": trial " + std::to_string(number) + " of " + context +
                                                " is already " + text_or_empty(r[0][0]));
  }

  // Creates a trial; nullopt when `claim` and the params are held. One statement in
  // autocommit, so one round trip: the UPDATE of the study row numbers the trial and
  // serialises creators of the study across processes and hosts. The statement's snapshot
  // may predate the commit of a creator it waited for, so `held` can miss that creator's
  // row; UNIQUE(study_id, claim_key) then rejects the INSERT and the whole statement, its
  // number included, rolls back: a claim is lost, a plain create runs again (and now sees
  // the row, so it records a duplicate with a NULL claim key).
  std::optional<int> create(const ParamVector& params, double sample_seconds, const std::string& worker,
                            bool claim, std::optional<int> retry_of) {
    const std::string key = params_key(params);
    // From schema version 2 the creating process is recorded too ($9-$11; a version-1
    // database has no such columns and ignores them).
    const bool v2 = schema_version >= 2;
    const ProcessIdentity self = this_process();
    for (int attempt = 0;; ++attempt) {
      try {
        pqxx::nontransaction tx(*conn);
        const std::string sql =
            std::string("WITH held AS (SELECT EXISTS (SELECT 1 FROM trials WHERE study_id = $1 AND claim_key = $2) AS h), "
                        "n AS (UPDATE studies SET next_trial_number = next_trial_number + 1 WHERE study_id = $1 "
                        "AND NOT ($8::boolean AND (SELECT h FROM held)) RETURNING next_trial_number - 1 AS number) "
                        "INSERT INTO trials(study_id, number, state, params_json, claim_key, sample_seconds, "
                        "start_time, worker, heartbeat, retry_of") +
            (v2 ? ", host, pid, process_start" : "") +
            ") SELECT $1, n.number, 'running', $3, CASE WHEN (SELECT h FROM held) THEN NULL ELSE $2 END, "
            "$4::float8, $5, $6, " +
            kNow + ", NULLIF($7, -1)" + (v2 ? ", $9, $10, $11" : "") + " FROM n RETURNING number";
        const long long retry = retry_of ? static_cast<long long>(*retry_of) : -1LL;
        auto r = v2 ? exec_hot(tx, "qdse_create", sql, study_id, key, encode_doubles(params), float_text(sample_seconds),
                               search::iso8601_now(), worker, retry, claim, self.host, self.pid, self.start)
                    : exec_hot(tx, "qdse_create_v1", sql, study_id, key, encode_doubles(params),
                               float_text(sample_seconds), search::iso8601_now(), worker, retry, claim);
        if (r.empty()) {
          if (claim) return std::nullopt;  // held: nothing written, no number used
          throw Error(ErrorKind::Storage, context + ": the study row vanished");
        }
        return static_cast<int>(r[0][0].as<long long>());
      } catch (const pqxx::unique_violation&) {
        if (claim) return std::nullopt;  // lost the race described above
        if (attempt >= 5) throw;
      }
    }
  }
};

}  // namespace detail

namespace {

using Db = detail::PostgresDb;

// The qdse tables that exist, from one plain MVCC scan of pg_tables: one statement, so
// one snapshot (a READ COMMITTED transaction gives each statement its own, and a
// concurrent first opener may commit the schema between two of them); to_regclass goes
// through the syscache, which may not yet show a table another session just created.
std::set<std::string> qdse_tables(pqxx::transaction_base& tx) {
  std::set<std::string> out;
  for (const auto& row : tx.exec("SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND "
                                 "tablename IN ('qdse_meta', 'studies', 'trials')"))
    out.insert(text_or_empty(row[0]));
  return out;
}

// Read-only check; false when the database has no qdse schema yet (and no tables that
// would clash with it), true for this schema version; throws otherwise.
bool validate_schema(Db& db, pqxx::transaction_base& tx) {
  const auto tables = qdse_tables(tx);
  if (!tables.contains("qdse_meta")) {
    for (const char* t : {"studies", "trials"}) {
      if (tables.contains(t)) {
        throw Error(ErrorKind::Storage, "PostgreSQL database `" + db.url + "` has a `" + t +
                                            "` table but no qdse_meta table: it belongs to another program; qdse "
                                            "leaves it untouched");
      }
    }
    return false;
  }
  std::string application, version_text;
  for (const auto& row : tx.exec("SELECT key, value FROM qdse_meta")) {
    const std::string key = text_or_empty(row[0]);
    if (key == "application") application = text_or_empty(row[1]);
    if (key == "schema_version") version_text = text_or_empty(row[1]);
  }
  if (application != kApplicationName) {
    throw Error(ErrorKind::Storage, "PostgreSQL database `" + db.url + "` has a qdse_meta table of application `" +
                                        application + "`, not qdse; qdse leaves it untouched");
  }
  int version = -1;
  for (int v = kOldestSchemaVersion; v <= kSchemaVersion; ++v)
    if (version_text == std::to_string(v)) version = v;
  if (version < 0) {
    throw Error(ErrorKind::Storage, "PostgreSQL database `" + db.url + "` has qdse schema version `" + version_text +
                                        "` but this qdse reads versions " + std::to_string(kOldestSchemaVersion) +
                                        " to " + std::to_string(kSchemaVersion) + "; the database was not changed");
  }
  db.schema_version = version;
  if (!tables.contains("studies") || !tables.contains("trials")) {
    throw Error(ErrorKind::Storage, "PostgreSQL database `" + db.url + "` has qdse_meta but lacks studies/trials (damaged)");
  }
  return true;
}

void ensure_schema(Db& db) {
  {
    pqxx::read_transaction tx(*db.conn);
    if (validate_schema(db, tx)) return;
  }
  if (db.read_only) throw Error(ErrorKind::Storage, "no study `" + db.study + "` in `" + db.url + "` (no qdse schema)");
  pqxx::work tx(*db.conn);
  tx.exec_params("SELECT pg_advisory_xact_lock($1)", kSchemaLockKey);
  if (!validate_schema(db, tx)) {  // nobody created it meanwhile
    tx.exec(kCreateSchema);
    tx.exec_params("INSERT INTO qdse_meta(key, value) VALUES ('application', $1), ('schema_version', $2), "
                   "('created_time', $3)",
                   std::string(kApplicationName), std::to_string(kSchemaVersion), search::iso8601_now());
  }
  tx.commit();
}

struct StoredStudy {
  long long id = -1;
  std::string space_json;
  std::vector<Direction> directions;
};

std::optional<StoredStudy> find_study(Db& db, pqxx::transaction_base& tx) {
  auto r = tx.exec_params("SELECT study_id, space_json, directions_json FROM studies WHERE name = $1", db.study);
  if (r.empty()) return std::nullopt;
  const std::string ctx = "study `" + db.study + "` in `" + db.url + "`";
  StoredStudy st;
  st.id = parse_integer(r[0][0], ctx, "study_id");
  st.space_json = canonical_json(text_or_empty(r[0][1]), ctx);
  st.directions = decode_directions(text_or_empty(r[0][2]), ctx);
  return st;
}

void attach_study(Db& db, const std::string& space_json, const std::vector<Direction>& directions) {
  const std::string ctx = "study `" + db.study + "` in `" + db.url + "`";
  const std::string given_space = space_json.empty() ? "" : canonical_json(space_json, ctx + " (given space)");
  pqxx::work tx(*db.conn);
  auto st = find_study(db, tx);
  if (!st) {
    if (given_space.empty() || directions.empty() || db.read_only) {
      std::string names;
      for (const auto& row : tx.exec("SELECT name FROM studies ORDER BY name"))
        names += (names.empty() ? "" : ", ") + text_or_empty(row[0]);
      throw Error(ErrorKind::Storage, "no study `" + db.study + "` in `" + db.url + "` (studies: " +
                                          (names.empty() ? "none" : names) +
                                          "); give a search space and directions to create it");
    }
    // ON CONFLICT: another process may create the same study at the same moment.
    tx.exec_params(
        "INSERT INTO studies(name, space_json, directions_json, created_time) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (name) DO NOTHING",
        db.study, given_space, encode_directions(directions), search::iso8601_now());
    st = find_study(db, tx);
    if (!st) throw Error(ErrorKind::Storage, ctx + ": the study could not be created");
  }
  tx.commit();
  if (!given_space.empty() && given_space != st->space_json) {
    throw Error(ErrorKind::Storage, ctx + " was created with another search space: stored " + shorten(st->space_json) +
                                        ", given " + shorten(given_space) + " (use a new study name to search another space)");
  }
  if (!directions.empty() && directions != st->directions) {
    throw Error(ErrorKind::Storage, ctx + " was created with directions " + encode_directions(st->directions) +
                                        ", given " + encode_directions(directions));
  }
  db.study_id = st->id;
  db.space_json = st->space_json;
  db.directions = st->directions;
  db.context = ctx;
  db.rules = row_rules(st->space_json, st->directions);
}

std::unique_ptr<pqxx::connection> connect(const std::string& url, const std::string& redacted) {
  try {
    return std::make_unique<pqxx::connection>(url);
  } catch (const std::exception& e) {
    throw Error(ErrorKind::Storage, "PostgreSQL study storage `" + redacted + "`: cannot connect: " + e.what());
  }
}

}  // namespace

PostgresStorage::PostgresStorage(const std::string& url, const std::string& study, const std::string& space_json,
                                 const std::vector<Direction>& directions, bool read_only)
    : db_(std::make_unique<detail::PostgresDb>()) {
  if (study.empty()) throw Error(ErrorKind::InvalidArgument, "PostgresStorage: the study name is empty");
  if (read_only && (!space_json.empty() || !directions.empty())) {
    throw Error(ErrorKind::InvalidArgument, "PostgresStorage: a read-only storage only loads (no space or directions)");
  }
  db_->read_only = read_only;
  db_->url = redact_url(url);
  db_->study = study;
  db_->conn = connect(url, db_->url);
  db_->guarded("opening the study", [&] {
    // Commits return before the server's WAL flush (see the header): a killed worker
    // loses nothing, a crashed server at most its last commits, never consistency. A URL
    // that sets synchronous_commit itself (options=-csynchronous_commit%3Don) keeps it.
    if (url.find("synchronous_commit") == std::string::npos) db_->conn->set_variable("synchronous_commit", "off");
    if (read_only) db_->conn->set_variable("default_transaction_read_only", "on");  // the server refuses writes
    ensure_schema(*db_);
    attach_study(*db_, space_json, directions);
  });
}

PostgresStorage::~PostgresStorage() = default;

int PostgresStorage::create_trial(const ParamVector& params, double sample_seconds, const std::string& worker) {
  std::lock_guard lock(db_->mutex);
  return *db_->guarded("creating a trial", [&] { return db_->create(params, sample_seconds, worker, false, std::nullopt); });
}

std::optional<int> PostgresStorage::try_create_trial(const ParamVector& params, double sample_seconds,
                                                     const std::string& worker, std::optional<int> retry_of) {
  std::lock_guard lock(db_->mutex);
  return db_->guarded("claiming a trial", [&] { return db_->create(params, sample_seconds, worker, true, retry_of); });
}

void PostgresStorage::finish_trial(int number, const search::TrialResult& result) {
  search::require_finishing_state(number, result.state);
  std::lock_guard lock(db_->mutex);
  db_->guarded("finishing a trial", [&] {
    // One statement in autocommit: atomic, exactly once (state = 'running'), one round trip.
    pqxx::nontransaction tx(*db_->conn);
    auto r = db_->exec_hot(
        tx, "qdse_finish",
        "UPDATE trials SET state = $1, values_json = $2, constraints_json = $3, metrics_json = $4, "
        "eval_seconds = $5::float8, end_time = $6 WHERE study_id = $7 AND number = $8 AND state = 'running'",
        std::string(search::to_string(result.state)), encode_doubles(result.values), encode_doubles(result.constraints),
        encode_metrics(result.metrics), float_text(result.eval_seconds), search::iso8601_now(), db_->study_id, number);
    if (r.affected_rows() == 0) db_->fail_not_running(tx, number, "finish_trial");
    tx.commit();
  });
}

std::vector<FrozenTrial> PostgresStorage::trials() const {
  std::lock_guard lock(db_->mutex);
  return db_->guarded("reading trials", [&] {
    // Only rows that can have changed since the last call: cached Running trials and new
    // ones (trial_cache.hpp). One statement = one consistent snapshot.
    std::string running = "{";
    for (long long n : db_->trials.running_numbers()) running += (running.size() > 1 ? "," : "") + std::to_string(n);
    running += "}";
    pqxx::nontransaction tx(*db_->conn);  // one statement: its own snapshot, one round trip
    // UNION ALL, not OR: each half is a primary-key range/lookup.
    auto r = db_->exec_hot(tx, "qdse_trials",
                           std::string("SELECT ") + kTrialColumns + " FROM trials WHERE study_id = $1 AND number >= $2 " +
                                "UNION ALL SELECT " + kTrialColumns +
                                " FROM trials WHERE study_id = $1 AND number = ANY($3::bigint[])",
                            db_->study_id, db_->trials.next_number(), running);
    std::vector<FrozenTrial> rows;
    rows.reserve(r.size());
    for (const auto& row : r) rows.push_back(db_->read_trial(row));
    db_->trials.merge(std::move(rows));
    return db_->trials.trials();
  });
}

std::optional<FrozenTrial> PostgresStorage::trial(int number) const {
  std::lock_guard lock(db_->mutex);
  return db_->guarded("reading a trial", [&]() -> std::optional<FrozenTrial> {
    pqxx::read_transaction tx(*db_->conn);
    auto r = tx.exec_params(std::string("SELECT ") + kTrialColumns + " FROM trials WHERE study_id = $1 AND number = $2",
                            db_->study_id, number);
    if (r.empty()) return std::nullopt;
    return db_->read_trial(r[0]);
  });
}

int PostgresStorage::n_trials() const {
  std::lock_guard lock(db_->mutex);
  return db_->guarded("counting trials", [&] {
    pqxx::read_transaction tx(*db_->conn);
    return static_cast<int>(
        tx.exec_params("SELECT COUNT(*) FROM trials WHERE study_id = $1", db_->study_id)[0][0].as<long long>());
  });
}

std::optional<int> PostgresStorage::retry_of(int number) const {
  std::lock_guard lock(db_->mutex);
  return db_->guarded("reading a trial", [&]() -> std::optional<int> {
    pqxx::read_transaction tx(*db_->conn);
    auto r = tx.exec_params("SELECT retry_of FROM trials WHERE study_id = $1 AND number = $2", db_->study_id, number);
    if (r.empty()) {
      throw Error(ErrorKind::InvalidArgument, "retry_of: no trial " + std::to_string(number) + " in " + db_->context);
    }
    if (r[0][0].is_null()) return std::nullopt;
    return static_cast<int>(parse_integer(r[0][0], db_->context + ", trial " + std::to_string(number), "retry_of"));
  });
}

void PostgresStorage::heartbeat(int number) {
  std::lock_guard lock(db_->mutex);
  db_->guarded("writing a heartbeat", [&] {
    pqxx::work tx(*db_->conn);
    auto r = tx.exec_params(std::string("UPDATE trials SET heartbeat = ") + kNow +
                                " WHERE study_id = $1 AND number = $2 AND state = 'running'",
                            db_->study_id, number);
    if (r.affected_rows() == 0 &&
        tx.exec_params("SELECT 1 FROM trials WHERE study_id = $1 AND number = $2", db_->study_id, number).empty()) {
      throw Error(ErrorKind::InvalidArgument, "heartbeat: no trial " + std::to_string(number) + " in " + db_->context);
    }
    tx.commit();
  });
}

std::vector<search::StaleTrial> PostgresStorage::fail_stale_trials(double timeout_seconds) {
  std::lock_guard lock(db_->mutex);
  return db_->guarded("failing stale trials", [&] {
    pqxx::work tx(*db_->conn);
    // One statement: concurrent callers cannot both fail (and retry) the same trial.
    auto r = tx.exec_params(std::string("UPDATE trials SET state = 'failed', end_time = $1, claim_key = NULL "
                                        "WHERE study_id = $2 AND state = 'running' AND heartbeat <= ") +
                                kNow + " - $3::float8 RETURNING number, params_json, worker, retry_of",
                            search::iso8601_now(), db_->study_id, float_text(timeout_seconds));
    auto stale = db_->stale_trials(r);  // decoded before the commit: a bad row rolls back
    tx.commit();
    return stale;
  });
}

std::vector<search::RunningTrial> PostgresStorage::running_trials() const {
  std::lock_guard lock(db_->mutex);
  return db_->guarded("reading running trials", [&] {
    pqxx::read_transaction tx(*db_->conn);
    const bool v2 = db_->schema_version >= 2;
    // Heartbeat ages on the server's clock, as the stale cutoff.
    auto r = tx.exec_params(std::string("SELECT number, params_json, worker, (") + kNow + " - heartbeat)::text, " +
                                (v2 ? "host, pid" : "'', 0") +
                                " FROM trials WHERE study_id = $1 AND state = 'running' ORDER BY number",
                            db_->study_id);
    std::vector<search::RunningTrial> out;
    for (const auto& row : r) {
      search::RunningTrial t;
      t.number = static_cast<int>(parse_integer(row[0], db_->context, "number"));
      const std::string ctx = db_->context + ", trial " + std::to_string(t.number);
      t.params = decode_doubles(text_or_empty(row[1]), "params_json", ctx);
      t.worker = text_or_empty(row[2]);
      t.heartbeat_age = std::max(0.0, parse_float(row[3], ctx, "heartbeat"));
      t.host = text_or_empty(row[4]);
      t.pid = parse_integer(row[5], ctx, "pid");
      out.push_back(std::move(t));
    }
    return out;
  });
}

std::vector<search::StaleTrial> PostgresStorage::fail_dead_local_trials() {
  std::lock_guard lock(db_->mutex);
  if (db_->schema_version < 2 || db_->read_only) return std::vector<search::StaleTrial>{};
  return db_->guarded("failing trials of dead processes", [&] {
    std::vector<long long> dead;
    {
      pqxx::read_transaction tx(*db_->conn);
      for (const auto& row : tx.exec_params("SELECT number, host, pid, process_start FROM trials WHERE study_id = $1 "
                                            "AND state = 'running' AND process_start <> '' ORDER BY number",
                                            db_->study_id)) {
        const ProcessIdentity holder{text_or_empty(row[1]), parse_integer(row[2], db_->context, "pid"),
                                     text_or_empty(row[3])};
        if (liveness(holder) == ProcessLiveness::Dead) dead.push_back(parse_integer(row[0], db_->context, "number"));
      }
    }
    if (dead.empty()) return std::vector<search::StaleTrial>{};
    std::string numbers = "{";
    for (long long n : dead) numbers += (numbers.size() > 1 ? "," : "") + std::to_string(n);
    numbers += "}";
    pqxx::work tx(*db_->conn);
    // One statement, `state = 'running'`: a concurrent caller cannot fail (and retry) the
    // same trial too; a dead process cannot come back, so the check above stays true.
    auto r = tx.exec_params("UPDATE trials SET state = 'failed', end_time = $1, claim_key = NULL WHERE study_id = $2 "
                            "AND state = 'running' AND number = ANY($3::bigint[]) RETURNING number, params_json, "
                            "worker, retry_of",
                            search::iso8601_now(), db_->study_id, numbers);
    auto stale = db_->stale_trials(r);  // decoded before the commit: a bad row rolls back
    tx.commit();
    return stale;
  });
}

const std::string& PostgresStorage::study_name() const { return db_->study; }
const std::string& PostgresStorage::space_json() const { return db_->space_json; }
const std::vector<Direction>& PostgresStorage::directions() const { return db_->directions; }

std::vector<StudySummary> PostgresStorage::list_studies(const std::string& url) {
  detail::PostgresDb db;
  db.url = redact_url(url);
  db.conn = connect(url, db.url);
  return db.guarded("listing studies", [&] {
    pqxx::read_transaction tx(*db.conn);
    std::vector<StudySummary> out;
    if (!validate_schema(db, tx)) return out;
    auto r = tx.exec(
        "SELECT s.name, s.directions_json, s.created_time, "
        "COUNT(*) FILTER (WHERE t.state = 'running'), COUNT(*) FILTER (WHERE t.state = 'complete'), "
        "COUNT(*) FILTER (WHERE t.state = 'failed'), COUNT(*) FILTER (WHERE t.state = 'pruned'), s.space_json "
        "FROM studies s LEFT JOIN trials t ON t.study_id = s.study_id "
        "GROUP BY s.study_id, s.name, s.directions_json, s.created_time, s.space_json ORDER BY s.name");
    for (const auto& row : r) {
      StudySummary sum;
      sum.name = text_or_empty(row[0]);
      sum.directions = decode_directions(text_or_empty(row[1]), "study `" + sum.name + "` in `" + db.url + "`");
      sum.created_time = text_or_empty(row[2]);
      sum.n_running = static_cast<int>(row[3].as<long long>());
      sum.n_complete = static_cast<int>(row[4].as<long long>());
      sum.n_failed = static_cast<int>(row[5].as<long long>());
      sum.n_pruned = static_cast<int>(row[6].as<long long>());
      sum.space_json = text_or_empty(row[7]);
      out.push_back(std::move(sum));
    }
    return out;
  });
}

}  // namespace qdse::storage
