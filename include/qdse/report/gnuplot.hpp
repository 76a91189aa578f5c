// Gnuplot driver for the report figures. Each figure is a data file and a script
// written next to the images they make (NAME.dat, NAME.gp -> NAME.png, NAME.svg), so
// anyone can edit the script and re-run `gnuplot NAME.gp` in the report folder.
//
// gnuplot is found as $QDSE_GNUPLOT when set, else `gnuplot` on PATH. It runs as a
// child process (one per figure) with its output in NAME.log.
// Thread-safety: pure functions of their arguments and the file system.
#pragma once

#include <optional>
#include <string>

namespace qdse::report {

// Path of a runnable gnuplot, or nullopt.
std::optional<std::string> find_gnuplot();

// find_gnuplot() or qdse::Error(Io) saying how to install it; `what` names the caller
// ("qdse report") in the message.
std::string require_gnuplot(const std::string& what);

struct FigureSpec {
  std::string name;    // file stem: NAME.dat, NAME.gp, NAME.png, NAME.svg
  std::string title;   // first comment line of the script
  std::string data;    // content of NAME.dat (whitespace separated, blocks by blank lines)
  std::string body;    // gnuplot commands after the terminal/output lines; 'NAME.dat' by name
  int width = 800;
  int height = 500;
};

// Writes NAME.dat and NAME.gp into dir and runs gnuplot there. The script renders a
// PNG (pngcairo) then an SVG with the same body. Throws qdse::Error(Io) with the tail of
// gnuplot's output when it fails or leaves an empty image.
void render_figure(const std::string& gnuplot, const std::string& dir, const FigureSpec& figure);

// A gnuplot single-quoted string literal ('it''s').
std::string gp_quote(const std::string& s);

// A number for data files: %.10g, "NaN" when not finite (gnuplot skips it).
std::string gp_num(double v);

}  // namespace qdse::report
