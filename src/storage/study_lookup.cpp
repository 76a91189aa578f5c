#include "qdse/storage/study_lookup.hpp"

#include "qdse/core/error.hpp"
#include "qdse/storage/postgres_storage.hpp"

namespace qdse::storage {

const StudySummary& find_study(const std::vector<StudySummary>& studies, const std::string& name,
                               const std::string& url) {
  std::string list;
  for (const auto& s : studies) list += (list.empty() ? "" : ", ") + s.name;
  if (name.empty()) {
    if (studies.size() == 1) return studies[0];
    throw Error(ErrorKind::Config, "storage `" + redact_url(url) + "` holds " +
                                       (studies.empty() ? std::string("no studies")
                                                        : std::to_string(studies.size()) + " studies (" + list + ")") +
                                       "; name one with --study");
  }
  for (const auto& s : studies)
    if (s.name == name) return s;
  throw Error(ErrorKind::Config, "no study `" + name + "` in `" + redact_url(url) + "` (studies: " +
                                     (list.empty() ? "none" : list) + ")");
}

}  // namespace qdse::storage
