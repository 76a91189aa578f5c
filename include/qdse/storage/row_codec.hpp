// Row codec: the text forms trials and studies take in a database row, shared by the
// SQLite and PostgreSQL storages so both write and validate identical rows.
//
// Rows are untrusted input (another program, a hand edit, a newer qdse may have written
// them): every decode_* validates and throws qdse::Error(Storage) naming `context` (e.g.
// "study `s` (db.sqlite), trial 7") and the column. JSON numbers are written in the
// shortest round-trip form; non-finite doubles, which JSON lacks, as the strings "NaN",
// "Infinity", "-Infinity" (a Failed trial may carry a NaN objective).
// Thread-safety: free functions without shared state.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "qdse/search/trial.hpp"

namespace qdse::storage {

// Version 2 added the creating process (trials.host, pid, process_start). Version-1
// databases are still read and written, as version 1 (their trials carry no process).
inline constexpr int kSchemaVersion = 2;
inline constexpr int kOldestSchemaVersion = 1;
// Written to qdse_meta ('application', kApplicationName) and, for SQLite, to
// PRAGMA application_id, so a qdse database is recognisable by tools such as `file`.
inline constexpr std::string_view kApplicationName = "qdse";
inline constexpr int kSqliteApplicationId = 0x71647365;  // "qdse" in ASCII

// What a double written by this codec (or to a REAL column) reads back as: -0 as 0 (one
// claim key per configuration), any NaN as the quiet NaN, everything else exactly.
double stored_double(double v);

std::string encode_doubles(const std::vector<double>& values);
std::vector<double> decode_doubles(std::string_view json, std::string_view column, std::string_view context);

std::string encode_metrics(const std::map<std::string, double>& metrics);
std::map<std::string, double> decode_metrics(std::string_view json, std::string_view context);

std::string encode_directions(const std::vector<search::Direction>& directions);
std::vector<search::Direction> decode_directions(std::string_view json, std::string_view context);

// Canonical text of a configuration, the key claims are unique on: shortest round-trip
// decimal of each value ("-0" written as "0"), comma separated.
std::string params_key(const search::ParamVector& params);

// `json` re-serialised canonically (no whitespace, object keys sorted), so two spellings
// of the same search space compare equal. Throws qdse::Error(Storage) if not JSON.
std::string canonical_json(std::string_view json, std::string_view context);

search::TrialState decode_state(std::string_view text, std::string_view context);

// One trials row as read from a database, before validation.
struct RawTrialRow {
  long long number = -1;
  std::string state;
  std::string params_json;
  std::string values_json;
  std::string constraints_json;
  std::string metrics_json;
  double sample_seconds = 0.0;
  double eval_seconds = 0.0;
  std::string start_time;
  std::string end_time;
  std::string worker;
};

// What a row must agree with beyond its own shape, from the study. When the space
// description has `qdse search`'s form ({"params": [{"name": ..., "choices": [...]} or
// {"name": ..., "distribution": ...}, ...]}): one value per param, each categorical
// value a whole index into its choices, and a Complete trial one finite value per
// direction. Other descriptions (any JSON a library caller chose) check nothing more.
struct RowRules {
  bool known_space = false;
  std::vector<std::string> names;         // per param
  std::vector<std::size_t> n_choices;     // per param; 0 = not categorical
  std::size_t n_directions = 0;
};
RowRules row_rules(std::string_view space_json, const std::vector<search::Direction>& directions);

// Validates a row and turns it into a FrozenTrial; `study_context` names the study and
// database ("study `s` in db.sqlite"); errors add the trial number and the column.
// Always: state name, JSON shapes, finite params, finite values of a Complete trial, no
// NaN constraint, finite non-negative times, end time consistent with the state; plus
// `rules`.
search::FrozenTrial decode_trial(const RawTrialRow& row, std::string_view study_context, const RowRules& rules = {});

// Seconds since the Unix epoch (system clock), the unit heartbeats are stored in.
double unix_now();

}  // namespace qdse::storage
