#include "qdse/quant/config_value.hpp"

#include <sstream>

namespace qdse::quant {

std::string to_string(const ConfigValue& v) {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::string>) return "\"" + x + "\"";
        else if constexpr (std::is_same_v<T, bool>) return x ? "true" : "false";
        else if constexpr (std::is_same_v<T, double>) {
          std::ostringstream s;
          s << x;
          return s.str();
        } else return std::to_string(x);
      },
      v);
}

std::string to_string(const ConfigDict& d) {
  std::string out;
  for (const auto& [k, v] : d) out += (out.empty() ? "" : ", ") + k + "=" + to_string(v);
  return out;
}

}  // namespace qdse::quant
