// The FPGA resources qdse reports, as one table: the metric name (`lut`, and
// `lut_utilization` beside it), the label the report prints, and where the count lives in
// a Cost and in a Device. The metrics (pipeline/hw_cost_model), the feasibility check of
// constraints (pipeline/hw_feasibility) and the report's utilisation bars
// (report/hw_section) all read this table, so adding a resource is one row.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "qdse/hw/cost.hpp"
#include "qdse/hw/device.hpp"

namespace qdse::hw {

struct Resource {
  std::string_view metric;  // metric name; `<metric>_utilization` is the fraction of the device
  std::string_view label;   // column label in reports
  int64_t Cost::*used;
  int64_t Device::*available;
};

inline constexpr std::array<Resource, 5> kResources = {{
    {"lut", "LUT", &Cost::lut, &Device::lut},
    {"ff", "FF", &Cost::ff, &Device::ff},
    {"dsp", "DSP", &Cost::dsp, &Device::dsp},
    {"bram", "BRAM18", &Cost::bram18, &Device::bram18},
    {"uram", "URAM", &Cost::uram, &Device::uram},
}};

}  // namespace qdse::hw
