// warn_config(): one "warning: ..." line on stderr for something in a config that
// qdse accepts but that is probably not what the user meant (a seed table the
// chosen `by` does not use, a search dimension that changes nothing).
//
// A message is printed at most once per process: the same config is read by several
// stages (the search space is built again for the report and for exports), and one
// line per finding is what a user wants to read. Control characters are escaped so
// a warning is always one line.
// Thread-safety: safe to call from any thread.
#pragma once

#include <string>

namespace qdse::io {

void warn_config(const std::string& message);

}  // namespace qdse::io
