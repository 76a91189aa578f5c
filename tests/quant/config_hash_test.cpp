// Hash and equality of QuantConfig values (quant/config_hash.hpp), the keys of the
// evaluator's result cache and of the executor's memo: equal configurations hash
// equal, and a difference in any one field of one slot of one node tells them apart,
// including differences that describe() does not print.
#include <gtest/gtest.h>

#include <functional>
#include <vector>

#include "qdse/quant/config_hash.hpp"

namespace qdse::quant {
namespace {

NodeQuantConfig hash_test_node(int weight_width) {
  NodeQuantConfig c;
  c.data_in = SlotFormat{Format{IntegerFormat{.width = 8, .frac_width = 4}}, false};
  c.weight = SlotFormat{Format{IntegerFormat{.width = weight_width}}, true};
  c.bias = SlotFormat{Format{IntegerFormat{.width = 8}}, false};
  return c;
}

QuantConfig hash_test_config() {
  QuantConfig qc;
  qc.nodes["fc1"] = hash_test_node(4);
  qc.nodes["fc2"] = hash_test_node(8);
  qc.nodes["relu"] = NodeQuantConfig{};
  return qc;
}

TEST(QuantConfigHash, EqualConfigsAreEqualAndHashEqual) {
  const QuantConfig a = hash_test_config(), b = hash_test_config();
  EXPECT_TRUE(a == b);
  EXPECT_EQ(hash_value(a), hash_value(b));
  EXPECT_EQ(ConfigHash{}(a.nodes.at("fc1")), ConfigHash{}(b.nodes.at("fc1")));
  EXPECT_EQ(hash_value(QuantConfig{}), hash_value(QuantConfig{}));
}

TEST(QuantConfigHash, ConfigsDifferingInOneNodeDiffer) {
  const QuantConfig base = hash_test_config();
  // Each edit changes one thing in one node.
  const std::vector<std::function<void(QuantConfig&)>> edits = {
      [](QuantConfig& q) { q.nodes["fc2"] = hash_test_node(6); },
      [](QuantConfig& q) { std::get<IntegerFormat>(q.nodes["fc1"].data_in->format.params).frac_width = 3; },
      [](QuantConfig& q) { std::get<IntegerFormat>(q.nodes["fc1"].data_in->format.params).frac_width.reset(); },
      [](QuantConfig& q) { std::get<IntegerFormat>(q.nodes["fc1"].bias->format.params).is_signed = false; },
      [](QuantConfig& q) { std::get<IntegerFormat>(q.nodes["fc1"].bias->format.params).rounding = Rounding::Floor; },
      [](QuantConfig& q) { std::get<IntegerFormat>(q.nodes["fc1"].bias->format.params).overflow = Overflow::Wrap; },
      [](QuantConfig& q) { q.nodes["fc1"].weight->auto_frac = false; },
      [](QuantConfig& q) { q.nodes["fc1"].bias.reset(); },
      [](QuantConfig& q) { q.nodes["fc2"].weight->format = Format{MinifloatFormat{}}; },
      [](QuantConfig& q) { q.nodes["relu"].data_in = SlotFormat{Format{IntegerFormat{}}, false}; },
      [](QuantConfig& q) { q.nodes.erase("relu"); },  // listed-but-float differs from absent
      [](QuantConfig& q) { q.nodes["fc3"] = hash_test_node(4); },
  };
  for (std::size_t i = 0; i < edits.size(); ++i) {
    QuantConfig changed = base;
    edits[i](changed);
    EXPECT_FALSE(changed == base) << "edit " << i;
    EXPECT_NE(hash_value(changed), hash_value(base)) << "edit " << i;
  }
}

TEST(QuantConfigHash, EveryFormatFieldTakesPart) {
  const std::vector<std::pair<Format, Format>> pairs = {
      {Format{FloatFormat{}}, Format{IntegerFormat{}}},
      {Format{MinifloatFormat{}}, Format{MinifloatFormat{.denormals = false}}},
      {Format{MinifloatFormat{}}, Format{MinifloatFormat{.ieee_like = true}}},
      {Format{MinifloatFormat{}}, Format{MinifloatFormat{.exponent_bias = 7}}},
      {Format{BlockFpFormat{}}, Format{BlockFpFormat{.block_size = 32}}},
      {Format{BlockFpFormat{}}, Format{BlockFpFormat{.block_dim = 0}}},
      {Format{LogFormat{}}, Format{LogFormat{.has_zero = true}}},
      {Format{BinaryFormat{}}, Format{BinaryFormat{.scaled = true}}},
      {Format{TernaryFormat{}}, Format{TernaryFormat{.scaled = true}}},
      // describe() prints both as "ternary<t=0.05>": text keys made them one entry.
      {Format{TernaryFormat{.threshold = 0.05}}, Format{TernaryFormat{.threshold = 0.05000001}}},
  };
  for (const auto& [a, b] : pairs) {
    EXPECT_FALSE(a == b) << describe(a);
    EXPECT_NE(hash_value(a), hash_value(b)) << describe(a) << " vs " << describe(b);
    EXPECT_EQ(hash_value(a), hash_value(Format{a})) << describe(a);
  }
  EXPECT_EQ(describe(pairs.back().first), describe(pairs.back().second));
}

}  // namespace
}  // namespace qdse::quant
