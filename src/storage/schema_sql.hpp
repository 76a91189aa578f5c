// The CREATE statements of a study database (docs/storage.md), one text for both
// storages: SQLite and PostgreSQL differ only in column types, which the caller names.
// The text is what each storage has always executed (and SQLite keeps in
// sqlite_master), so a database made by either version reads the same.
#pragma once

#include <string>

namespace qdse::storage::detail {

struct SchemaTypes {
  const char* meta_key;  // qdse_meta.key
  const char* study_id;  // studies.study_id, the key it assigns
  const char* integer;   // every other whole-number column
  const char* real;      // every double column
};

inline std::string create_schema_sql(const SchemaTypes& t) {
  const std::string i = t.integer, r = t.real;
  return std::string("\nCREATE TABLE qdse_meta(\n  key ") + t.meta_key +
         ",\n"
         "  value TEXT NOT NULL);\n"
         "CREATE TABLE studies(\n"
         "  study_id " + t.study_id + ",\n"
         "  name TEXT NOT NULL UNIQUE,\n"
         "  space_json TEXT NOT NULL,\n"
         "  directions_json TEXT NOT NULL,\n"
         "  created_time TEXT NOT NULL,\n"
         "  next_trial_number " + i + " NOT NULL DEFAULT 0);\n"
         "CREATE TABLE trials(\n"
         "  study_id " + i + " NOT NULL REFERENCES studies(study_id),\n"
         "  number " + i + " NOT NULL,\n"
         "  state TEXT NOT NULL,\n"
         "  params_json TEXT NOT NULL,\n"
         "  claim_key TEXT,\n"
         "  values_json TEXT NOT NULL DEFAULT '[]',\n"
         "  constraints_json TEXT NOT NULL DEFAULT '[]',\n"
         "  metrics_json TEXT NOT NULL DEFAULT '{}',\n"
         "  sample_seconds " + r + " NOT NULL DEFAULT 0,\n"
         "  eval_seconds " + r + " NOT NULL DEFAULT 0,\n"
         "  start_time TEXT NOT NULL,\n"
         "  end_time TEXT NOT NULL DEFAULT '',\n"
         "  worker TEXT NOT NULL DEFAULT '',\n"
         "  heartbeat " + r + " NOT NULL,\n"
         "  retry_of " + i + ",\n"
         "  host TEXT NOT NULL DEFAULT '',\n"
         "  pid " + i + " NOT NULL DEFAULT 0,\n"
         "  process_start TEXT NOT NULL DEFAULT '',\n"
         "  PRIMARY KEY(study_id, number),\n"
         "  UNIQUE(study_id, claim_key));\n"
         "CREATE INDEX trials_by_state ON trials(study_id, state);\n";
}

}  // namespace qdse::storage::detail
