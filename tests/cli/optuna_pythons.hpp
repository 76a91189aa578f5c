// The two Optunas qdse's journal files are checked against (issue 19, docs/storage.md
// "Versions"): Debian's python3-optuna 3.1 on /usr/bin/python3, and the current Optuna
// (5.x) with optuna-dashboard from PyPI in the project's .venv, which
// scripts/install-deps.sh makes through scripts/optuna-venv.sh. Used by
// optuna_interop_test.cpp (every test on both) and optuna_dashboard_test.cpp (.venv); the
// hls4ml checks (tests/cli/hls4ml_bitexact_test.cpp, tests/hw/hls4ml_estimator_parity_test.cpp)
// use the .venv's hls4ml (venv_hls4ml_missing).
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <ostream>
#include <string>

#include "../support/prerequisites.hpp"

namespace qdse::testing {

struct OptunaPython {
  std::string name;    // the instantiation's name: Optuna3 / Optuna5
  std::string python;  // interpreter
  int min_major;       // the Optuna major version it must have (a .venv that fell back to
                       // Debian's 3.1 through --system-site-packages must not pass as 5.x)
};

// GoogleTest prints a parameter with this (not as a byte dump) in --gtest_list_tests.
inline void PrintTo(const OptunaPython& o, std::ostream* os) { *os << o.name << " (" << o.python << ")"; }

inline std::string venv_python() { return std::string(QDSE_SOURCE_DIR) + "/.venv/bin/python"; }

inline OptunaPython debian_optuna() { return {"Optuna3", "/usr/bin/python3", 3}; }
inline OptunaPython venv_optuna() { return {"Optuna5", venv_python(), 5}; }

// `optuna.__version__` of `python` when it imports optuna and `modules` (comma-separated),
// else "". Asked once per interpreter and module list.
inline std::string optuna_version(const std::string& python, const std::string& modules) {
  static std::map<std::string, std::string> known;
  const std::string key = python + "|" + modules;
  if (auto it = known.find(key); it != known.end()) return it->second;
  std::string version;
  const std::string cmd = "'" + python + "' -c 'import optuna, " + modules +
                          "; print(optuna.__version__)' 2>/dev/null";
  if (FILE* p = ::popen(cmd.c_str(), "r")) {
    char buf[64] = {};
    if (std::fgets(buf, sizeof buf, p) != nullptr) version = buf;
    if (::pclose(p) != 0) version.clear();
  }
  while (!version.empty() && (version.back() == '\n' || version.back() == '\r')) version.pop_back();
  return known[key] = version;
}

// Why `o` cannot run the tests ("" when it can): the .venv is missing (scripts/optuna-venv.sh
// needs PyPI), a module is missing, or its Optuna is older than `o.min_major`.
inline std::string optuna_python_missing(const OptunaPython& o, const std::string& modules) {
  const bool venv = o.python == venv_python();
  if (venv && !std::filesystem::exists(o.python))
    return "PyPI unreachable: .venv missing (" + o.python +
           "; scripts/install-deps.sh makes it with scripts/optuna-venv.sh, which needs PyPI)";
  const std::string v = optuna_version(o.python, modules);
  if (v.empty())
    return o.python + " cannot import optuna, " + modules +
           (venv ? " (rerun scripts/optuna-venv.sh)"
                 : " (scripts/install-deps.sh installs python3-optuna, python3-plotly, python3-sklearn)");
  if (std::atoi(v.c_str()) < o.min_major)
    return o.python + " has optuna " + v + ", not " + std::to_string(o.min_major) + ".x" +
           (venv ? " (rerun scripts/optuna-venv.sh)" : "");
  return "";
}

// "" when the .venv imports hls4ml (installed from PyPI by scripts/optuna-venv.sh), else
// why not: the hls4ml checks (Hls4mlBitexact, Hls4mlEstimatorParity) skip with it.
inline std::string venv_hls4ml_missing() {
  const std::string py = venv_python();
  if (!std::filesystem::exists(py))
    return "PyPI unreachable: .venv missing (" + py + "; scripts/install-deps.sh makes it, with hls4ml, from PyPI)";
  const std::string cmd = "'" + py + "' -c 'import hls4ml' >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) return py + " cannot import hls4ml (rerun scripts/optuna-venv.sh; needs PyPI)";
  return "";
}

}  // namespace qdse::testing

// Skips (fails under QDSE_REQUIRE_ALL, i.e. on CI) unless `o` imports optuna and `modules`
// with the right major version.
#define QDSE_REQUIRE_OPTUNA_PYTHON(o, modules)                                                           \
  const std::string qdse_optuna_missing_ = ::qdse::testing::optuna_python_missing(o, modules); \
  QDSE_REQUIRE(qdse_optuna_missing_.empty(), qdse_optuna_missing_)
