// Block floating point (MSFP): one shared exponent per block of elements.
//
// Blocks are runs of block_size consecutive elements along block_dim, for every
// index of the other dims; a ragged last block is zero-padded, which cannot change
// its max. Shared exponent E = floor(log2(max|x|)) + 1 clamped to [-bias,
// 2^e-1-bias], so the block max lands in [0.5, 1) * 2^E. Each element keeps a sign
// and an m-bit magnitude M = round_half_even(|x| * 2^(m-E)) clamped to 2^m - 1.
// A NaN or Inf in a block forces E to its maximum (as a hardware max would).
#include <torch/types.h>

#include <cmath>

#include "qdse/core/error.hpp"
#include "qdse/quant/formats/kernels.hpp"

namespace qdse::quant::detail {
namespace {

struct BlockFpLimits {
  int emin;
  int emax;
  double max_code;
};

BlockFpLimits limits_of(const BlockFpFormat& f) {
  const int bias = resolved_exponent_bias(f);
  return {-bias, (1 << f.exponent_width) - 1 - bias, std::ldexp(1.0, f.mantissa_width) - 1};
}

int64_t block_dim_of(const torch::Tensor& x, const BlockFpFormat& f) {
  const int64_t rank = std::max<int64_t>(x.dim(), 1);
  const int64_t dim = f.block_dim < 0 ? f.block_dim + rank : f.block_dim;
  if (dim < 0 || dim >= rank) {
    throw Error(ErrorKind::InvalidArgument, "block_fp: block_dim " + std::to_string(f.block_dim) +
                                                " out of range for a tensor of rank " +
                                                std::to_string(x.dim()));
  }
  return dim;
}

// [.., len, ..] -> contiguous [outer, len] with the block dim last.
torch::Tensor rows_of(const torch::Tensor& x, int64_t dim) {
  torch::Tensor t = x.dim() == 0 ? x.reshape({1}) : x;
  t = t.movedim(dim, -1).contiguous();
  const int64_t len = t.size(-1);
  return t.reshape({len == 0 ? 0 : t.numel() / len, len});
}

torch::Tensor unrows(const torch::Tensor& rows, const torch::Tensor& x, int64_t dim) {
  if (x.dim() == 0) return rows.reshape({});
  std::vector<int64_t> moved = x.sizes().vec();
  const int64_t len = moved[dim];
  moved.erase(moved.begin() + dim);
  moved.push_back(len);
  return rows.reshape(moved).movedim(-1, dim);
}

template <class T>
void block_fp_ref_rows(const T* in, T* out, int64_t outer, int64_t len, const BlockFpFormat& f) {
  const BlockFpLimits lim = limits_of(f);
  for (int64_t r = 0; r < outer; ++r) {
    for (int64_t start = 0; start < len; start += f.block_size) {
      const int64_t end = std::min<int64_t>(start + f.block_size, len);
      double max_abs = 0.0;
      bool special = false;  // NaN or Inf somewhere in the block
      for (int64_t i = r * len + start; i < r * len + end; ++i) {
        const double a = std::fabs(static_cast<double>(in[i]));
        if (!std::isfinite(a)) special = true;
        else max_abs = std::max(max_abs, a);
      }
      int e = lim.emin;
      if (special) {
        e = lim.emax;
      } else if (max_abs > 0.0) {
        int ex = 0;
        std::frexp(max_abs, &ex);  // max = frac * 2^ex, frac in [0.5, 1): E = ex
        e = std::clamp(ex, lim.emin, lim.emax);
      }
      for (int64_t i = r * len + start; i < r * len + end; ++i) {
        const double v = static_cast<double>(in[i]);
        if (std::isnan(v)) {
          out[i] = in[i];
          continue;
        }
        double m = std::nearbyint(std::fabs(v) * std::ldexp(1.0, f.mantissa_width - e));
        m = std::min(m, lim.max_code);
        out[i] = static_cast<T>(std::copysign(m * std::ldexp(1.0, e - f.mantissa_width), v));
      }
    }
  }
}

}  // namespace

torch::Tensor quantize_block_fp(const torch::Tensor& x, const BlockFpFormat& f) {
  const BlockFpLimits lim = limits_of(f);
  const int64_t dim = block_dim_of(x, f);
  torch::Tensor rows = rows_of(x.to(torch::kDouble), dim);
  const int64_t outer = rows.size(0), len = rows.size(1);
  if (rows.numel() == 0) return x.clone();
  const int64_t pad = (f.block_size - len % f.block_size) % f.block_size;
  if (pad != 0) rows = torch::constant_pad_nd(rows, {0, pad}, 0.0);
  torch::Tensor blocks = rows.view({outer, (len + pad) / f.block_size, f.block_size});

  // amax propagates NaN; the exponent field of NaN/Inf is all ones -> clamps to emax.
  torch::Tensor e = floor_log2_abs(blocks.abs().amax(-1, /*keepdim=*/true)).add_(1);
  e.clamp_(lim.emin, lim.emax);
  torch::Tensor q = (blocks * exp2_int(f.mantissa_width - e)).round_();
  q.clamp_(-lim.max_code, lim.max_code).mul_(exp2_int(e - f.mantissa_width));
  q = q.view({outer, len + pad}).narrow(1, 0, len);
  return unrows(q, x, dim).to(x.scalar_type()).contiguous();
}

torch::Tensor quantize_block_fp_ref(const torch::Tensor& x, const BlockFpFormat& f) {
  const int64_t dim = block_dim_of(x, f);
  torch::Tensor in = rows_of(x, dim);
  torch::Tensor out = torch::empty_like(in);
  if (in.scalar_type() == torch::kFloat) {
    block_fp_ref_rows(in.data_ptr<float>(), out.data_ptr<float>(), in.size(0), in.size(1), f);
  } else {
    block_fp_ref_rows(in.data_ptr<double>(), out.data_ptr<double>(), in.size(0), in.size(1), f);
  }
  return unrows(out, x, dim).contiguous();
}

}  // namespace qdse::quant::detail
