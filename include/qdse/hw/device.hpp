// Device: the FPGA a cost is measured against (resources, DSP slice, default clock).
//
// Devices are small TOML files (docs/hardware.md#device-files). The ones in the
// repository's devices/ folder are compiled into qdse_hw at build time, so a shipped
// device is found by name wherever the binary runs; any other file is given by path:
//
//   load_device("xczu9eg")             the shipped ZCU102 part
//   load_device("boards/my_part.toml") a user file (a path: contains '/' or ends in .toml)
//
// Every problem is one qdse::Error line naming the file, the line and the key: an unknown
// device name (listing the shipped ones), a missing or unreadable file, invalid TOML, a
// missing, mistyped, negative or unknown key, an unknown DSP slice.
// Thread-safety: pure functions; the shipped table is immutable.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace qdse::hw {

// The hard multiplier of one DSP slice: a signed a_width x b_width product.
// DSP48E1 (7 series, UG479) 25x18, DSP48E2 (UltraScale/UltraScale+, UG579) 27x18,
// DSP58 (Versal, AM004) 27x24.
struct DspSlice {
  std::string name;
  int a_width = 0;
  int b_width = 0;
};

// The slices qdse knows, by the name device files use (`dsp_slice = "DSP48E2"`).
const std::vector<DspSlice>& known_dsp_slices();

struct Device {
  std::string name;    // `name` in the file, else the shipped name or the file's stem
  std::string part;    // optional full part number, for reports
  std::string source;  // where it was read: "devices/xczu9eg.toml (shipped)" or the user's path
  DspSlice dsp_slice;
  int64_t lut = 0;
  int64_t ff = 0;
  int64_t dsp = 0;
  int64_t bram18 = 0;  // RAMB18 halves (= 2 x the RAMB36 count of the datasheet)
  int64_t uram = 0;
  double clock_ns = 0;  // default clock period
};

// A shipped device by name, or a device file by path (see the header comment).
Device load_device(std::string_view name_or_path);

// Parses the text of a device file; `file` names it in errors.
Device parse_device(std::string_view toml_text, const std::string& file);

// Names of the shipped devices, sorted.
std::vector<std::string> shipped_device_names();

}  // namespace qdse::hw
