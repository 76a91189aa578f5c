// The op patterns torch.onnx.export writes for real networks, each against libtorch's own
// function: Pad before Conv / AveragePool, HardSigmoid / HardSwish, spatial ReduceMean, and
// the Shape -> Gather -> Div -> Unsqueeze -> Concat -> Reshape arithmetic of a dynamic batch.
#include <gtest/gtest.h>
#include <torch/types.h>
#include <torch/utils.h>

#include "onnx_builder.hpp"
#include "qdse/core/error.hpp"
#include "qdse/exec/executor.hpp"
#include "../support/errors.hpp"

namespace qdse::io {
namespace {

using test::OnnxBuilder;

at::Tensor forward(const ir::Graph& g, const at::Tensor& x) {
  torch::NoGradGuard no_grad;
  return exec::Executor(g).forward(x);
}

void expect_close(const at::Tensor& got, const at::Tensor& want) {
  ASSERT_EQ(got.sizes(), want.sizes());
  EXPECT_TRUE(torch::allclose(got, want, 1e-5, 1e-6)) << (got - want).abs().max();
}

onnx::NodeProto& pad_node(OnnxBuilder& b, const std::string& in, const std::string& out,
                          std::vector<int64_t> pads, const std::string& mode = "constant") {
  b.initializer(out + "_pads", torch::tensor(pads, torch::kLong));
  auto& n = b.node("Pad", {in, out + "_pads"}, {out}, "/" + out + "/Pad");
  OnnxBuilder::attr(n, "mode", mode);
  return n;
}

TEST(OnnxExportPatterns, PadBeforeConvIsTheConvsOwnPadding) {
  OnnxBuilder b;
  b.input("x", {2, 5, 5}).output("y");
  pad_node(b, "x", "p", {0, 0, 1, 2, 0, 0, 1, 2});
  const auto w = torch::randn({3, 2, 3, 3}, torch::Generator(at::detail::createCPUGenerator(1)));
  b.initializer("w", w);
  b.node("Conv", {"p", "w"}, {"y"}, "/conv/Conv");
  const auto g = b.import();
  ASSERT_EQ(g.size(), 1u);
  const auto x = torch::rand({4, 2, 5, 5});
  expect_close(forward(g, x), torch::conv2d(x, w, {}, 1, {1, 2}));
}

TEST(OnnxExportPatterns, PadBeforeAveragePoolCountsThePaddedZeros) {
  OnnxBuilder b;
  b.input("x", {3, 6, 6}).output("y");
  pad_node(b, "x", "p", {0, 0, 1, 1, 0, 0, 1, 1});
  auto& pool = b.node("AveragePool", {"p"}, {"y"}, "/pool/AveragePool");
  OnnxBuilder::attr(pool, "kernel_shape", std::vector<int64_t>{3, 3});
  OnnxBuilder::attr(pool, "strides", std::vector<int64_t>{2, 2});
  const auto x = torch::rand({2, 3, 6, 6});
  expect_close(forward(b.import(), x), torch::avg_pool2d(x, {3, 3}, {2, 2}, {1, 1}, false, /*count_include_pad=*/true));
}

TEST(OnnxExportPatterns, AllZeroPadIsTheIdentity) {
  OnnxBuilder b;
  b.input("x", {2, 4, 4}).output("y");
  pad_node(b, "x", "p", {0, 0, 0, 0, 0, 0, 0, 0});
  b.node("Relu", {"p"}, {"y"}, "/relu/Relu");
  const auto x = torch::randn({2, 2, 4, 4});
  expect_close(forward(b.import(), x), torch::relu(x));
}

TEST(OnnxExportPatterns, PaddingNoWindowOpAbsorbsIsAnErrorNamingThePad) {
  OnnxBuilder b;
  b.input("x", {2, 4, 4}).output("y");
  pad_node(b, "x", "p", {0, 0, 1, 1, 0, 0, 1, 1});
  b.node("Relu", {"p"}, {"y"}, "/relu/Relu");
  const std::string msg = testing::error_of([&] { b.import(); });
  EXPECT_CONTAINS(msg, "/p/Pad");
  EXPECT_CONTAINS(msg, "Conv or AveragePool");
}

TEST(OnnxExportPatterns, PadModesAndValuesOtherThanZeroAreRefused) {
  OnnxBuilder reflect;
  reflect.input("x", {2, 4, 4}).output("y");
  pad_node(reflect, "x", "y", {0, 0, 1, 1, 0, 0, 1, 1}, "reflect");
  EXPECT_CONTAINS(testing::error_of([&] { reflect.import(); }), "mode 'reflect' is not supported");

  OnnxBuilder asym;
  asym.input("x", {2, 4, 4}).output("y");
  pad_node(asym, "x", "p", {0, 0, 1, 0, 0, 0, 0, 0});
  asym.initializer("w", torch::ones({1, 2, 1, 1}));
  asym.node("Conv", {"p", "w"}, {"y"}, "/conv/Conv");
  EXPECT_CONTAINS(testing::error_of([&] { asym.import(); }), "asymmetric");

  OnnxBuilder before_max;
  before_max.input("x", {2, 4, 4}).output("y");
  pad_node(before_max, "x", "p", {0, 0, 1, 1, 0, 0, 1, 1});
  auto& pool = before_max.node("MaxPool", {"p"}, {"y"}, "/pool/MaxPool");
  OnnxBuilder::attr(pool, "kernel_shape", std::vector<int64_t>{2, 2});
  EXPECT_CONTAINS(testing::error_of([&] { before_max.import(); }), "/p/Pad");
}

TEST(OnnxExportPatterns, HardSigmoidAndHardSwishEqualTorch) {
  OnnxBuilder b(14);
  b.input("x", {8}).output("y");
  auto& hs = b.node("HardSigmoid", {"x"}, {"h"}, "/act/HardSigmoid");
  OnnxBuilder::attr_f(hs, "alpha", 1.0f / 6.0f);
  OnnxBuilder::attr_f(hs, "beta", 0.5f);
  b.node("HardSwish", {"h"}, {"y"}, "/act2/HardSwish");
  const auto x = torch::linspace(-5, 5, 32).reshape({4, 8});
  expect_close(forward(b.import(), x), torch::hardswish(torch::hardsigmoid(x)));
}

TEST(OnnxExportPatterns, SpatialReduceMeanIsAGlobalAveragePool) {
  for (int64_t keepdims : {0, 1}) {
    OnnxBuilder b;
    b.input("x", {3, 4, 5}).output("y");
    auto& n = b.node("ReduceMean", {"x"}, {"y"}, "/ReduceMean");
    OnnxBuilder::attr(n, "axes", std::vector<int64_t>{-1, 2});
    OnnxBuilder::attr(n, "keepdims", keepdims);
    const auto x = torch::randn({2, 3, 4, 5});
    expect_close(forward(b.import(), x), x.mean({2, 3}, keepdims != 0));
  }
  OnnxBuilder channels;
  channels.input("x", {3, 4, 5}).output("y");
  auto& n = channels.node("ReduceMean", {"x"}, {"y"}, "/ReduceMean");
  OnnxBuilder::attr(n, "axes", std::vector<int64_t>{1});
  EXPECT_CONTAINS(testing::error_of([&] { channels.import(); }), "spatial axes [2, 3]");
}

// torchvision's channel_shuffle under a dynamic batch: view(b, g, c/g, h, w) ->
// transpose(1, 2) -> view(b, -1, h, w), its sizes computed from Shape at run time.
TEST(OnnxExportPatterns, DynamicBatchShapeArithmeticResolvesAtImport) {
  OnnxBuilder b;
  b.input("x", {6, 2, 2}).output("y");
  b.node("Shape", {"x"}, {"s"}, "/Shape");
  auto scalar = [&](const std::string& name, int64_t v) { b.initializer(name, torch::tensor(v, torch::kLong)); };
  scalar("i0", 0);
  scalar("i1", 1);
  scalar("groups", 2);
  b.node("Gather", {"s", "i0"}, {"batch"}, "/Gather");
  b.node("Gather", {"s", "i1"}, {"chans"}, "/Gather_1");
  b.node("Div", {"chans", "groups"}, {"per_group"}, "/Div");
  b.initializer("axes0", torch::tensor(std::vector<int64_t>{0}, torch::kLong));
  b.initializer("tail", torch::tensor(std::vector<int64_t>{2, 2}, torch::kLong));
  b.initializer("g1", torch::tensor(std::vector<int64_t>{2}, torch::kLong));
  b.node("Unsqueeze", {"batch", "axes0"}, {"b1"}, "/Unsqueeze");
  b.node("Unsqueeze", {"per_group", "axes0"}, {"pg1"}, "/Unsqueeze_1");
  b.node("Concat", {"b1", "g1", "pg1", "tail"}, {"shape5"}, "/Concat");
  OnnxBuilder::attr(*b.graph().mutable_node(b.graph().node_size() - 1), "axis", int64_t{0});
  b.node("Reshape", {"x", "shape5"}, {"v"}, "/Reshape");
  auto& t = b.node("Transpose", {"v"}, {"tr"}, "/Transpose");
  OnnxBuilder::attr(t, "perm", std::vector<int64_t>{0, 2, 1, 3, 4});
  b.initializer("back", torch::tensor(std::vector<int64_t>{1, -1, 2, 2}, torch::kLong));
  b.node("Reshape", {"tr", "back"}, {"y"}, "/Reshape_1");
  const auto x = torch::arange(5 * 24, torch::kFloat).reshape({5, 6, 2, 2});
  const auto want = x.view({5, 2, 3, 2, 2}).transpose(1, 2).contiguous().view({5, -1, 2, 2});
  expect_close(forward(b.import(), x), want);
}

}  // namespace
}  // namespace qdse::io
