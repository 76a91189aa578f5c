// CLI11 validators for numeric flags. CLI11's own (PositiveNumber, Range) print the
// range of the C++ type ("not in range 0.000000 to 1797693...", 309 digits) and let
// a bad word through to a conversion error; these say what the flag accepts, in one
// line that CLI11 prefixes with the flag ("--n-trials: expected a whole number >= 1,
// got '0'"). They run on the text before conversion, so "abc" is caught here too.
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "commands.hpp"

namespace qdse::cli {
namespace {

std::string in_quotes(const std::string& s) { return "'" + s + "'"; }

std::string bound_text(long long min, long long max) {
  if (max == std::numeric_limits<int>::max() || max == std::numeric_limits<long long>::max())
    return ">= " + std::to_string(min);
  return "from " + std::to_string(min) + " to " + std::to_string(max);
}

}  // namespace

CLI::Validator whole_number(long long min, long long max) {
  const std::string want = "expected a whole number " + bound_text(min, max);
  return CLI::Validator(
      [=](std::string& text) -> std::string {
        long long v = 0;
        const char* end = text.data() + text.size();
        const auto [p, ec] = std::from_chars(text.data(), end, v);
        if (text.empty() || p != end) return want + ", got " + in_quotes(text);
        if (ec == std::errc::result_out_of_range || v < min || v > max) return want + ", got " + text;
        return "";
      },
      want, "WHOLE_NUMBER");
}

CLI::Validator finite_number(double min, bool min_allowed) {
  char m[32];
  std::snprintf(m, sizeof m, "%g", min);
  const std::string want = std::string("expected a number ") + (min_allowed ? ">= " : "> ") + m;
  return CLI::Validator(
      [=](std::string& text) -> std::string {
        errno = 0;
        char* end = nullptr;
        const double v = text.empty() ? 0 : std::strtod(text.c_str(), &end);
        if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v) || errno == ERANGE)
          return want + ", got " + in_quotes(text);
        if (min_allowed ? v < min : v <= min) return want + ", got " + text;
        return "";
      },
      want, "FINITE_NUMBER");
}

CLI::Validator finite_list_item() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        char* end = nullptr;
        const double v = text.empty() ? 0 : std::strtod(text.c_str(), &end);
        if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v))
          return "expected finite numbers separated by commas, got '" + text + "'";
        return "";
      },
      "NUMBER,NUMBER", "FINITE_LIST");
}

}  // namespace qdse::cli
