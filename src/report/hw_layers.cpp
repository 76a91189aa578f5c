// hw_layers.csv of the best trials; see include/qdse/report/hw_layers.hpp.
#include "qdse/report/hw_layers.hpp"

#include <sstream>

#include "qdse/lower/transform.hpp"

namespace qdse::report {
namespace {

void hw_csv_row(std::ostringstream& csv, int trial, const std::string& layer, const hw::Cost& c) {
  csv << trial << "," << layer << "," << c.lut << ",";
  if (c.ff_estimated) csv << c.ff;
  csv << "," << c.dsp << "," << c.bram18 << "," << c.uram << "," << c.latency_cycles << "," << c.ii << "\n";
}

}  // namespace

std::string hw_layers_csv(const pipeline::HwCostModel& model, const ir::Graph& graph,
                          const pipeline::QuantSpace& space, const quant::RangeStats& stats,
                          const std::vector<search::FrozenTrial>& trials) {
  std::ostringstream csv;
  csv << "trial,layer,lut,ff,dsp,bram18,uram,latency_cycles,ii\n";
  for (const auto& t : trials) {
    const quant::QuantConfig resolved = quant::resolve_auto_frac(graph, space.decode(t.params), &stats);
    const auto layers = model.layer_costs(resolved, space.decode_impl(t.params));
    for (const auto& l : layers) hw_csv_row(csv, t.number, l.layer, l.cost);
    hw_csv_row(csv, t.number, "total", hw::network_cost(layers).total);
  }
  return csv.str();
}

}  // namespace qdse::report
