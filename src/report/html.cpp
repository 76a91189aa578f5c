// HTML builders of the report pages; see include/qdse/report/html.hpp.
#include "qdse/report/html.hpp"

#include <cmath>
#include <cstdio>
#include <sstream>

namespace qdse::report {
namespace {

constexpr const char* kCss = R"(
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto; max-width: 1100px;
       color: #222; line-height: 1.45; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { font-size: 1.25em; margin-top: 1.8em;
     border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.92em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th { background: #f3f3f3; } td:first-child, th:first-child, table.text td, table.text th { text-align: left; }
figure { margin: 1em 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { font-size: 0.9em; color: #444; } .note { color: #555; font-size: 0.9em; }
td.util { text-align: left; white-space: nowrap; }
.bar { display: inline-block; width: 8em; height: 0.8em; background: #eee; vertical-align: middle; }
.bar span { display: block; height: 100%; }
code, pre { background: #f6f6f6; padding: 0.1em 0.3em; } pre { padding: 0.6em; overflow-x: auto; }
)";

// Records whether every image decoded; see the header comment.
constexpr const char* kImageCheck = R"(<script>
window.addEventListener('load', function () {
  var imgs = Array.prototype.slice.call(document.images);
  var ok = imgs.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length;
  document.body.setAttribute('data-images', ok + '/' + imgs.length);
  document.title = document.title + ' [images ' + ok + '/' + imgs.length + ']';
});
</script>
)";

}  // namespace

std::string html_escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string html_page(const std::string& title, const std::string& body) {
  std::ostringstream out;
  out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" << html_escape(title)
      << "</title>\n<style>" << kCss << "</style>\n</head>\n<body>\n"
      << body << kImageCheck << "</body>\n</html>\n";
  return out.str();
}

std::string html_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                       bool text) {
  std::ostringstream out;
  out << (text ? "<table class=\"text\">\n<tr>" : "<table>\n<tr>");
  for (const auto& h : header) out << "<th>" << html_escape(h) << "</th>";
  out << "</tr>\n";
  for (const auto& r : rows) {
    out << "<tr>";
    for (const auto& c : r) out << "<td>" << html_escape(c) << "</td>";
    out << "</tr>\n";
  }
  out << "</table>\n";
  return out.str();
}

std::string html_figure(const std::string& name, const std::string& caption) {
  const std::string n = html_escape(name);
  return "<figure id=\"fig-" + n + "\"><a href=\"" + n + ".svg\"><img src=\"" + n + ".png\" alt=\"" +
         html_escape(caption) + "\"></a>\n<figcaption>" + html_escape(caption) + " <span class=\"note\">(<a href=\"" +
         n + ".svg\">SVG</a>, data <a href=\"" + n + ".dat\">" + n + ".dat</a>, script <a href=\"" + n + ".gp\">" + n +
         ".gp</a>)</span></figcaption></figure>\n";
}

std::string fmt_num(double v, int digits) {
  if (!std::isfinite(v)) return "-";
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*g", digits, v);
  return buf;
}

}  // namespace qdse::report
