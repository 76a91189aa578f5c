// Device files: parsing, validation and lookup (docs/hardware.md#device-files). io/ sits
// above hw/, so this reads the TOML with toml++ directly and builds its own located
// messages in the form the rest of qdse uses: "<rule>, got <value> (<file>:<line> (<key>))".
#include "qdse/hw/device.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "qdse/core/error.hpp"
#include "shipped_devices.hpp"

namespace qdse::hw {
namespace {

constexpr const char* kIntegerKeys[] = {"lut", "ff", "dsp", "bram18", "uram"};
constexpr const char* kAllKeys[] = {"name", "part", "dsp_slice", "lut", "ff", "dsp", "bram18", "uram", "clock_ns"};

// One line whatever the file name or the TOML text holds.
Error one_line_error(ErrorKind kind, std::string message) {
  for (char& ch : message)
    if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) ch = ' ';
  return Error(kind, message);
}

std::string device_where(const std::string& file, const toml::node* node, std::string_view key) {
  std::string out = file;
  if (node && node->source().begin.line) out += ":" + std::to_string(node->source().begin.line);
  return out + " (" + std::string(key) + ")";
}

Error device_error(const std::string& file, const toml::node* node, std::string_view key, const std::string& msg) {
  return one_line_error(ErrorKind::Config, msg + " (" + device_where(file, node, key) + ")");
}

std::string shown_value(const toml::node& node) {
  std::ostringstream s;
  node.visit([&](const auto& v) {
    if constexpr (toml::is_string<decltype(v)>)
      s << '"' << v.get() << '"';
    else if constexpr (toml::is_table<decltype(v)> || toml::is_array<decltype(v)>)
      s << (toml::is_table<decltype(v)> ? "a table" : "an array");
    else
      s << v;
  });
  std::string text = s.str();
  if (text.size() > 60) text = text.substr(0, 60) + "...";
  for (char& ch : text)
    if (ch == '\n' || ch == '\r' || ch == '\t') ch = ' ';
  return text;
}

const toml::node& required(const toml::table& t, const std::string& file, std::string_view key,
                           const char* meaning) {
  const toml::node* n = t.get(key);
  if (!n)
    throw one_line_error(ErrorKind::Config, "device file " + file + " has no `" + std::string(key) + "` (" + meaning + ")");
  return *n;
}

std::string optional_string(const toml::table& t, const std::string& file, std::string_view key) {
  const toml::node* n = t.get(key);
  if (!n) return "";
  if (!n->is_string())
    throw device_error(file, n, key, "`" + std::string(key) + "` must be a string, got " + shown_value(*n));
  return n->as_string()->get();
}

}  // namespace

const std::vector<DspSlice>& known_dsp_slices() {
  static const std::vector<DspSlice> slices = {
      {"DSP48E1", 25, 18},  // 7 series, UG479
      {"DSP48E2", 27, 18},  // UltraScale / UltraScale+, UG579
      {"DSP58", 27, 24},    // Versal, AM004
  };
  return slices;
}

Device parse_device(std::string_view toml_text, const std::string& file) {
  toml::table t;
  try {
    t = toml::parse(toml_text, file);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    throw one_line_error(ErrorKind::Config, "invalid TOML in device file " + file + ":" + std::to_string(b.line) + ":" +
                                       std::to_string(b.column) + ": " + std::string(e.description()));
  }
  for (const auto& [k, v] : t) {
    const bool known = std::any_of(std::begin(kAllKeys), std::end(kAllKeys),
                                   [&](const char* a) { return k.str() == a; });
    if (!known) {
      std::string valid;
      for (const char* a : kAllKeys) valid += (valid.empty() ? "" : ", ") + std::string(a);
      throw device_error(file, &v, k.str(), "unknown key `" + std::string(k.str()) + "`; valid keys: " + valid);
    }
  }

  Device d;
  d.source = file;
  d.name = optional_string(t, file, "name");
  d.part = optional_string(t, file, "part");

  const toml::node& slice = required(t, file, "dsp_slice", "DSP48E1, DSP48E2 or DSP58");
  const auto& slices = known_dsp_slices();
  const auto found = std::find_if(slices.begin(), slices.end(), [&](const DspSlice& s) {
    return slice.is_string() && slice.as_string()->get() == s.name;
  });
  if (found == slices.end())
    throw device_error(file, &slice, "dsp_slice",
                       "`dsp_slice` must be one of DSP48E1, DSP48E2, DSP58, got " + shown_value(slice));
  d.dsp_slice = *found;

  int64_t* targets[] = {&d.lut, &d.ff, &d.dsp, &d.bram18, &d.uram};
  for (std::size_t i = 0; i < std::size(kIntegerKeys); ++i) {
    const char* key = kIntegerKeys[i];
    const toml::node& n = required(t, file, key, "an integer resource count, 0 if the device has none");
    if (!n.is_integer() || n.as_integer()->get() < 0)
      throw device_error(file, &n, key,
                         "`" + std::string(key) + "` must be an integer >= 0, got " + shown_value(n));
    *targets[i] = n.as_integer()->get();
  }

  const toml::node& clock = required(t, file, "clock_ns", "the default clock period in ns");
  const std::optional<double> ns = clock.is_number() ? clock.value<double>() : std::nullopt;
  if (!ns || !(*ns > 0) || !std::isfinite(*ns))
    throw device_error(file, &clock, "clock_ns", "`clock_ns` must be a number > 0, got " + shown_value(clock));
  d.clock_ns = *ns;
  return d;
}

std::vector<std::string> shipped_device_names() {
  std::vector<std::string> names;
  for (const auto& f : detail::shipped_device_files()) names.emplace_back(f.name);
  return names;
}

Device load_device(std::string_view name_or_path) {
  const std::string arg(name_or_path);
  for (const auto& f : detail::shipped_device_files()) {
    if (f.name != arg) continue;
    Device d = parse_device(f.toml, "devices/" + arg + ".toml");
    if (d.name.empty()) d.name = arg;
    d.source += " (shipped)";
    return d;
  }
  const bool is_path = arg.find('/') != std::string::npos ||
                       (arg.size() > 5 && arg.compare(arg.size() - 5, 5, ".toml") == 0);
  if (!is_path) {
    std::string names;
    for (const auto& n : shipped_device_names()) names += (names.empty() ? "" : ", ") + n;
    throw one_line_error(ErrorKind::Config, "unknown device `" + arg + "`; shipped devices: " + names +
                                       " (or give the path of a device TOML file)");
  }
  std::error_code ec;
  if (std::filesystem::is_directory(arg, ec))
    throw one_line_error(ErrorKind::Io, "device file " + arg + " is a directory; expected a TOML file");
  std::ifstream in(arg, std::ios::binary);
  if (!in) throw one_line_error(ErrorKind::Io, "cannot read device file " + arg + ": no such file or not readable");
  std::ostringstream text;
  text << in.rdbuf();
  Device d = parse_device(text.str(), arg);
  if (d.name.empty()) d.name = std::filesystem::path(arg).stem().string();
  return d;
}

}  // namespace qdse::hw
