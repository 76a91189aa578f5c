// export_to_journal: one study of any storage (SQLite, PostgreSQL, another journal)
// written as a new Optuna journal file (`qdse export-study`, docs/storage.md "Exporting
// a study"), so that Optuna, its plots and optuna-dashboard read a study qdse ran
// with SQLite or PostgreSQL. Each trial becomes one CREATE_TRIAL operation carrying
// its state, values, times, params and attributes (as Optuna's own copy_study
// writes trials), under the mapping of journal_storage.hpp; `qdse trials` on the
// export prints what it prints on the source.
// Thread-safety: a free function; the target is replaced in one rename under Optuna's
// journal lock, so a reader never sees a half-written export.
#pragma once

#include <string>

namespace qdse::storage {

struct JournalExport {
  std::string study;  // the study exported (named, or the source's only one)
  int n_trials = 0;
};

// Reads study `study` (empty: the only one) of `from_url` and writes it to the journal
// file `to_path`. An existing non-empty `to_path` is refused unless `force` (then it is
// replaced whole). Throws qdse::Error naming the URL, study or file.
JournalExport export_to_journal(const std::string& from_url, const std::string& study, const std::string& to_path,
                                bool force);

}  // namespace qdse::storage
