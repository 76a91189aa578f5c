// Integer kernels: the int16 GEMM against a plain int64 loop, and IntegerLinear
// against the float emulation of the same quantized layer (bit for bit).
#include <gtest/gtest.h>
#include <torch/types.h>

#include <tuple>

#include "int_gemm_problem.hpp"
#include "qdse/exec/buffer_pool.hpp"
#include "qdse/exec/executor.hpp"
#include "qdse/exec/int_gemm.hpp"
#include "qdse/lower/integer_linear.hpp"
#include "qdse/quant/formats/quantize.hpp"
#include "qdse/lower/transform.hpp"

namespace qdse::exec {
namespace {

// sum_k a[n, k] * w[m, k] in int64, then the epilogue as the header defines it.
at::Tensor reference(const at::Tensor& a, const at::Tensor& w, const IntEpilogue& e) {
  const at::Tensor prod = torch::mm(a.narrow(1, 0, w.size(1)).to(torch::kLong), w.to(torch::kLong).t());
  at::Tensor v = prod.to(torch::kDouble) * e.scale;
  if (e.bias) v = v + torch::from_blob(const_cast<float*>(e.bias), {w.size(0)}).to(torch::kDouble);
  if (e.wide) return v.to(torch::kFloat);
  // float32: acc -> float (exact in these tests), * scale, + bias in float32
  at::Tensor f = prod.to(torch::kFloat) * static_cast<float>(e.scale);
  if (e.bias) f = f + torch::from_blob(const_cast<float*>(e.bias), {w.size(0)});
  return f;
}

TEST(IntGemm, MatchesInt64ReferenceOnRaggedShapes) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(3);
  // N not a multiple of the 6-row tile or 48-row chunk, M not a multiple of 16, odd K.
  for (auto [n, k, m] : {std::tuple<int64_t, int64_t, int64_t>{1, 1, 1}, {7, 3, 5}, {53, 17, 16},
                         {100, 784, 10}, {49, 256, 33}, {6, 2, 48}}) {
    const testing::RandomInt16Gemm p(n, k, m, gen);
    for (bool wide : {false, true}) {
      for (bool with_bias : {false, true}) {
        const IntEpilogue e =
            testing::gemm_test_epilogue(1.0 / 256, wide, with_bias ? p.bias.data_ptr<float>() : nullptr);
        const at::Tensor want = reference(p.a, p.w, e);
        EXPECT_TRUE(torch::equal(int16_linear(p.a, p.packed, e), want)) << n << "x" << k << "x" << m;
        EXPECT_TRUE(torch::equal(int16_linear(p.a, p.packed, e, {}, /*vectorize=*/false), want))
            << n << "x" << k << "x" << m;
      }
    }
  }
}

TEST(IntGemm, FusedReluAndPreallocatedOutput) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(4);
  const at::Tensor a = torch::randint(-100, 100, {61, 40}, gen, torch::kShort);
  const at::Tensor w = torch::randint(-100, 100, {37, 40}, gen, torch::kShort);
  const at::Tensor bias = torch::randn({37}, gen);
  const PackedInt16 packed(w);
  IntEpilogue e;
  e.scale = 0.125;
  e.bias = bias.data_ptr<float>();
  const at::Tensor plain = int16_linear(a, packed, e);
  e.relu = true;
  auto pool = BufferPool::create(int64_t{1} << 20, /*min_bytes=*/0);
  for (bool vectorize : {true, false}) {
    at::Tensor out = pool->empty({61, 37}, at::kFloat);
    const at::Tensor got = int16_linear(a, packed, e, out, vectorize);
    EXPECT_EQ(got.data_ptr<float>(), out.data_ptr<float>());
    EXPECT_TRUE(torch::equal(got, torch::relu(plain)));
  }
  // The pool recycled the first output's buffer for the second.
  EXPECT_GT(pool->free_bytes(), 0);
}

TEST(BufferPool, ReusesFreedBuffersUpToItsCap) {
  auto pool = BufferPool::create(/*max_free_bytes=*/1 << 20, /*min_bytes=*/1024);
  void* first = nullptr;
  {
    at::Tensor t = pool->empty({1000}, at::kFloat);  // 4000 bytes
    first = t.data_ptr();
    t.fill_(1);
  }
  EXPECT_EQ(pool->free_bytes(), 4032);
  at::Tensor again = pool->empty({990}, at::kFloat);  // fits the freed buffer
  EXPECT_EQ(again.data_ptr(), first);
  EXPECT_EQ(pool->free_bytes(), 0);
  EXPECT_NE(pool->empty({100}, at::kFloat).data_ptr(), first);  // small: plain libtorch
  { at::Tensor big = pool->empty({1 << 20}, at::kFloat); }      // 4 MiB: over the cap, freed
  EXPECT_EQ(pool->free_bytes(), 0);
}

TEST(IntGemm, ExtremeCodesDoNotOverflowPairs) {
  // vpmaddwd adds two int16 products in int32: (-32768)^2 * 2 would overflow, 2 * 2^15 * 2^15
  // does not appear for codes within +-2^14; check the largest 16-bit magnitudes we allow.
  const at::Tensor a = torch::full({3, 4}, -16384, torch::kShort);
  const at::Tensor w = torch::full({2, 4}, -16384, torch::kShort);
  const at::Tensor out = int16_linear(a, PackedInt16(w), IntEpilogue{});
  EXPECT_EQ(out[0][0].item<float>(), 4.0f * 16384 * 16384);
}

