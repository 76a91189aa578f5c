// hls4ml's dense and conv2d layers (io_parallel, Vivado/Vitis backend) as a cost model:
// LUT, FF, DSP, BRAM18, latency and II from the layer's shape, formats, strategy and
// reuse factor R, for a device. Each rule and its source: docs/hardware.md#hls4ml.
//
// In short: multipliers = n_in*n_out/R (times the pixels computed in parallel for conv2d);
// a product takes DSP slices by the device's multiplier width, or LUTs when the weight is
// narrower than 9 bits (hls4ml's DSP estimator); adders are accumulator-wide; Resource with
// R > 1 keeps weights in BRAM (hls4ml's ceil(n_in*n_out*w / (R*36))); II = R per pixel
// partition; latency = R plus the adder-tree depth.
//
// Invalid parameters are qdse::Error (InvalidArgument) naming the layer: a reuse factor
// that does not divide n_in*n_out or breaks hls4ml's reuse-factor rule (Resource), a
// Resource conv2d with R > n_in, a parallelization factor that does not divide the output
// pixels, a non-positive dimension or width.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <vector>

#include "qdse/hw/cost.hpp"
#include "qdse/hw/device.hpp"

namespace qdse::hw {

enum class Hls4mlStrategy { Latency, Resource };

struct Hls4mlImpl {
  Hls4mlStrategy strategy = Hls4mlStrategy::Latency;
  int64_t reuse_factor = 1;
  // conv2d only: output pixels computed at once (hls4ml's ParallelizationFactor); the
  // layer runs out_pixels / parallelization_factor partitions one after the other.
  int64_t parallelization_factor = 1;
};

// hls4ml's reuse-factor rule (hls4ml/backends/fpga/fpga_backend.py,
// FPGABackend._validate_reuse_factor), which hls4ml applies to the Resource strategy.
bool hls4ml_reuse_factor_valid(int64_t n_in, int64_t n_out, int64_t reuse_factor);
// Every valid R in [1, n_in*n_out], ascending (FPGABackend.get_valid_reuse_factors).
std::vector<int64_t> hls4ml_valid_reuse_factors(int64_t n_in, int64_t n_out);

// Throws unless `impl` can implement `layer` (see the header comment).
void check_hls4ml_impl(const LayerShape& layer, const Hls4mlImpl& impl);

// The accumulator width the layer uses: formats.accumulator, else hls4ml's auto rule.
FixedType hls4ml_accumulator(const LayerShape& layer, const LayerFormats& formats);

Cost hls4ml_layer_cost(const LayerShape& layer, const LayerFormats& formats, const Hls4mlImpl& impl,
                       const Device& device);

}  // namespace qdse::hw
