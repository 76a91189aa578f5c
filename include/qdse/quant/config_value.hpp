// ConfigDict: one layer's quantization config as plain key -> scalar values, the
// common currency of `[passes.quantize.<x>.config]` tables and of sampled search
// points (MASE flattens both to `node/config/key`). Values are TOML scalars.
// Thread-safety: plain value types.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <variant>

namespace qdse::quant {

using ConfigValue = std::variant<int64_t, double, std::string, bool>;
using ConfigDict = std::map<std::string, ConfigValue>;

// "8", "0.5", "\"NA\"", "true"
std::string to_string(const ConfigValue& v);
// Compact "name=integer, weight_width=8, ..." for logs and tables.
std::string to_string(const ConfigDict& d);

}  // namespace qdse::quant
