// Writing files that readers may open at any moment: whole-file writes through a
// temporary name and a rename (a crash or a full disk never leaves a half-written
// file under the final name), and CSV cell escaping. Used by every layer that writes
// outputs (run exports, reports, trial tables). Thread-safety: pure functions; two
// writers of the same path race on the rename, the last one wins.
#pragma once

#include <string>

namespace qdse {

// Writes `content` to `path` via `path.tmp` + rename. On any failure the temporary file
// is removed and an Error (ErrorKind::Io) naming the path is thrown; `path` is untouched.
void write_file_atomic(const std::string& path, const std::string& content);

// A CSV cell: quoted (with doubled quotes) when it holds a comma, a quote or a newline.
std::string csv_escape(const std::string& s);

}  // namespace qdse
