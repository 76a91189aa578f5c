// Folding at import: MatMul/Gemm + constant Add -> linear with bias; optional
// Conv/linear + BatchNormalization folding.
#include <gtest/gtest.h>
#include <torch/types.h>

#include "onnx_builder.hpp"
#include "run_graph.hpp"
#include "qdse/exec/executor.hpp"

namespace qdse::io {
namespace {

using test::OnnxBuilder;
using test::run_graph;

TEST(OnnxFold, MatMulPlusConstantAddIsOneLinearWithBias) {
  const auto w = torch::randn({4, 3}), bias = torch::randn({3});
  OnnxBuilder b;
  b.input("x", {4}).output("y").initializer("fc.weight", w).initializer("fc.bias", bias);
  b.node("MatMul", {"x", "fc.weight"}, {"m"}, "/fc/MatMul");
  b.node("Add", {"fc.bias", "m"}, {"y"}, "/fc/Add");
  const auto g = b.import();
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(g.node(0).name, "fc");
  EXPECT_EQ(g.node(0).op, ir::OpKind::Linear);
  EXPECT_TRUE(g.node(0).attrs.bias);
  const auto x = torch::randn({5, 4});
  EXPECT_TRUE(torch::equal(run_graph(g, x), torch::linear(x, w.t(), bias)));
  EXPECT_TRUE(torch::allclose(run_graph(g, x), torch::matmul(x, w) + bias, 1e-6, 1e-6));
}

TEST(OnnxFold, GemmWithoutBiasPlusAddFolds) {
  const auto w = torch::randn({3, 4}), bias = torch::randn({1, 3});
  OnnxBuilder b;
  b.input("x", {4}).output("y").initializer("W", w).initializer("c", bias);
  auto& gemm = b.node("Gemm", {"x", "W"}, {"m"});
  OnnxBuilder::attr(gemm, "transB", int64_t{1});
  b.node("Add", {"m", "c"}, {"y"});
  const auto g = b.import();
  ASSERT_EQ(g.size(), 1u);
  const auto x = torch::randn({5, 4});
  EXPECT_TRUE(torch::equal(run_graph(g, x), torch::linear(x, w, bias.reshape({3}))));
}

TEST(OnnxFold, AddIsNotFoldedWhenTheProductIsReadTwice) {
  OnnxBuilder b;
  b.input("x", {2}).output("y").initializer("W", torch::randn({2, 2})).initializer("c", torch::randn({2}));
  b.node("MatMul", {"x", "W"}, {"m"});
  b.node("Add", {"m", "c"}, {"a"});
  b.node("Mul", {"a", "m"}, {"y"});
  const auto g = b.import();
  ASSERT_EQ(g.size(), 3u);
  EXPECT_EQ(g.node(1).op, ir::OpKind::Add);
  EXPECT_FALSE(g.node(0).param("bias"));
}

OnnxBuilder conv_bn(int64_t groups) {
  OnnxBuilder b;
  b.input("x", {4, 6, 6}).output("y");
  b.initializer("W", torch::randn({8, 4 / groups, 3, 3})).initializer("B", torch::randn({8}));
  b.initializer("s", torch::randn({8})).initializer("b", torch::randn({8}));
  b.initializer("m", torch::randn({8})).initializer("v", torch::rand({8}) + 0.1);
  auto& conv = b.node("Conv", {"x", "W", "B"}, {"c"}, "/conv/Conv");
  OnnxBuilder::attr(conv, "pads", std::vector<int64_t>{1, 1, 1, 1});
  OnnxBuilder::attr(conv, "group", groups);
  b.node("BatchNormalization", {"c", "s", "b", "m", "v"}, {"n"}, "/bn/BatchNormalization");
  b.node("Relu", {"n"}, {"y"}, "/act/Relu");
  return b;
}

TEST(OnnxFold, ConvBatchNormFoldingEqualsUnfolded) {
  for (int64_t groups : {1, 2}) {
    const auto b = conv_bn(groups);
    const auto plain = b.import();
    OnnxImportOptions opts;
    opts.fold_batch_norm = true;
    const auto folded = b.import(opts);
    ASSERT_EQ(plain.size(), 3u);
    ASSERT_EQ(folded.size(), 2u);
    EXPECT_EQ(folded.node(0).name, "conv");
    EXPECT_EQ(folded.node(1).name, "act");
    const auto x = torch::randn({16, 4, 6, 6});
    const auto want = run_graph(plain, x);
    const auto diff = (run_graph(folded, x) - want).abs().max().item<double>();
    // The fold rounds w*s once in float32; relative to the output's scale (here up
    // to ~100: random weights, gamma/sqrt(var) up to ~10) that is float32 noise.
    const double scale = std::max(1.0, want.abs().max().item<double>());
    EXPECT_LT(diff / scale, 1e-5) << "groups " << groups << " abs diff " << diff;
  }
}

TEST(OnnxFold, GemmBatchNormFoldingEqualsUnfolded) {
  OnnxBuilder b;
  b.input("x", {5}).output("y");
  b.initializer("W", torch::randn({3, 5})).initializer("s", torch::randn({3})).initializer("b", torch::randn({3}));
  b.initializer("m", torch::randn({3})).initializer("v", torch::rand({3}) + 0.1);
  auto& gemm = b.node("Gemm", {"x", "W"}, {"g"});
  OnnxBuilder::attr(gemm, "transB", int64_t{1});
  b.node("BatchNormalization", {"g", "s", "b", "m", "v"}, {"y"});
  OnnxImportOptions opts;
  opts.fold_batch_norm = true;
  const auto folded = b.import(opts);
  ASSERT_EQ(folded.size(), 1u);
  const auto x = torch::randn({7, 5});
  EXPECT_LT((run_graph(folded, x) - run_graph(b.import(), x)).abs().max().item<double>(), 1e-5);
}

}  // namespace
}  // namespace qdse::io
