// Exact integer GEMM for quantized linear layers: int16 codes, int32 accumulation.
//
// A fixed-point linear layer is y = (sum_k a_k * w_k) * 2^-(f_a + f_w) + b on integer
// codes a (data) and w (weight). When the caller has checked that the int32
// accumulator cannot overflow (worst case |sum| <= 2^30), this kernel computes the
// sum exactly, so its result equals any other exact evaluation bit for bit, e.g. the
// float GEMM on fake-quantized tensors where float32 (or float64) accumulation is
// exact (quant::float32_accumulation_exact). It runs the best register tile the CPU
// has (exec/int16_tiles.hpp: AVX512-VNNI or AVX-VNNI vpdpwssd, AVX2 vpmaddwd, else a
// portable loop); the result is the same whichever runs.
// Thread-safety: PackedInt16 is immutable after construction; int16_linear() is
// reentrant and splits rows over libtorch's intra-op threads.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

namespace qdse::exec {

// Weights [M, K] of int16 codes, packed once for int16_linear(): column blocks of 16
// outputs, K in pairs (k, k+1) interleaved, zero padded to full blocks and pairs.
class PackedInt16 {
 public:
  PackedInt16() = default;
  explicit PackedInt16(const at::Tensor& codes);  // kShort [M, K]

  int64_t outputs() const { return m_; }    // M
  int64_t depth() const { return k_; }      // K
  int64_t pairs() const { return kp_; }     // ceil(K / 2)
  int64_t bytes() const;
  const int32_t* block(int64_t b) const;    // kp_ x 16 int32 words of column block b

 private:
  int64_t m_ = 0, k_ = 0, kp_ = 0, blocks_ = 0;
  at::Tensor packed_;  // kInt [blocks, kp, 16]
};

// How accumulators become outputs.
struct IntEpilogue {
  double scale = 1.0;            // a power of two: 2^-(f_a + f_w)
  const float* bias = nullptr;   // [M] or null
  // false: float32 acc * scale + bias (exact when float32 accumulation is exact);
  // true: the same in float64, rounded once to float32 (the float64 emulation path).
  bool wide = false;
  bool relu = false;             // max(out, 0) afterwards (a ReLU fused into the layer)
};

// Data codes as the kernel reads them: kShort [N, 2 * pairs], zero padded columns.
int64_t padded_depth(int64_t k);

// out [N, M] float32 = epilogue(sum_k a[n, k] * w[m, k]).
// a: contiguous kShort [N, padded_depth(K)]. `out`, if defined, is a contiguous
// float32 [N, M] tensor to write into (else a new one). vectorize = false forces the
// portable loop (tests compare the two).
at::Tensor int16_linear(const at::Tensor& a, const PackedInt16& w, const IntEpilogue& e,
                        at::Tensor out = {}, bool vectorize = true);

// The serial core of int16_linear, for kernels that build their own rows (the integer
// convolution, exec/int_conv2d.hpp): out rows [0, n) at row stride ldo from the rows
// of `a` at row stride lda (int16 elements, 2 * w.pairs() of them read per row).
// bias16: padded_bias(e.bias, M) (null when e.bias is null), so that the vector
// epilogue may read whole 16-lane blocks.
void int16_linear_serial(const int16_t* a, int64_t lda, int64_t n, const PackedInt16& w, const IntEpilogue& e,
                         const float* bias16, float* out, int64_t ldo, bool vectorize = true);
std::vector<float> padded_bias(const float* bias, int64_t m);  // empty when bias is null

// True when this machine runs the vectorized kernel (else the portable loop).
bool int16_linear_vectorized();

}  // namespace qdse::exec
