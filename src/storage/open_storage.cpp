#include "qdse/storage/open_storage.hpp"

#include "qdse/core/error.hpp"
#include "qdse/storage/journal_storage.hpp"
#include "qdse/storage/postgres_storage.hpp"
#include "qdse/storage/sqlite_storage.hpp"

namespace qdse::storage {
namespace {

bool starts_with(const std::string& s, std::string_view p) { return s.rfind(p, 0) == 0; }
bool ends_with(const std::string& s, std::string_view p) {
  return s.size() >= p.size() && s.compare(s.size() - p.size(), p.size(), p) == 0;
}

[[noreturn]] void reject(const std::string& url, const std::string& why) {
  throw Error(ErrorKind::Config, "storage `" + redact_url(url) + "`: " + why +
                                     "; accepted forms: sqlite:///relative/path.db, sqlite:////absolute/path.db, a "
                                     "path ending in .db/.sqlite/.sqlite3, postgresql://user@host:port/db, journal:path.log, "
                                     "memory:");
}

}  // namespace

StorageUrl parse_storage_url(const std::string& url) {
  if (url == "memory:" || url == "memory://") return {StorageKind::Memory, ""};
  if (starts_with(url, "postgresql://") || starts_with(url, "postgres://")) return {StorageKind::Postgres, url};
  if (starts_with(url, "journal:")) {  // Optuna's journal file; the rest is the path as given
    std::string path = url.substr(std::string_view("journal:").size());
    if (path.empty()) reject(url, "the journal URL has no file path");
    return {StorageKind::Journal, path};
  }
  // SQLite: an optional `?synchronous=full|normal` suffix, then the path forms.
  std::string body = url;
  bool full = false;
  if (const auto q = url.find('?'); q != std::string::npos) {
    const std::string query = url.substr(q + 1);
    if (query == "synchronous=full" || query == "synchronous=FULL") full = true;
    else if (query != "synchronous=normal" && query != "synchronous=NORMAL")
      reject(url, "the only SQLite URL option is ?synchronous=full or ?synchronous=normal, got `" + query + "`");
    body = url.substr(0, q);
  }
  if (starts_with(body, "sqlite://")) {
    // SQLAlchemy's spelling, as Optuna users write it: three slashes then the path.
    if (!starts_with(body, "sqlite:///")) reject(url, "an SQLite URL needs three slashes (sqlite:///path)");
    std::string path = body.substr(std::string_view("sqlite:///").size());
    if (path.empty()) reject(url, "the SQLite URL has no file path");
    return {StorageKind::Sqlite, path, full};
  }
  if (body.find("://") == std::string::npos &&
      (ends_with(body, ".db") || ends_with(body, ".sqlite") || ends_with(body, ".sqlite3"))) {
    return {StorageKind::Sqlite, body, full};
  }
  reject(url, url.empty() ? "empty" : "unknown kind");
}

std::shared_ptr<search::Storage> open_storage(const std::string& url, const std::string& study,
                                              const std::string& space_json,
                                              const std::vector<search::Direction>& directions) {
  const auto parsed = parse_storage_url(url);
  switch (parsed.kind) {
    case StorageKind::Memory: return std::make_shared<search::InMemoryStorage>();
    case StorageKind::Sqlite:
      return std::make_shared<SqliteStorage>(parsed.target, study, space_json, directions,
                                             SqliteOptions{parsed.synchronous_full});
    case StorageKind::Postgres: return std::make_shared<PostgresStorage>(parsed.target, study, space_json, directions);
    case StorageKind::Journal: return std::make_shared<JournalStorage>(parsed.target, study, space_json, directions);
  }
  reject(url, "unknown kind");
}

std::shared_ptr<search::Storage> open_storage_read_only(const std::string& url, const std::string& study) {
  const auto parsed = parse_storage_url(url);
  switch (parsed.kind) {
    case StorageKind::Memory: return std::make_shared<search::InMemoryStorage>();
    case StorageKind::Sqlite: {
      SqliteOptions options;
      options.read_only = true;
      return std::make_shared<SqliteStorage>(parsed.target, study, "", std::vector<search::Direction>{}, options);
    }
    case StorageKind::Postgres:
      return std::make_shared<PostgresStorage>(parsed.target, study, "", std::vector<search::Direction>{}, true);
    case StorageKind::Journal:
      return std::make_shared<JournalStorage>(parsed.target, study, "", std::vector<search::Direction>{}, true);
  }
  reject(url, "unknown kind");
}

std::vector<StudySummary> list_studies(const std::string& url) {
  const auto parsed = parse_storage_url(url);
  switch (parsed.kind) {
    case StorageKind::Memory: return {};
    case StorageKind::Sqlite: return SqliteStorage::list_studies(parsed.target);
    case StorageKind::Postgres: return PostgresStorage::list_studies(parsed.target);
    case StorageKind::Journal: return JournalStorage::list_studies(parsed.target);
  }
  reject(url, "unknown kind");
}

}  // namespace qdse::storage