quant::NodeQuantConfig layer(quant::IntegerFormat d, quant::IntegerFormat w, std::optional<quant::IntegerFormat> b) {
  quant::NodeQuantConfig c;
  c.data_in = quant::SlotFormat{quant::Format{d}, false};
  c.weight = quant::SlotFormat{quant::Format{w}, false};
  if (b) c.bias = quant::SlotFormat{quant::Format{*b}, false};
  return c;
}

ir::Node linear(int64_t k, int64_t m, uint64_t seed, bool bias = true) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  ir::Node n;
  n.name = "fc";
  n.op = ir::OpKind::Linear;
  n.inputs = {ir::kGraphInput};
  n.params["weight"] = torch::randn({m, k}, gen) * 0.3;
  if (bias) n.params["bias"] = torch::randn({m}, gen);
  return n;
}

// The float emulation the plain path runs.
at::Tensor emulated(const ir::Node& node, const quant::NodeQuantConfig& c, const at::Tensor& x) {
  const NodeOverride o = quant::build_node_override(node, c);
  return run_node(node, {x}, &o, false);
}

TEST(IntegerLinear, EqualsTheFloatEmulationBitForBit) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(11);
  const at::Tensor x = torch::randn({37, 131}, gen) * 2;
  using F = quant::IntegerFormat;
  using R = quant::Rounding;
  using O = quant::Overflow;
  int checked = 0, wide = 0;
  for (int dw : {2, 3, 4, 8, 12}) {  // 12-bit data: float32 inexact, float64 path
    for (int ww : {2, 5, 8}) {
      for (auto [rounding, overflow, is_signed] :
           {std::tuple{R::NearestEven, O::Saturate, true}, {R::Floor, O::Saturate, true},
            {R::NearestAway, O::Wrap, true}, {R::NearestEven, O::Saturate, false}}) {
        const F d{.width = dw, .frac_width = std::nullopt, .is_signed = is_signed, .rounding = rounding,
                  .overflow = overflow};
        const F w{.width = ww, .frac_width = ww - 1};
        const F b{.width = 16, .frac_width = 12};  // a fine bias grid: float32 may not be exact
        for (bool with_bias : {false, true}) {
          const ir::Node node = linear(131, 19, 100 + dw * 10 + ww, with_bias);
          const auto c = layer(d, w, with_bias ? std::optional<F>(b) : std::nullopt);
          const auto l = IntegerLinear::make(node, c);
          ASSERT_TRUE(l.has_value()) << quant::describe(c);
          const at::Tensor codes = l->input_codes(x);
          ASSERT_TRUE(codes.defined());
          const at::Tensor got = l->forward(codes), want = emulated(node, c, x);
          EXPECT_TRUE(torch::equal(got, want)) << quant::describe(c) << "\n" << (got - want).abs().max();
          ++checked;
          wide += quant::needs_float64(node, c) ? 1 : 0;
        }
      }
    }
  }
  EXPECT_EQ(checked, 120);
  EXPECT_GT(wide, 0);  // the float64 epilogue is exercised too
}

TEST(IntegerLinear, RefusesWhatItCannotReproduce) {
  using F = quant::IntegerFormat;
  const ir::Node node = linear(784, 8, 1);
  const F i8{.width = 8, .frac_width = 4};
  EXPECT_TRUE(IntegerLinear::make(node, layer(i8, i8, i8)).has_value());
  // A float bias: the float GEMM's rounding order would matter.
  EXPECT_FALSE(IntegerLinear::make(node, layer(i8, i8, std::nullopt)).has_value());
  EXPECT_TRUE(IntegerLinear::make(linear(784, 8, 1, false), layer(i8, i8, std::nullopt)).has_value());
  // Codes beyond int16, or an accumulator beyond int32.
  const F i17{.width = 17, .frac_width = 8};
  EXPECT_FALSE(IntegerLinear::make(node, layer(i17, i8, i8)).has_value());
  const F i16{.width = 16, .frac_width = 8};
  EXPECT_FALSE(IntegerLinear::make(node, layer(i16, i16, i8)).has_value());
  // Not integer data.
  auto c = layer(i8, i8, i8);
  c.data_in = quant::SlotFormat{quant::Format{quant::MinifloatFormat{}}, false};
  EXPECT_FALSE(IntegerLinear::make(node, c).has_value());
  // Not a linear node.
  ir::Node relu;
  relu.op = ir::OpKind::Relu;
  EXPECT_FALSE(IntegerLinear::make(relu, layer(i8, i8, i8)).has_value());
  // NaN inputs have no codes: the caller falls back to the float path.
  const auto l = IntegerLinear::make(node, layer(i8, i8, i8));
  at::Tensor x = torch::zeros({2, 784});
  x[1][5] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_FALSE(l->input_codes(x).defined());
  EXPECT_FALSE(l->input_codes(torch::zeros({2, 783})).defined());
}

}  // namespace
}  // namespace qdse::exec
