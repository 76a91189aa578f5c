// Whole-network figures: resources add up, latency adds up, II is the slowest layer.
#include <gtest/gtest.h>

#include "qdse/hw/network_cost.hpp"

namespace qdse::hw {
namespace {

Cost cost(int64_t lut, int64_t ff, int64_t dsp, int64_t bram, int64_t uram, int64_t lat, int64_t ii) {
  Cost c;
  c.lut = lut;
  c.ff = ff;
  c.dsp = dsp;
  c.bram18 = bram;
  c.uram = uram;
  c.latency_cycles = lat;
  c.ii = ii;
  return c;
}

TEST(HwNetworkCost, SumsResourcesAndLatencyTakesTheSlowestStage) {
  const NetworkCost n = network_cost({{"fc1", cost(100, 10, 4, 2, 0, 6, 1)},
                                      {"fc2", cost(50, 20, 8, 0, 1, 9, 4)},
                                      {"fc3", cost(5, 1, 0, 1, 0, 3, 4)}});
  EXPECT_EQ(n.total.lut, 155);
  EXPECT_EQ(n.total.ff, 31);
  EXPECT_EQ(n.total.dsp, 12);
  EXPECT_EQ(n.total.bram18, 3);
  EXPECT_EQ(n.total.uram, 1);
  EXPECT_EQ(n.total.latency_cycles, 18);
  EXPECT_EQ(n.total.ii, 4);
  EXPECT_EQ(n.max_stage_cycles, 4);
  EXPECT_EQ(n.max_stage, "fc2");  // the first of the tied stages
  EXPECT_TRUE(n.total.ff_estimated);
}

TEST(HwNetworkCost, FlipFlopsUnknownWhenOneLayerHasNoEstimate) {
  Cost finn = cost(300, 0, 0, 1, 0, 64, 64);
  finn.ff_estimated = false;
  const NetworkCost n = network_cost({{"a", cost(1, 10, 0, 0, 0, 1, 1)}, {"b", finn}});
  EXPECT_FALSE(n.total.ff_estimated);
  EXPECT_EQ(n.total.ff, 0);
  EXPECT_EQ(n.max_stage, "b");
}

TEST(HwNetworkCost, EmptyNetworkCostsNothing) {
  const NetworkCost n = network_cost({});
  EXPECT_EQ(n.total.lut, 0);
  EXPECT_EQ(n.total.ii, 0);
  EXPECT_EQ(n.max_stage, "");
}

}  // namespace
}  // namespace qdse::hw
