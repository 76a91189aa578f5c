// Device files: the shipped ones by name, user files by path, and one located error line
// for each kind of bad file.
#include <gtest/gtest.h>

#include "../support/errors.hpp"
#include "../support/temp_dir.hpp"
#include "qdse/hw/device.hpp"

namespace qdse::hw {
namespace {

using qdse::testing::error_of;
using qdse::testing::TempDir;

const char* kGood =
    "# a test part\n"
    "dsp_slice = \"DSP58\"\n"
    "lut = 1000\n"
    "ff = 2000\n"
    "dsp = 30\n"
    "bram18 = 40\n"
    "uram = 5\n"
    "clock_ns = 4\n";

TEST(HwDevice, ShippedDevicesAreCompiledIn) {
  EXPECT_EQ(shipped_device_names(), (std::vector<std::string>{"xc7z020", "xcu250", "xczu9eg"}));
  const Device zu9 = load_device("xczu9eg");
  EXPECT_EQ(zu9.name, "xczu9eg");
  EXPECT_EQ(zu9.dsp_slice.name, "DSP48E2");
  EXPECT_EQ(zu9.dsp_slice.a_width, 27);
  EXPECT_EQ(zu9.dsp_slice.b_width, 18);
  EXPECT_EQ(zu9.lut, 274080);
  EXPECT_EQ(zu9.ff, 548160);
  EXPECT_EQ(zu9.dsp, 2520);
  EXPECT_EQ(zu9.bram18, 2 * 912);
  EXPECT_EQ(zu9.uram, 0);
  EXPECT_DOUBLE_EQ(zu9.clock_ns, 5.0);
  EXPECT_EQ(zu9.source, "devices/xczu9eg.toml (shipped)");
  const Device z7 = load_device("xc7z020");
  EXPECT_EQ(z7.dsp_slice.a_width, 25);
  EXPECT_EQ(z7.bram18, 2 * 140);
  EXPECT_EQ(z7.dsp, 220);
  const Device u250 = load_device("xcu250");
  EXPECT_EQ(u250.uram, 1280);
  EXPECT_EQ(u250.dsp, 12288);
}

TEST(HwDevice, UserFileByPath) {
  TempDir dir("qdse_hw_device");
  const std::string path = dir.write("my_part.toml", kGood);
  const Device d = load_device(path);
  EXPECT_EQ(d.name, "my_part");  // no `name`: the file's stem
  EXPECT_EQ(d.dsp_slice.name, "DSP58");
  EXPECT_EQ(d.dsp_slice.b_width, 24);
  EXPECT_EQ(d.lut, 1000);
  EXPECT_EQ(d.uram, 5);
  EXPECT_DOUBLE_EQ(d.clock_ns, 4.0);  // an integer is a number too
  EXPECT_EQ(d.source, path);
  EXPECT_EQ(load_device(dir.write("named.toml", std::string("name = \"vck\"\n") + kGood)).name, "vck");
}

TEST(HwDevice, UnknownNameListsTheShippedOnes) {
  EXPECT_EQ(error_of([] { load_device("xczu99"); }),
            "unknown device `xczu99`; shipped devices: xc7z020, xcu250, xczu9eg (or give the path of a device "
            "TOML file)");
}

TEST(HwDevice, MissingFileAndDirectory) {
  TempDir dir("qdse_hw_device");
  EXPECT_CONTAINS(error_of([&] { load_device(dir.file("absent.toml")); }), "cannot read device file");
  EXPECT_CONTAINS(error_of([&] { load_device(dir.path().string() + "/"); }), "is a directory");
}

TEST(HwDevice, MissingKeyNamesKeyAndFile) {
  TempDir dir("qdse_hw_device");
  std::string text = kGood;
  text.erase(text.find("dsp = 30\n"), 9);
  const std::string path = dir.write("nodsp.toml", text);
  EXPECT_EQ(error_of([&] { load_device(path); }),
            "device file " + path + " has no `dsp` (an integer resource count, 0 if the device has none)");
}

TEST(HwDevice, NegativeOrMistypedValuesNameTheLine) {
  TempDir dir("qdse_hw_device");
  std::string text = kGood;
  text.replace(text.find("lut = 1000"), 10, "lut = -5");
  const std::string path = dir.write("neg.toml", text);
  EXPECT_EQ(error_of([&] { load_device(path); }), "`lut` must be an integer >= 0, got -5 (" + path + ":3 (lut))");

  std::string typed = kGood;
  typed.replace(typed.find("dsp = 30"), 8, "dsp = \"many\"");
  EXPECT_CONTAINS(error_of([&] { load_device(dir.write("typed.toml", typed)); }),
                  "`dsp` must be an integer >= 0, got \"many\"");
  std::string clock = kGood;
  clock.replace(clock.find("clock_ns = 4"), 12, "clock_ns = 0");
  EXPECT_CONTAINS(error_of([&] { load_device(dir.write("clock.toml", clock)); }),
                  "`clock_ns` must be a number > 0, got 0");
}

TEST(HwDevice, UnknownKeysSlicesAndBadToml) {
  TempDir dir("qdse_hw_device");
  const std::string typo = dir.write("typo.toml", std::string(kGood) + "luts = 3\n");
  EXPECT_CONTAINS(error_of([&] { load_device(typo); }), "unknown key `luts`; valid keys: name, part, dsp_slice");
  EXPECT_CONTAINS(error_of([&] { load_device(typo); }), typo + ":9 (luts)");
  std::string slice = kGood;
  slice.replace(slice.find("\"DSP58\""), 7, "\"DSP99\"");
  EXPECT_CONTAINS(error_of([&] { load_device(dir.write("slice.toml", slice)); }),
                  "`dsp_slice` must be one of DSP48E1, DSP48E2, DSP58, got \"DSP99\"");
  const std::string broken = dir.write("broken.toml", "lut = \n");
  EXPECT_CONTAINS(error_of([&] { load_device(broken); }), "invalid TOML in device file " + broken + ":1:");
}

TEST(HwDevice, EveryErrorIsOneLine) {
  TempDir dir("qdse_hw_device");
  const std::string odd = dir.write("odd\nname.toml", "lut = -1\n");
  const std::string message = error_of([&] { load_device(odd); });
  EXPECT_FALSE(message.empty());
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

}  // namespace
}  // namespace qdse::hw
