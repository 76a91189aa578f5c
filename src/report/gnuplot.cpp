// Runs gnuplot on a generated script; see include/qdse/report/gnuplot.hpp.
#include "qdse/report/gnuplot.hpp"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "qdse/core/error.hpp"
#include "qdse/report/run_outputs.hpp"

namespace qdse::report {
namespace {

bool is_executable(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

std::string read_tail(const std::string& path, std::size_t max_chars) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  if (s.size() > max_chars) s = "..." + s.substr(s.size() - max_chars);
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// Single-quoted for /bin/sh.
std::string sh_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

std::optional<std::string> find_gnuplot() {
  if (const char* env = std::getenv("QDSE_GNUPLOT"); env && *env) {
    if (is_executable(env)) return std::string(env);
    return std::nullopt;
  }
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  std::string d;
  while (std::getline(dirs, d, ':')) {
    if (d.empty()) d = ".";
    const std::string candidate = d + "/gnuplot";
    if (is_executable(candidate)) return candidate;
  }
  return std::nullopt;
}

std::string require_gnuplot(const std::string& what) {
  if (auto g = find_gnuplot()) return *g;
  const char* env = std::getenv("QDSE_GNUPLOT");
  throw Error(ErrorKind::Io,
              what + " needs gnuplot for its figures, and " +
                  (env && *env ? "QDSE_GNUPLOT=" + std::string(env) + " is not an executable file"
                               : std::string("no `gnuplot` was found on PATH")) +
                  "; install it (Debian: apt-get install gnuplot-nox, or scripts/install-deps.sh) "
                  "or point QDSE_GNUPLOT at it");
}

std::string gp_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

std::string gp_num(double v) {
  if (!std::isfinite(v)) return "NaN";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

void render_figure(const std::string& gnuplot, const std::string& dir, const FigureSpec& f) {
  std::filesystem::create_directories(dir);
  write_file_atomic(dir + "/" + f.name + ".dat", f.data);
  std::ostringstream gp;
  gp << "# " << f.title << "\n"
     << "# Written by qdse; reproduce with: gnuplot " << f.name << ".gp (in this folder)\n"
     << "# Data: " << f.name << ".dat. Renders " << f.name << ".png, then " << f.name << ".svg.\n"
     << "# qdse itself sets qdse_suffix='.tmp' and renames the images once both are complete.\n"
     << "if (!exists(\"qdse_suffix\")) qdse_suffix = ''\n"
     << "do for [fmt in \"png svg\"] {\n"
     << "  if (fmt eq \"png\") {\n"
     << "    set terminal pngcairo size " << f.width << "," << f.height << " font \"sans,10\" noenhanced\n"
     << "  } else {\n"
     << "    set terminal svg size " << f.width << "," << f.height << " font \"sans,10\" noenhanced background \"white\"\n"
     << "  }\n"
     << "  set output '" << f.name << ".'.fmt.qdse_suffix\n"
     << f.body << (f.body.empty() || f.body.back() == '\n' ? "" : "\n")
     << "  unset output\n"
     << "}\n";
  write_file_atomic(dir + "/" + f.name + ".gp", gp.str());
  const std::string log = dir + "/" + f.name + ".log";
  // Images are rendered under NAME.png.tmp / NAME.svg.tmp and renamed only when both are
  // complete: a gnuplot that fails (full disk, killed) leaves no truncated NAME.png, and
  // an earlier complete image stays as it was.
  const std::string cmd = "cd " + sh_quote(dir) + " && " + sh_quote(gnuplot) + " -e \"qdse_suffix='.tmp'\" " +
                          sh_quote(f.name + ".gp") + " > " + sh_quote(f.name + ".log") + " 2>&1";
  const int rc = std::system(cmd.c_str());
  const bool ok = rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == 0;
  std::string bad;
  std::error_code ec;
  for (const char* ext : {".png", ".svg"}) {
    const std::string img = dir + "/" + f.name + ext + ".tmp";
    if (!std::filesystem::exists(img, ec) || std::filesystem::file_size(img, ec) == 0) bad = dir + "/" + f.name + ext;
  }
  auto drop_temporaries = [&] {
    for (const char* ext : {".png.tmp", ".svg.tmp"}) std::filesystem::remove(dir + "/" + f.name + ext, ec);
  };
  if (!ok || !bad.empty()) {
    drop_temporaries();
    throw Error(ErrorKind::Io, "gnuplot failed on " + dir + "/" + f.name + ".gp" +
                                   (bad.empty() ? "" : " (no image " + bad + ")") + ": " + read_tail(log, 600));
  }
  for (const char* ext : {".png", ".svg"}) {
    const std::string img = dir + "/" + f.name + ext;
    std::filesystem::rename(img + ".tmp", img, ec);
    if (ec) {
      drop_temporaries();
      throw Error(ErrorKind::Io, "cannot rename " + img + ".tmp to " + img + ": " + ec.message());
    }
  }
  if (std::filesystem::file_size(log, ec) == 0) std::filesystem::remove(log, ec);
}

}  // namespace qdse::report
