// One IntegerConv2d layer against the float emulation of the same node and formats,
// bit for bit: without and with a fused ReLU, without and with a buffer pool.
#pragma once

#include <gtest/gtest.h>
#include <torch/types.h>

#include <string>

#include "qdse/exec/buffer_pool.hpp"
#include "qdse/exec/executor.hpp"
#include "qdse/lower/integer_conv2d.hpp"
#include "qdse/lower/transform.hpp"

namespace qdse::testing {

// `more(layer, codes, pool, want)` adds checks on the same layer (e.g. fused pooling).
// Returns whether the emulation took the float64 path (the wide epilogue).
template <typename More>
bool expect_integer_conv_matches(const ir::Node& node, const quant::NodeQuantConfig& c, const at::Tensor& x,
                                 exec::BufferPool* pool, const std::string& what, More&& more) {
  const auto l = exec::IntegerConv2d::make(node, c);
  EXPECT_TRUE(l.has_value()) << quant::describe(c) << what;
  if (!l) return false;
  const exec::NodeOverride o = quant::build_node_override(node, c);
  const at::Tensor want = exec::run_node(node, {x}, &o, false);
  for (exec::BufferPool* p : {static_cast<exec::BufferPool*>(nullptr), pool}) {
    const at::Tensor codes = l->input_codes(x, p);
    EXPECT_TRUE(codes.defined()) << quant::describe(c) << what;
    if (!codes.defined()) continue;
    const at::Tensor got = l->forward(codes, false, p);
    EXPECT_EQ(got.sizes(), want.sizes()) << quant::describe(c) << what;
    EXPECT_TRUE(torch::equal(got, want)) << quant::describe(c) << what << "\n" << (got - want).abs().max();
    EXPECT_TRUE(torch::equal(l->forward(codes, true, p), torch::relu(want))) << quant::describe(c) << what;
    more(*l, codes, p, want);
  }
  return o.float64;
}

}  // namespace qdse::testing
