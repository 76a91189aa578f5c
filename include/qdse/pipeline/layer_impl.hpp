// LayerImpl: the implementation parameters of one layer that a search space may list
// beside its formats (docs/hardware.md, "Searching implementation parameters"):
//
//   [search.search_space.seed.seq_blocks_1.config]
//   name = ["integer"]
//   weight_width = [4, 8]
//   reuse_factor = [16, 64, 256]          # hls4ml
//   strategy = ["latency", "resource"]    # hls4ml
//   # pe = [...], simd = [...]            # FINN
//
// They become search dimensions like the format keys, but they change only the FPGA
// metrics (hw_cost_model.hpp), never what the network computes: QuantSpace keeps them out
// of the QuantConfig, so the result cache and the prefix memo are shared by every
// implementation of one quantization. A key left out takes the value of
// [search.strategy.hw_runner.fpga].
// Thread-safety: plain value types; functions are pure.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "qdse/hw/finn_cost.hpp"
#include "qdse/hw/hls4ml_cost.hpp"
#include "qdse/quant/config_value.hpp"

namespace qdse::pipeline {

struct LayerImpl {
  std::optional<int64_t> reuse_factor;           // hls4ml ReuseFactor
  std::optional<hw::Hls4mlStrategy> strategy;    // hls4ml Strategy
  std::optional<int64_t> pe, simd;               // FINN MVAU folding
  bool empty() const { return !reuse_factor && !strategy && !pe && !simd; }
};

// Per node name; a node absent takes the target's parameters.
using ImplConfig = std::map<std::string, LayerImpl>;

// The back end a key belongs to, for "not a parameter of this back end" messages.
enum class ImplBackend { Hls4ml, Finn };

// Whether a seed-table key is an implementation parameter, and of which back end.
std::optional<ImplBackend> impl_key_backend(std::string_view key);

// Sets `key` of `impl` to `value`. Throws qdse::Error(Config) with `where` when the value
// has the wrong type or range (a reuse factor < 1, a strategy other than "latency" or
// "resource").
void set_impl_key(LayerImpl& impl, const std::string& key, const quant::ConfigValue& value, const std::string& where);

// `base` with every parameter `impl` sets replaced.
hw::Hls4mlImpl apply_impl(hw::Hls4mlImpl base, const LayerImpl& impl);
hw::FinnImpl apply_impl(hw::FinnImpl base, const LayerImpl& impl);

}  // namespace qdse::pipeline
