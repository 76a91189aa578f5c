// Every int16 GEMM register tile this machine runs (exec/int16_tiles.hpp: avx2,
// avx_vnni, avx512_vnni) against the portable loop and an int64 reference, bit for bit:
// all row remainders of each tile, ragged outputs, odd depths, the float32 and float64
// epilogues, fused ReLU, and the extreme codes the exactness bound admits.
#include <gtest/gtest.h>
#include <torch/types.h>

#include <string>
#include <tuple>
#include <vector>

#include "int_gemm_problem.hpp"
#include "qdse/exec/int16_tiles.hpp"
#include "qdse/exec/int_gemm.hpp"

namespace qdse::exec {
namespace {

// a [N, padded_depth(K)] int16 codes (zero padded) for codes c [N, K].
at::Tensor tiles_test_padded_rows(const at::Tensor& c) {
  at::Tensor a = torch::zeros({c.size(0), padded_depth(c.size(1))}, torch::kShort);
  a.narrow(1, 0, c.size(1)).copy_(c);
  return a;
}

// The int32 sums as int64 (exact), for the raw-accumulator checks below.
at::Tensor tiles_test_int64_sums(const at::Tensor& a, const at::Tensor& w) {
  return torch::mm(a.narrow(1, 0, w.size(1)).to(torch::kLong), w.to(torch::kLong).t());
}

TEST(IntGemmTiles, PortableFirstBestLast) {
  const std::vector<Int16Tile> tiles = int16_tiles_available();
  ASSERT_FALSE(tiles.empty());
  EXPECT_EQ(tiles.front(), Int16Tile::portable);
  EXPECT_EQ(tiles.back(), int16_tile_best());
  EXPECT_EQ(int16_linear_vectorized(), int16_tile_best() != Int16Tile::portable);
  std::string names;
  for (Int16Tile t : tiles) names += std::string(int16_tile_name(t)) + " ";
  std::printf("int16 GEMM tiles on this machine: %s(best %s)\n", names.c_str(), int16_tile_name(int16_tile_best()));
}

TEST(IntGemmTiles, EveryTileEqualsThePortableLoopBitForBit) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(21);
  // N = 1 .. 25 covers every remainder of the 6- and 12-row tiles (and full tiles); 61
  // and 130 span several 48-row chunks; M ragged (a partial last column block); K odd.
  std::vector<std::tuple<int64_t, int64_t, int64_t>> shapes;
  for (int64_t n = 1; n <= 25; ++n) shapes.emplace_back(n, 2 * n + 1, 16 + n % 3 * 7);
  shapes.emplace_back(61, 577, 64);
  shapes.emplace_back(130, 9, 10);
  shapes.emplace_back(48, 1152, 33);
  int compared = 0;
  for (auto [n, k, m] : shapes) {
    const testing::RandomInt16Gemm p(n, k, m, gen);
    const at::Tensor& a = p.a;
    const PackedInt16& packed = p.packed;
    for (bool wide : {false, true}) {
      for (bool relu : {false, true}) {
        const IntEpilogue e = testing::gemm_test_epilogue(1.0 / 64, wide, p.bias.data_ptr<float>(), relu);
        const at::Tensor want = int16_linear_with(a, packed, e, Int16Tile::portable);
        for (Int16Tile t : int16_tiles_available()) {
          const at::Tensor got = int16_linear_with(a, packed, e, t);
          EXPECT_TRUE(torch::equal(got, want))
              << int16_tile_name(t) << " " << n << "x" << k << "x" << m << " wide " << wide << " relu " << relu;
          ++compared;
        }
      }
    }
    // The accumulators themselves (scale 1, no bias; the sums here are exact in float32).
    const at::Tensor sums = tiles_test_int64_sums(a, p.w).to(torch::kFloat);
    for (Int16Tile t : int16_tiles_available())
      EXPECT_TRUE(torch::equal(int16_linear_with(a, packed, IntEpilogue{}, t), sums)) << int16_tile_name(t);
  }
  EXPECT_EQ(compared, static_cast<int>(shapes.size() * 4 * int16_tiles_available().size()));
}

TEST(IntGemmTiles, ExtremeCodesWithinTheExactnessBound) {
  // The bound admits |sum| <= 2^30: one pair of -32768 codes (K = 1), or -32768 against
  // +-2^14 over two terms; each row and output hits the bound. The tiles must carry
  // these sums exactly (int32, no wrap, no clamp) in every row position.
  struct Extreme {
    std::vector<int16_t> a, w;
    int64_t k;
  };
  const std::vector<Extreme> cases = {
      {{-32768}, {-32768}, 1},                  // 2^30
      {{-32768, -32768}, {16384, 16384}, 2},    // -2^30
      {{-32768, -32768}, {-16384, -16384}, 2},  // 2^30, both products of one pair positive
      {{-32768, 32767}, {-16384, 16384}, 2},
      {{32767, -32768}, {32767, -32768}, 1},
  };
  for (const Extreme& x : cases) {
    for (int64_t n : {1, 6, 12, 13}) {  // a lone row, a full ymm tile, a full zmm tile, one over
      const at::Tensor row = torch::tensor(std::vector<int16_t>(x.a.begin(), x.a.begin() + x.k), torch::kShort);
      const at::Tensor codes = row.reshape({1, x.k}).repeat({n, 1}).contiguous();
      const at::Tensor wrow = torch::tensor(std::vector<int16_t>(x.w.begin(), x.w.begin() + x.k), torch::kShort);
      const at::Tensor w = wrow.reshape({1, x.k}).repeat({17, 1}).contiguous();  // 17 outputs: two blocks
      const at::Tensor a = tiles_test_padded_rows(codes);
      const PackedInt16 packed(w);
      IntEpilogue e;
      e.wide = true;  // float64: the 2^30-sized sums print exactly
      const at::Tensor want = tiles_test_int64_sums(a, w).to(torch::kDouble).to(torch::kFloat);
      for (Int16Tile t : int16_tiles_available())
        EXPECT_TRUE(torch::equal(int16_linear_with(a, packed, e, t), want))
            << int16_tile_name(t) << " a " << x.a[0] << " w " << x.w[0] << " n " << n;
    }
  }
}

}  // namespace
}  // namespace qdse::exec
