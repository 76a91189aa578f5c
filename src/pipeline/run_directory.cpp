// Run directories: default names, the existing-directory rule, the config copy; see
// include/qdse/pipeline/run_directory.hpp.
#include "qdse/pipeline/run_directory.hpp"

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "qdse/core/error.hpp"

namespace qdse::pipeline {
namespace {

namespace fs = std::filesystem;

std::string file_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The same file, or a file with the same bytes (a copy of the config made by an earlier run).
bool same_config(const std::string& config_file, const fs::path& copy) {
  std::error_code ec;
  if (fs::equivalent(config_file, copy, ec)) return true;
  return !ec && file_text(config_file) == file_text(copy);
}

}  // namespace

std::string default_run_dir(const io::RunConfig& config, const std::string& prefix) {
  const std::string model = config.is_onnx() ? fs::path(config.model).stem().string() : config.model;
  const std::time_t now = std::time(nullptr);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", std::localtime(&now));
  const std::string base = "runs/" + prefix + model + "-" + stamp;
  std::string dir = base;
  for (int i = 1; fs::exists(dir); ++i) dir = base + "-" + std::to_string(i);
  return dir;
}

void check_run_dir(const std::string& dir, const std::string& config_file, bool force) {
  std::error_code ec;
  const auto status = fs::status(dir, ec);
  if (!fs::exists(status)) return;
  if (!fs::is_directory(status))
    throw Error(ErrorKind::Config, "--out `" + dir + "` exists and is not a directory");
  if (force) return;
  for (const char* marker : {"study.db", "best.json", "trials.json"})
    if (fs::exists(fs::path(dir) / marker, ec)) return;  // a run directory: resume or rerun into it
  std::vector<std::string> entries;
  for (const auto& e : fs::directory_iterator(dir, ec)) entries.push_back(e.path().filename().string());
  if (ec) throw Error(ErrorKind::Io, "cannot list --out `" + dir + "`: " + ec.message());
  if (entries.empty()) return;
  if (entries.size() == 1 && entries[0] == "config.toml" && !config_file.empty() &&
      same_config(config_file, fs::path(dir) / "config.toml"))
    return;
  std::sort(entries.begin(), entries.end());
  std::string shown;
  for (std::size_t i = 0; i < entries.size() && i < 3; ++i) shown += (i ? ", " : "") + entries[i];
  if (entries.size() > 3) shown += ", ... (" + std::to_string(entries.size()) + " entries)";
  throw Error(ErrorKind::Config,
              "--out `" + dir + "` is an existing directory that is not a qdse run directory (no study.db or "
              "best.json; it holds " + shown + "); a search writes config.toml, trials.json, trials.csv, best.json "
              "and report files into it: give --force to do so anyway, or name a new directory");
}

void copy_config_into(const std::string& config_file, const std::string& dir) {
  if (config_file.empty()) return;
  const fs::path target = fs::path(dir) / "config.toml";
  std::error_code ec;
  if (fs::equivalent(config_file, target, ec)) return;  // --out . beside its own config.toml
  fs::copy_file(config_file, target, fs::copy_options::overwrite_existing, ec);
  if (ec) throw Error(ErrorKind::Io, "cannot copy " + config_file + " to " + target.string() + ": " + ec.message());
}

}  // namespace qdse::pipeline
