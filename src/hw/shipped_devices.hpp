// The device files of the repository's devices/ folder, compiled in (private to qdse_hw).
// The definition is generated at build time by src/hw/embed_devices.cmake from
// devices/*.toml (src/CMakeLists.txt), so a shipped device needs no file at run time.
#pragma once

#include <string_view>
#include <vector>

namespace qdse::hw::detail {

struct ShippedDeviceFile {
  std::string_view name;  // the file's stem: devices/xczu9eg.toml -> "xczu9eg"
  std::string_view toml;  // the file's text
};

// Sorted by name.
const std::vector<ShippedDeviceFile>& shipped_device_files();

}  // namespace qdse::hw::detail
