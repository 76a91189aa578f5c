#include "qdse/hw/network_cost.hpp"

namespace qdse::hw {

NetworkCost network_cost(const std::vector<LayerCost>& layers) {
  NetworkCost net;
  for (const LayerCost& l : layers) {
    Cost& t = net.total;
    t.lut += l.cost.lut;
    t.ff += l.cost.ff;
    t.dsp += l.cost.dsp;
    t.bram18 += l.cost.bram18;
    t.uram += l.cost.uram;
    t.latency_cycles += l.cost.latency_cycles;
    t.ff_estimated = t.ff_estimated && l.cost.ff_estimated;
    if (l.cost.ii > net.max_stage_cycles) {
      net.max_stage_cycles = l.cost.ii;
      net.max_stage = l.layer;
    }
  }
  net.total.ii = net.max_stage_cycles;
  if (!net.total.ff_estimated) net.total.ff = 0;
  return net;
}

}  // namespace qdse::hw
