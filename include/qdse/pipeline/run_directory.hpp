// The run directory of a search or comparison (`--out`): its default name, the rule for
// writing into an existing directory, and the config copy.
//
// Rule (docs/storage.md, "Run directories"): a search may write into
//   - a directory that does not exist yet (it is created when the run is accepted),
//   - an empty directory,
//   - a qdse run directory (it holds study.db, best.json or trials.json): a resume target,
//   - a directory that holds nothing but the config being run (`--out .` beside it),
// and into any other existing directory only with --force, since the search writes
// config.toml, trials.json, trials.csv, best.json and report files there.
// Thread-safety: free functions over the file system.
#pragma once

#include <string>

#include "qdse/io/run_config.hpp"

namespace qdse::pipeline {

// runs/<prefix><model>-<YYYYmmdd-HHMMSS>[-N]: a name no directory has yet (an ONNX
// model is named by its file stem).
std::string default_run_dir(const io::RunConfig& config, const std::string& prefix = "");

// Throws qdse::Error(Config) when `dir` may not be written (see the rule above); writes nothing.
void check_run_dir(const std::string& dir, const std::string& config_file, bool force);

// Copies the config file to <dir>/config.toml, unless it is that file already.
void copy_config_into(const std::string& config_file, const std::string& dir);

}  // namespace qdse::pipeline
