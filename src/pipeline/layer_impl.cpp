// Implementation parameters of a layer in a search space; see
// include/qdse/pipeline/layer_impl.hpp.
#include "qdse/pipeline/layer_impl.hpp"

#include <array>

#include "qdse/core/error.hpp"

namespace qdse::pipeline {
namespace {

struct ImplKeyRow {
  std::string_view key;
  ImplBackend backend;
};

// The one list of implementation keys (docs/hardware.md).
constexpr std::array<ImplKeyRow, 4> kImplKeys = {{
    {"reuse_factor", ImplBackend::Hls4ml},
    {"strategy", ImplBackend::Hls4ml},
    {"pe", ImplBackend::Finn},
    {"simd", ImplBackend::Finn},
}};

int64_t positive_impl_int(const std::string& key, const quant::ConfigValue& value, const std::string& where) {
  const auto* i = std::get_if<int64_t>(&value);
  if (!i || *i < 1 || *i > (int64_t{1} << 20))
    throw Error(ErrorKind::Config, "`" + key + "` choices must be whole numbers from 1 to 1048576, got " +
                                       quant::to_string(value) + " (" + where + ")");
  return *i;
}

}  // namespace

std::optional<ImplBackend> impl_key_backend(std::string_view key) {
  for (const auto& row : kImplKeys)
    if (row.key == key) return row.backend;
  return std::nullopt;
}

void set_impl_key(LayerImpl& impl, const std::string& key, const quant::ConfigValue& value, const std::string& where) {
  if (key == "reuse_factor") {
    impl.reuse_factor = positive_impl_int(key, value, where);
  } else if (key == "pe") {
    impl.pe = positive_impl_int(key, value, where);
  } else if (key == "simd") {
    impl.simd = positive_impl_int(key, value, where);
  } else if (key == "strategy") {
    const auto* s = std::get_if<std::string>(&value);
    if (s && *s == "latency") impl.strategy = hw::Hls4mlStrategy::Latency;
    else if (s && *s == "resource") impl.strategy = hw::Hls4mlStrategy::Resource;
    else
      throw Error(ErrorKind::Config, "`strategy` choices must be \"latency\" or \"resource\", got " +
                                         quant::to_string(value) + " (" + where + ")");
  } else {
    QDSE_ASSERT(false, "set_impl_key called with a key that is not in kImplKeys: " + key);
  }
}

hw::Hls4mlImpl apply_impl(hw::Hls4mlImpl base, const LayerImpl& impl) {
  if (impl.reuse_factor) base.reuse_factor = *impl.reuse_factor;
  if (impl.strategy) base.strategy = *impl.strategy;
  return base;
}

hw::FinnImpl apply_impl(hw::FinnImpl base, const LayerImpl& impl) {
  if (impl.pe) base.pe = *impl.pe;
  if (impl.simd) base.simd = *impl.simd;
  return base;
}

}  // namespace qdse::pipeline
