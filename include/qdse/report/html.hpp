// Small HTML builders for the report pages (index.html, compare.html): one
// self-contained page with inline CSS, escaped text, tables and figures.
//
// Every page carries a short inline script that, once the page has loaded, checks
// that every <img> decoded (naturalWidth > 0) and records the result on <body> as
// data-images="OK/TOTAL" and in document.title (" [images OK/TOTAL]"), so a headless
// browser can verify a report without a screenshot.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

namespace qdse::report {

std::string html_escape(const std::string& s);

// A whole page: <!DOCTYPE html>, <title>, inline CSS, the body, the image check.
std::string html_page(const std::string& title, const std::string& body);

// <table> with a header row; cells are escaped. Columns after the first are
// right-aligned (numbers) unless `text` is set (key/value tables).
std::string html_table(const std::vector<std::string>& header,
                       const std::vector<std::vector<std::string>>& rows, bool text = false);

// <figure>: the PNG image linked to its SVG, a caption, links to the data and script.
std::string html_figure(const std::string& name, const std::string& caption);

// "%.*g" formatting for tables; "-" when not finite.
std::string fmt_num(double v, int digits = 6);

}  // namespace qdse::report
