// Helpers for tests that drive the `qdse` executable (QDSE_BINARY) as a user would:
// run a command line, capture stdout and stderr separately, get the exit status.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

namespace qdse::testing {

struct CliResult {
  int status = -1;  // exit status (128 + signal if killed)
  std::string out;  // stdout
  std::string err;  // stderr
};

inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// A JSON file qdse wrote (trials.json, best.json, finetune.json, ...), parsed.
inline nlohmann::json read_json(const std::filesystem::path& p) { return nlohmann::json::parse(read_text(p)); }

inline void write_text(const std::filesystem::path& p, const std::string& text) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

// A path as one /bin/sh word (single quotes; a quote inside becomes '\'').
inline std::string shell_quote(const std::filesystem::path& p) {
  std::string out = "'";
  for (char c : p.string()) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Runs `qdse <args>` through /bin/sh in the source directory (so relative config
// paths like configs/x.toml work). `args` is shell text: quote paths yourself. `env` is
// shell text put before the binary (e.g. "QDSE_GNUPLOT=/x").
inline CliResult run_qdse(const std::string& args, const std::filesystem::path& scratch, const std::string& env = "") {
  std::filesystem::create_directories(scratch);
  const auto out = scratch / "stdout.txt", err = scratch / "stderr.txt";
  const std::string cmd = std::string("cd '") + QDSE_SOURCE_DIR + "' && " + env + (env.empty() ? "" : " ") + "'" +
                          QDSE_BINARY + "' " + args + " >'" + out.string() + "' 2>'" + err.string() + "'";
  const int raw = std::system(cmd.c_str());
  CliResult r;
  if (raw != -1 && WIFEXITED(raw)) r.status = WEXITSTATUS(raw);
  else if (raw != -1 && WIFSIGNALED(raw)) r.status = 128 + WTERMSIG(raw);
  r.out = read_text(out);
  r.err = read_text(err);
  return r;
}

// A fresh directory under the system temp dir, named after the running test.
inline std::filesystem::path scratch_dir(const std::string& name) {
  auto d = std::filesystem::temp_directory_path() / ("qdse-cli-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

}  // namespace qdse::testing
