// One test per supported ONNX op against hand-computed outputs.
#include <gtest/gtest.h>
#include <torch/types.h>

#include "onnx_builder.hpp"
#include "run_graph.hpp"
#include "qdse/core/error.hpp"
#include "qdse/exec/executor.hpp"

namespace qdse::io {
namespace {

using test::OnnxBuilder;
using test::run_graph;

at::Tensor f(std::vector<float> v, std::vector<int64_t> shape) {
  return torch::tensor(v, torch::kFloat32).reshape(shape);
}

void expect_eq(const at::Tensor& got, const at::Tensor& want, double tol = 1e-6) {
  ASSERT_EQ(got.sizes(), want.sizes()) << got << want;
  EXPECT_TRUE(torch::allclose(got, want, tol, tol)) << "got\n" << got << "\nwant\n" << want;
}

// A single-op model: input "x" [batch, shape...] -> op -> "y".
OnnxBuilder one_op(const std::string& op, std::vector<int64_t> shape,
                   std::vector<std::string> inputs = {"x"}, int64_t opset = 13) {
  OnnxBuilder b(opset);
  b.input("x", shape).output("y");
  b.node(op, inputs, {"y"}, "/" + op);
  return b;
}

onnx::NodeProto& last(OnnxBuilder& b) { return *b.graph().mutable_node(b.graph().node_size() - 1); }

TEST(OnnxOps, GemmFoldsAlphaBetaIntoLinear) {
  auto b = one_op("Gemm", {2}, {"x", "B", "C"});
  b.initializer("B", f({1, 0, 1, 0, 1, 1}, {2, 3})).initializer("C", f({1, 1, 1}, {3}));
  OnnxBuilder::attr_f(last(b), "alpha", 2.0f);
  OnnxBuilder::attr_f(last(b), "beta", 0.5f);
  const auto g = b.import();
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(g.node(0).op, ir::OpKind::Linear);
  EXPECT_EQ(g.node(0).attrs.in_features, 2);
  EXPECT_EQ(g.node(0).attrs.out_features, 3);
  // 2 * ([1,2]·B) + 0.5 * C = 2 * [1,2,3] + 0.5
  expect_eq(run_graph(g, f({1, 2}, {1, 2})), f({2.5, 4.5, 6.5}, {1, 3}));
}

TEST(OnnxOps, GemmTransB) {
  auto b = one_op("Gemm", {2}, {"x", "B"});
  b.initializer("B", f({1, 0, 0, 1, 1, 1}, {3, 2}));
  OnnxBuilder::attr(last(b), "transB", int64_t{1});
  const auto g = b.import();
  EXPECT_FALSE(g.node(0).param("bias"));
  expect_eq(run_graph(g, f({1, 2, 3, 4}, {2, 2})), f({1, 2, 3, 3, 4, 7}, {2, 3}));
}

TEST(OnnxOps, MatMulWithConstantIsLinear) {
  auto b = one_op("MatMul", {2}, {"x", "W"});
  b.initializer("W", f({1, 2, 3, 4}, {2, 2}));
  const auto g = b.import();
  EXPECT_EQ(g.node(0).op, ir::OpKind::Linear);
  expect_eq(run_graph(g, f({1, 1}, {1, 2})), f({4, 6}, {1, 2}));
}

TEST(OnnxOps, MatMulOfTwoDataValues) {
  OnnxBuilder b;
  b.input("x", {2, 2}).output("y");
  b.node("MatMul", {"x", "x"}, {"y"});
  const auto g = b.import();
  EXPECT_EQ(g.node(0).op, ir::OpKind::MatMul);
  EXPECT_EQ(g.node(0).name, "matmul");
  expect_eq(run_graph(g, f({1, 2, 3, 4}, {1, 2, 2})), f({7, 10, 15, 22}, {1, 2, 2}));
}

TEST(OnnxOps, ElementwiseWithConstantsAndBroadcasting) {
  const auto x = f({1, 2, 3, 4, 5, 6}, {1, 2, 3});
  struct Case {
    std::string op;
    bool const_left;
    at::Tensor k, want;
  };
  const std::vector<Case> cases = {
      {"Add", false, f({10, 20}, {2, 1}), f({11, 12, 13, 24, 25, 26}, {1, 2, 3})},
      {"Sub", true, f({10}, {1}), f({9, 8, 7, 6, 5, 4}, {1, 2, 3})},
      {"Sub", false, f({1, 1, 1}, {3}), f({0, 1, 2, 3, 4, 5}, {1, 2, 3})},
      {"Mul", false, f({1, 0, 2}, {1, 1, 3}), f({1, 0, 6, 4, 0, 12}, {1, 2, 3})},
      {"Div", false, f({2}, {}), f({0.5, 1, 1.5, 2, 2.5, 3}, {1, 2, 3})},
      {"Div", true, f({12}, {1}), f({12, 6, 4, 3, 2.4f, 2}, {1, 2, 3})},
  };
  for (const auto& c : cases) {
    OnnxBuilder b;
    b.input("x", {2, 3}).output("y").initializer("k", c.k);
    b.node(c.op, c.const_left ? std::vector<std::string>{"k", "x"} : std::vector<std::string>{"x", "k"},
           {"y"});
    expect_eq(run_graph(b.import(), x), c.want);
  }
}

TEST(OnnxOps, ElementwiseOfTwoDataValues) {
  for (const std::string op : {"Add", "Sub", "Mul", "Div"}) {
    OnnxBuilder b;
    b.input("x", {2}).output("y");
    b.node("Relu", {"x"}, {"r"});
    b.node(op, {"x", "r"}, {"y"});
    const auto x = f({-1, 2}, {1, 2});
    const auto r = torch::relu(x);
    const auto want = op == "Add" ? x + r : op == "Sub" ? x - r : op == "Mul" ? x * r : x / r;
    const auto got = run_graph(b.import(), x);
    EXPECT_TRUE(torch::equal(got.isnan(), want.isnan())) << op;
    EXPECT_TRUE(torch::allclose(got.nan_to_num(), want.nan_to_num())) << op;
  }
}

TEST(OnnxOps, ConvWithPadsStridesGroupsDilations) {
  // 1 channel 3x3 input, 2x2 ones kernel: each output sums a window.
  {
    auto b = one_op("Conv", {1, 3, 3}, {"x", "W", "B"});
    b.initializer("W", torch::ones({1, 1, 2, 2})).initializer("B", f({1}, {1}));
    const auto g = b.import();
    EXPECT_EQ(g.node(0).op, ir::OpKind::Conv2d);
    expect_eq(run_graph(g, torch::arange(9, torch::kFloat32).reshape({1, 1, 3, 3})),
              f({0 + 1 + 3 + 4 + 1, 1 + 2 + 4 + 5 + 1, 3 + 4 + 6 + 7 + 1, 4 + 5 + 7 + 8 + 1}, {1, 1, 2, 2}));
  }
  {
    auto b = one_op("Conv", {1, 3, 3}, {"x", "W"});
    b.initializer("W", torch::ones({1, 1, 2, 2}));
    OnnxBuilder::attr(last(b), "pads", std::vector<int64_t>{1, 1, 1, 1});
    OnnxBuilder::attr(last(b), "strides", std::vector<int64_t>{2, 2});
    // Padded 5x5, stride 2: windows at (0,0),(0,2),(2,0),(2,2) of the padded input.
    expect_eq(run_graph(b.import(), torch::arange(9, torch::kFloat32).reshape({1, 1, 3, 3})),
              f({0, 1 + 2, 3 + 6, 4 + 5 + 7 + 8}, {1, 1, 2, 2}));
  }
  {
    // groups = 2 and dilation 2 against torch's reference.
    auto b = one_op("Conv", {4, 5, 5}, {"x", "W"});
    const auto w = torch::randn({6, 2, 2, 2});
    b.initializer("W", w);
    OnnxBuilder::attr(last(b), "group", int64_t{2});
    OnnxBuilder::attr(last(b), "dilations", std::vector<int64_t>{2, 2});
    OnnxBuilder::attr(last(b), "auto_pad", std::string("VALID"));
    const auto x = torch::randn({2, 4, 5, 5});
    expect_eq(run_graph(b.import(), x), torch::conv2d(x, w, at::Tensor(), std::vector<int64_t>{1, 1}, std::vector<int64_t>{0, 0}, std::vector<int64_t>{2, 2}, 2), 1e-5);
  }
}

TEST(OnnxOps, ConvAutoPadSameUpper) {
  auto b = one_op("Conv", {1, 4, 4}, {"x", "W"});
  b.initializer("W", torch::ones({1, 1, 3, 3}));
  OnnxBuilder::attr(last(b), "auto_pad", std::string("SAME_UPPER"));
  const auto g = b.import();
  EXPECT_EQ(g.node(0).attrs.padding, (std::vector<int64_t>{1, 1}));
  EXPECT_EQ(run_graph(g, torch::ones({1, 1, 4, 4})).sizes(), (std::vector<int64_t>{1, 1, 4, 4}));
}

TEST(OnnxOps, BatchNormalization) {
  auto b = one_op("BatchNormalization", {2}, {"x", "s", "b", "m", "v"});
  b.initializer("s", f({2, 3}, {2})).initializer("b", f({1, 1}, {2}));
  b.initializer("m", f({0, 1}, {2})).initializer("v", f({1, 4}, {2}));
  OnnxBuilder::attr_f(last(b), "epsilon", 0.0f);
  const auto g = b.import();
  EXPECT_EQ(g.node(0).op, ir::OpKind::BatchNorm1d);
  // (x - m) / sqrt(v) * s + b
  expect_eq(run_graph(g, f({1, 2}, {1, 2})), f({3, 2.5}, {1, 2}));
}

TEST(OnnxOps, Activations) {
  const auto x = f({-2, -0.5, 0, 0.5, 2}, {1, 5});
  expect_eq(run_graph(one_op("Relu", {5}).import(), x), f({0, 0, 0, 0.5, 2}, {1, 5}));
  expect_eq(run_graph(one_op("Sigmoid", {5}).import(), x), torch::sigmoid(x));
  expect_eq(run_graph(one_op("Tanh", {5}).import(), x), torch::tanh(x));
  auto leaky = one_op("LeakyRelu", {5});
  OnnxBuilder::attr_f(last(leaky), "alpha", 0.25f);
  expect_eq(run_graph(leaky.import(), x), f({-0.5, -0.125, 0, 0.5, 2}, {1, 5}));
  auto leaky_default = one_op("LeakyRelu", {5});
  expect_eq(run_graph(leaky_default.import(), x), f({-0.02f, -0.005f, 0, 0.5, 2}, {1, 5}));
}

TEST(OnnxOps, ClipBoundsFromInputsOrAttributes) {
  const auto x = f({-2, -0.5, 0, 0.5, 2}, {1, 5});
  auto b13 = one_op("Clip", {5}, {"x", "lo", "hi"});
  b13.initializer("lo", f({-1}, {})).initializer("hi", f({1}, {}));
  expect_eq(run_graph(b13.import(), x), f({-1, -0.5, 0, 0.5, 1}, {1, 5}));
  auto max_only = one_op("Clip", {5}, {"x", "", "hi"});
  max_only.initializer("hi", f({0.25}, {}));
  expect_eq(run_graph(max_only.import(), x), f({-2, -0.5, 0, 0.25, 0.25}, {1, 5}));
  auto b9 = one_op("Clip", {5}, {"x"}, 9);
  OnnxBuilder::attr_f(last(b9), "min", 0.0f);
  OnnxBuilder::attr_f(last(b9), "max", 6.0f);
  expect_eq(run_graph(b9.import(), x * 4), f({0, 0, 0, 2, 6}, {1, 5}));
}

TEST(OnnxOps, Softmax) {
  const auto x = f({1, 2, 3, 1, 1, 1}, {1, 2, 3});
  expect_eq(run_graph(one_op("Softmax", {2, 3}).import(), x), torch::softmax(x, -1));
  auto old = one_op("Softmax", {3}, {"x"}, 11);  // default axis 1 == last for rank 2
  expect_eq(run_graph(old.import(), x.reshape({2, 3})), torch::softmax(x.reshape({2, 3}), 1));
  auto old_rank3 = one_op("Softmax", {2, 3}, {"x"}, 11);  // axis 1 of rank 3: flattening semantics
  EXPECT_THROW(old_rank3.import(), Error);
}

TEST(OnnxOps, MaxPool) {
  auto b = one_op("MaxPool", {1, 4, 4});
  OnnxBuilder::attr(last(b), "kernel_shape", std::vector<int64_t>{2, 2});
  OnnxBuilder::attr(last(b), "strides", std::vector<int64_t>{2, 2});
  expect_eq(run_graph(b.import(), torch::arange(16, torch::kFloat32).reshape({1, 1, 4, 4})),
            f({5, 7, 13, 15}, {1, 1, 2, 2}));
}

TEST(OnnxOps, AveragePoolCountIncludePad) {
  for (int64_t include : {0, 1}) {
    auto b = one_op("AveragePool", {1, 2, 2});
    OnnxBuilder::attr(last(b), "kernel_shape", std::vector<int64_t>{3, 3});
    OnnxBuilder::attr(last(b), "pads", std::vector<int64_t>{1, 1, 1, 1});
    OnnxBuilder::attr(last(b), "count_include_pad", include);
    // Every 3x3 window covers the 4 ones; with padding counted it divides by 9.
    const float v = include ? 4.0f / 9 : 1.0f;
    expect_eq(run_graph(b.import(), torch::ones({1, 1, 2, 2})), torch::full({1, 1, 2, 2}, v));
  }
}

TEST(OnnxOps, GlobalAveragePool) {
  const auto g = one_op("GlobalAveragePool", {2, 2, 2}).import();
  EXPECT_EQ(g.node(0).op, ir::OpKind::AdaptiveAvgPool2d);
  expect_eq(run_graph(g, torch::arange(8, torch::kFloat32).reshape({1, 2, 2, 2})), f({1.5, 5.5}, {1, 2, 1, 1}));
}

TEST(OnnxOps, FlattenReshapeTranspose) {
  const auto x = torch::arange(12, torch::kFloat32).reshape({2, 2, 3});
  expect_eq(run_graph(one_op("Flatten", {2, 3}).import(), x), x.reshape({2, 6}));
  auto bad_axis = one_op("Flatten", {2, 3});
  OnnxBuilder::attr(last(bad_axis), "axis", int64_t{0});
  EXPECT_THROW(bad_axis.import(), Error);
  for (auto shape : {std::vector<int64_t>{0, -1}, {-1, 3, 2}, {0, 0, 3}, {1, 6}}) {
    auto b = one_op("Reshape", {2, 3}, {"x", "s"});
    b.initializer("s", torch::tensor(shape, torch::kInt64));
    const auto g = b.import();
    const auto got = run_graph(g, x);
    std::vector<int64_t> want = shape;
    want[0] = 2;  // the batch
    if (shape == std::vector<int64_t>{0, -1}) want = {2, 6};
    if (shape == std::vector<int64_t>{0, 0, 3}) want = {2, 2, 3};
    EXPECT_TRUE(torch::equal(got, x.reshape(want))) << c10::IntArrayRef(shape);
  }
  auto t = one_op("Transpose", {2, 3});
  OnnxBuilder::attr(last(t), "perm", std::vector<int64_t>{0, 2, 1});
  expect_eq(run_graph(t.import(), x), x.permute({0, 2, 1}));
  auto moves_batch = one_op("Transpose", {2, 3});
  EXPECT_THROW(moves_batch.import(), Error);  // default perm reverses all axes
}

TEST(OnnxOps, SqueezeUnsqueezeAxesByOpset) {
  const auto x = torch::arange(6, torch::kFloat32).reshape({2, 1, 3});
  auto s13 = one_op("Squeeze", {1, 3}, {"x", "axes"});
  s13.initializer("axes", torch::tensor({1}, torch::kInt64));
  expect_eq(run_graph(s13.import(), x), x.reshape({2, 3}));
  auto s11 = one_op("Squeeze", {1, 3}, {"x"}, 11);
  OnnxBuilder::attr(last(s11), "axes", std::vector<int64_t>{-2});
  expect_eq(run_graph(s11.import(), x), x.reshape({2, 3}));
  expect_eq(run_graph(one_op("Squeeze", {1, 3}).import(), x), x.reshape({2, 3}));  // no axes: all 1s
  auto u13 = one_op("Unsqueeze", {1, 3}, {"x", "axes"});
  u13.initializer("axes", torch::tensor({1, -1}, torch::kInt64));
  expect_eq(run_graph(u13.import(), x), x.reshape({2, 1, 1, 3, 1}));
  auto u11 = one_op("Unsqueeze", {1, 3}, {"x"}, 11);
  OnnxBuilder::attr(last(u11), "axes", std::vector<int64_t>{2});
  expect_eq(run_graph(u11.import(), x), x.reshape({2, 1, 1, 3}));
}

TEST(OnnxOps, ConcatIdentityDropoutConstant) {
  OnnxBuilder b;
  b.input("x", {2}).output("y");
  b.node("Identity", {"x"}, {"i"});
  b.node("Relu", {"i"}, {"r"}, "/act/Relu");
  b.node("Dropout", {"r"}, {"d"}, "/drop/Dropout");
  b.node("Concat", {"x", "d"}, {"c"}, "/Concat");
  OnnxBuilder::attr(last(b), "axis", int64_t{-1});
  b.node("Constant", {}, {"k"});
  OnnxBuilder::attr_t(last(b), "value", f({1, 2, 3, 4}, {4}));
  b.node("Add", {"c", "k"}, {"y"}, "/Add");
  const auto g = b.import();
  std::vector<std::string> names;
  for (const auto& n : g.nodes()) names.push_back(n.name);
  EXPECT_EQ(names, (std::vector<std::string>{"act", "drop", "cat", "add"}));
  expect_eq(run_graph(g, f({-1, 2}, {1, 2})), f({0, 4, 3, 6}, {1, 4}));
}

TEST(OnnxOps, ConstantShapeArithmeticFoldsAtImport) {
  // Constant -> Unsqueeze -> Concat -> Reshape, the shape subgraph exporters emit.
  OnnxBuilder b;
  b.input("x", {2, 3}).output("y");
  b.node("Constant", {}, {"c6"});
  OnnxBuilder::attr(last(b), "value_int", int64_t{6});
  b.initializer("zero", torch::tensor({0}, torch::kInt64));
  b.initializer("axes", torch::tensor({0}, torch::kInt64));
  b.node("Unsqueeze", {"c6", "axes"}, {"u"});
  b.node("Concat", {"zero", "u"}, {"shape"});
  OnnxBuilder::attr(last(b), "axis", int64_t{0});
  b.node("Reshape", {"x", "shape"}, {"y"});
  const auto g = b.import();
  ASSERT_EQ(g.size(), 1u);
  const auto x = torch::arange(12, torch::kFloat32).reshape({2, 2, 3});
  expect_eq(run_graph(g, x), x.reshape({2, 6}));
}

}  // namespace
}  // namespace qdse::io
