#include <gtest/gtest.h>
#include <torch/types.h>

#include "qdse/core/error.hpp"
#include "qdse/exec/evaluate.hpp"
#include "qdse/ir/zoo.hpp"
#include "qdse/lower/calibration.hpp"
#include "qdse/quant/formats/integer_reference.hpp"
#include "qdse/quant/formats/quantize.hpp"
#include "qdse/lower/transform.hpp"

namespace qdse::quant {
namespace {

NodeQuantConfig integer_layer(int dw, std::optional<int> df, int ww, std::optional<int> wf, bool auto_w = false) {
  NodeQuantConfig c;
  c.data_in = SlotFormat{Format{IntegerFormat{.width = dw, .frac_width = df}}, false};
  c.weight = SlotFormat{Format{IntegerFormat{.width = ww, .frac_width = wf}}, auto_w};
  c.bias = c.weight;
  return c;
}

TEST(AutoFrac, IntegerBitsFromRange) {
  EXPECT_EQ(auto_frac_width(8, 0.3, true), 8);   // ceil(log2 .3) = -1: 7 + 1
  EXPECT_EQ(auto_frac_width(8, 3.2, true), 5);   // ceil(log2 3.2) = 2
  EXPECT_EQ(auto_frac_width(4, 1.0, true), 3);   // 1.0 needs 0 integer bits (saturates to 0.875)
  EXPECT_EQ(auto_frac_width(8, 3.2, false), 6);
  EXPECT_EQ(auto_frac_width(8, 0.0, true), 7);
}

TEST(Transform, QuantizedLinearEqualsManualFakeQuant) {
  const auto g = ir::build_zoo_model("jsc-tiny", 4);
  QuantConfig qc;
  qc.nodes["seq_blocks_2"] = integer_layer(8, 4, 4, 3);
  const auto plan = quantize(g, qc);
  const auto x = torch::randn({32, 16});
  const auto got = exec::Executor(g).forward(x, &plan);
  // Manual: BN (eval) -> relu -> linear(q(x), q(w), q(b)) -> relu
  const auto& n0 = g.node(0);
  auto h = torch::batch_norm(x, *n0.param("weight"), *n0.param("bias"), *n0.param("running_mean"),
                             *n0.param("running_var"), false, 0.1, 1e-5, false);
  h = torch::relu(h);
  const Format fx{IntegerFormat{.width = 8, .frac_width = 4}};
  const Format fw{IntegerFormat{.width = 4, .frac_width = 3}};
  const auto& n2 = g.node(2);
  const auto expect = torch::relu(torch::linear(quant::quantize(h, fx), quant::quantize(*n2.param("weight"), fw),
                                                quant::quantize(*n2.param("bias"), fw)));
  EXPECT_TRUE(torch::equal(got, expect));
  EXPECT_FALSE(plan.nodes[0].weight.defined());  // untouched nodes stay float
}

// An unfolded batch norm takes a data_in format (MASE's BatchNorm1dInteger): its input is
// quantized, gamma/beta/running statistics stay float, and weight keys of a shared default
// table are accepted and ignored as for a relu.
TEST(Transform, UnfoldedBatchNormQuantizesItsInputOnly) {
  const auto g = ir::build_zoo_model("jsc-tiny", 4);
  const auto& n0 = g.node(0);
  ASSERT_EQ(n0.op, ir::OpKind::BatchNorm1d);
  const ConfigDict dict{{"name", std::string("integer")},
                        {"data_in_width", int64_t{6}},
                        {"data_in_frac_width", int64_t{3}},
                        {"weight_width", int64_t{4}}};
  const auto parsed = parse_node_config(dict, ir::OpKind::BatchNorm1d, "seq_blocks_0");
  ASSERT_TRUE(parsed.data_in.has_value());
  EXPECT_FALSE(parsed.weight.has_value());
  EXPECT_FALSE(parsed.bias.has_value());
  QuantConfig qc;
  qc.nodes[n0.name] = parsed;
  const auto plan = quantize(g, qc);
  const auto x = torch::randn({32, 16}) * 4;
  const auto got = exec::Executor(g).forward(x, &plan);
  const Format fx{IntegerFormat{.width = 6, .frac_width = 3}};
  auto h = torch::batch_norm(quant::quantize(x, fx), *n0.param("weight"), *n0.param("bias"),
                             *n0.param("running_mean"), *n0.param("running_var"), false, 0.1, 1e-5, false);
  std::vector<at::Tensor> values(g.size());
  values[0] = h;
  exec::Executor(g).forward_range(values, x, 1, static_cast<int>(g.size()), nullptr, false);
  EXPECT_TRUE(torch::equal(got, values.back()));
  EXPECT_FALSE(torch::equal(got, exec::Executor(g).forward(x, nullptr))) << "the input format changes the logits";
}

TEST(Transform, WideFormatsSwitchToFloat64AndStayBitExact) {
  const auto g = ir::build_zoo_model("fmnist-mlp", 1);
  const auto& lin = g.node(1);  // 784 -> 256
  EXPECT_FALSE(needs_float64(lin, integer_layer(8, 4, 8, 4)));
  const auto wide = integer_layer(16, 12, 16, 14);
  ASSERT_TRUE(needs_float64(lin, wide));
  QuantConfig qc;
  qc.nodes["seq_blocks_1"] = wide;
  const auto plan = quantize(g, qc);
  EXPECT_TRUE(plan.nodes[1].float64);
  const auto x = torch::randn({16, 784});
  const auto out = exec::run_node(lin, {x}, &plan.nodes[1], false);
  const Format fx{IntegerFormat{.width = 16, .frac_width = 12}};
  const Format fw{IntegerFormat{.width = 16, .frac_width = 14}};
  const auto ref = integer_linear_ref(x, *lin.param("weight"), *lin.param("bias"), fx, fw, fw);
  EXPECT_TRUE(torch::equal(out, ref));
}

TEST(Transform, AutoFracKeepsFourBitWeightsThatNaZeroes) {
  // Trained-MLP-like weights, |w| < 0.1: with frac = 4 // 2 = 2 (step 0.25) all round to 0.
  auto g = ir::build_zoo_model("fmnist-mlp", 2);
  g.nodes()[1].params["weight"] = torch::rand({256, 784}) * 0.2 - 0.1;
  QuantConfig na, aut;
  na.nodes["seq_blocks_1"] = integer_layer(8, std::nullopt, 4, std::nullopt);
  aut.nodes["seq_blocks_1"] = integer_layer(8, std::nullopt, 4, std::nullopt, /*auto_w=*/true);
  EXPECT_TRUE(uses_auto_frac(aut));
  const auto stats = calibrate(g, torch::randn({64, 1, 28, 28}), {});
  const auto resolved = resolve_auto_frac(g, aut, &stats);
  EXPECT_FALSE(uses_auto_frac(resolved));
  EXPECT_EQ(std::get<IntegerFormat>(resolved.find("seq_blocks_1")->weight->format.params).frac_width,
            auto_frac_width(4, stats.weight_absmax[1], true));
  const auto wq_na = quantize(g, na).nodes[1].weight;
  const auto wq_auto = quantize(g, resolved).nodes[1].weight;
  EXPECT_EQ(wq_na.count_nonzero().item<int64_t>(), 0);
  EXPECT_GT(wq_auto.count_nonzero().item<int64_t>(), 256 * 784 / 2);
  EXPECT_THROW(resolve_auto_frac(g, aut, nullptr), qdse::Error);
}

TEST(Calibration, MaxAndPercentileOfInputs) {
  const auto g = ir::build_zoo_model("jsc-tiny");
  auto x = torch::zeros({100, 16});
  x.index_put_({torch::indexing::Slice(), 0}, torch::arange(100).to(torch::kFloat32));
  CalibrationOptions o;
  EXPECT_DOUBLE_EQ(calibrate(g, x, o).input_absmax[0], 99.0);
  o.statistic = CalibrationOptions::Statistic::Percentile;
  o.percentile = 99.5;  // k = ceil(0.995 * 1600) = 1592 -> 92nd non-zero value (0-based rank 91)
  EXPECT_DOUBLE_EQ(calibrate(g, x, o).input_absmax[0], 91.0);
  o.num_samples = 10;
  o.statistic = CalibrationOptions::Statistic::Max;
  EXPECT_DOUBLE_EQ(calibrate(g, x, o).input_absmax[0], 9.0);
}

}  // namespace
}  // namespace qdse::quant
