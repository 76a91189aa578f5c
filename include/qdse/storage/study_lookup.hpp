// find_study: the study a command names among a storage's studies (list_studies), with
// the one-line errors `qdse trials` and `qdse export-study` give: an empty name picks
// the only study, an unknown or missing name lists the studies there are.
// Thread-safety: a pure function.
#pragma once

#include <string>
#include <vector>

#include "qdse/storage/study_summary.hpp"

namespace qdse::storage {

// The study named `name` (or the only one when `name` is empty); throws
// qdse::Error(Config) naming the storage (password redacted) and its studies otherwise.
const StudySummary& find_study(const std::vector<StudySummary>& studies, const std::string& name,
                               const std::string& url);

}  // namespace qdse::storage
