// The 8-bit path of the integer convolution (exec/int8_gemm.hpp: vpdpbusd on codes + 128
// with a per-output offset): extreme int8 codes against an exact convolution, codes
// just outside int8 falling back to the int16 tile with the same result, and the
// byte packing of the weights.
#include <gtest/gtest.h>
#include <torch/types.h>

#include <optional>

#include "qdse/exec/int8_gemm.hpp"
#include "qdse/exec/int_conv2d.hpp"

namespace qdse::exec {
namespace {

// Codes drawn from {lo, hi} only (the extremes), [N or M, C, h, w].
at::Tensor int8_test_extreme_codes(at::IntArrayRef sizes, int16_t lo, int16_t hi, at::Generator& gen) {
  const at::Tensor pick = torch::randint(0, 2, sizes, gen, torch::kShort);
  return (pick * (hi - lo) + lo).to(torch::kShort);
}

TEST(Int8Conv2d, ExtremeCodesAndTheInt16FallbackAreExact) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(41);
  ConvGeometry g;
  g.channels = 5;  // depth 45: not a multiple of the 4-byte quads
  g.height = 9;
  g.width = 8;
  g.kernel_h = g.kernel_w = 3;
  g.pad_h = g.pad_w = 1;
  const int64_t n = 7, m = 19;  // 72 pixels per sample (per-sample rows), M ragged
  ConvGeometry small = g;      // 2x2 outputs: rows span samples
  small.height = small.width = 4;
  small.stride_h = small.stride_w = 2;
  for (const ConvGeometry& geo : {g, small}) {
    at::Tensor codes = int8_test_extreme_codes({n, geo.channels, geo.height, geo.width}, -128, 127, gen);
    at::Tensor w = int8_test_extreme_codes({m, geo.channels, 3, 3}, -128, 127, gen);
    const at::Tensor bias = torch::randint(-64, 64, {m}, gen, torch::kFloat) / 8;
    // Out of int8 by one: the data (128), then the weights (-129), take the int16 tile.
    for (int variant = 0; variant < 3; ++variant) {
      if (variant == 1) codes[3][2][1][1] = 128;
      if (variant == 2) {
        codes[3][2][1][1] = 127;
        w[5][4][2][0] = -129;
      }
      // |sum| <= 45 * 129 * 128 < 2^20: the double convolution of the codes is exact.
      const at::Tensor exact = torch::conv2d(codes.to(torch::kDouble), w.to(torch::kDouble), {},
                                             {geo.stride_h, geo.stride_w}, {geo.pad_h, geo.pad_w});
      const PackedInt16 packed(conv_weight_rows(w));
      EXPECT_EQ(pack_int8(packed).has_value(), variant != 2);
      const at::Tensor padded = pad_channels_last(codes, geo);
      for (bool wide : {false, true}) {
        for (bool relu : {false, true}) {
          IntEpilogue e;
          e.scale = 1.0 / 32;
          e.bias = bias.data_ptr<float>();
          e.wide = wide;
          e.relu = relu;
          const at::Tensor want = int16_conv2d(padded, geo, packed, e, {}, /*vectorize=*/false);
          at::Tensor ref = exact.to(torch::kFloat) * static_cast<float>(e.scale) + bias.view({1, m, 1, 1});
          if (relu) ref = torch::relu(ref);
          EXPECT_TRUE(torch::equal(want, ref)) << "portable, variant " << variant;
          EXPECT_TRUE(torch::equal(int16_conv2d(padded, geo, packed, e, {}, /*vectorize=*/true), want))
              << "variant " << variant << " " << geo.height << "x" << geo.width << " wide " << wide << " relu "
              << relu << " (8-bit path available: " << int8_gemm_available() << ")";
        }
      }
    }
  }
}

TEST(Int8Conv2d, PacksWeightBytesWithTheirOffsets) {
  // Two outputs, depth 5: bytes in quads (k 0..3, then k 4 and three zero pads), and
  // 128 * the row sums.
  const at::Tensor w = torch::tensor({1, -2, 3, -128, 127, -1, 0, 0, 5, 7}, torch::kShort).view({2, 5});
  const std::optional<PackedInt8> p = pack_int8(PackedInt16(w));
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->quads, 2);
  EXPECT_EQ(p->blocks, 1);
  ASSERT_EQ(p->words.size(), 2u * 16u);
  const auto bytes = [](int a, int b, int c, int d) {
    return static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint8_t>(a)) |
                                static_cast<uint32_t>(static_cast<uint8_t>(b)) << 8 |
                                static_cast<uint32_t>(static_cast<uint8_t>(c)) << 16 |
                                static_cast<uint32_t>(static_cast<uint8_t>(d)) << 24);
  };
  EXPECT_EQ(p->words[0], bytes(1, -2, 3, -128));   // quad 0, output 0
  EXPECT_EQ(p->words[1], bytes(-1, 0, 0, 5));      // quad 0, output 1
  EXPECT_EQ(p->words[16], bytes(127, 0, 0, 0));    // quad 1, output 0
  EXPECT_EQ(p->words[17], bytes(7, 0, 0, 0));      // quad 1, output 1
  EXPECT_EQ(p->words[2], 0);                       // no output 2
  EXPECT_EQ(p->offset[0], 128 * (1 - 2 + 3 - 128 + 127));
  EXPECT_EQ(p->offset[1], 128 * (-1 + 5 + 7));
  EXPECT_EQ(p->offset[2], 0);
  EXPECT_EQ(int8_row_bytes(5), 8);
  EXPECT_FALSE(pack_int8(PackedInt16(torch::full({3, 4}, 128, torch::kShort))).has_value());
}

}  // namespace
}  // namespace qdse::exec
