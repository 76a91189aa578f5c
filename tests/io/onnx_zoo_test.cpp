// Zoo models and their ONNX twins (exported here, torch.onnx.export style) import
// to the same node names and give the same outputs.
#include <gtest/gtest.h>
#include <torch/types.h>
#include <torch/utils.h>

#include "onnx_builder.hpp"
#include "qdse/exec/executor.hpp"
#include "qdse/ir/zoo.hpp"

namespace qdse::io {
namespace {

using test::OnnxBuilder;

// "seq_blocks_2" -> "seq_blocks.2": the zoo's names are fx names of module paths.
std::string module_path(const std::string& name) {
  std::string p = name;
  p[p.rfind('_')] = '.';
  return p;
}

// Writes a graph the way torch.onnx.export (1.13) would: scoped node names,
// initializers named by module path, Gemm with transB for linear layers.
OnnxBuilder export_twin(const ir::Graph& g, int64_t opset = 13) {
  OnnxBuilder b(opset);
  b.input("input", g.input_shape());
  std::string prev = "input";
  for (std::size_t i = 0; i < g.size(); ++i) {
    const auto& node = g.node(static_cast<int>(i));
    const std::string path = module_path(node.name);
    const std::string scope = "/" + path.substr(0, path.find('.')) + "/" + path + "/";
    const std::string out = i + 1 == g.size() ? "logits" : scope + "out";
    auto param = [&](const std::string& key) {
      b.initializer(path + "." + key, node.params.at(key));
      return path + "." + key;
    };
    const auto& a = node.attrs;
    switch (node.op) {
      case ir::OpKind::Linear: {
        auto& n = b.node("Gemm", {prev, param("weight"), param("bias")}, {out}, scope + "Gemm");
        OnnxBuilder::attr_f(n, "alpha", 1.0f);
        OnnxBuilder::attr_f(n, "beta", 1.0f);
        OnnxBuilder::attr(n, "transB", int64_t{1});
        break;
      }
      case ir::OpKind::Conv2d: {
        auto& n = b.node("Conv", {prev, param("weight"), param("bias")}, {out}, scope + "Conv");
        OnnxBuilder::attr(n, "kernel_shape", a.kernel);
        OnnxBuilder::attr(n, "strides", a.stride);
        OnnxBuilder::attr(n, "dilations", a.dilation);
        OnnxBuilder::attr(n, "pads", std::vector<int64_t>{a.padding[0], a.padding[1], a.padding[0], a.padding[1]});
        OnnxBuilder::attr(n, "group", a.groups);
        break;
      }
      case ir::OpKind::BatchNorm1d: {
        auto& n = b.node("BatchNormalization",
                         {prev, param("weight"), param("bias"), param("running_mean"), param("running_var")},
                         {out}, scope + "BatchNormalization");
        OnnxBuilder::attr_f(n, "epsilon", static_cast<float>(a.eps));
        OnnxBuilder::attr_f(n, "momentum", static_cast<float>(1 - a.momentum));
        break;
      }
      case ir::OpKind::Relu:
        b.node("Relu", {prev}, {out}, scope + "Relu");
        break;
      case ir::OpKind::MaxPool2d: {
        auto& n = b.node("MaxPool", {prev}, {out}, scope + "MaxPool");
        OnnxBuilder::attr(n, "kernel_shape", a.kernel);
        OnnxBuilder::attr(n, "strides", a.stride);
        OnnxBuilder::attr(n, "pads", std::vector<int64_t>{0, 0, 0, 0});
        OnnxBuilder::attr(n, "ceil_mode", int64_t{0});
        break;
      }
      case ir::OpKind::Flatten: {
        auto& n = b.node("Flatten", {prev}, {out}, scope + "Flatten");
        OnnxBuilder::attr(n, "axis", int64_t{1});
        break;
      }
      default:
        ADD_FAILURE() << "the twin exporter does not know " << ir::to_string(node.op);
    }
    prev = out;
  }
  b.output(prev);
  return b;
}

TEST(OnnxZoo, EveryZooModelAndItsOnnxTwinAgree) {
  torch::NoGradGuard no_grad;
  for (const auto& entry : ir::zoo_models()) {
    SCOPED_TRACE(entry.name);
    const auto zoo = ir::build_zoo_model(entry.name, 7);
    // Non-trivial batch-norm statistics so BN is really exercised.
    auto zoo_bn = zoo.clone_params();
    for (auto& n : zoo_bn.nodes())
      if (n.op == ir::OpKind::BatchNorm1d) {
        n.params["running_mean"] = torch::randn_like(n.params["running_mean"]);
        n.params["running_var"] = torch::rand_like(n.params["running_var"]) + 0.5;
        n.params["weight"] = torch::randn_like(n.params["weight"]);
      }
    const auto twin = export_twin(zoo_bn).import();
    ASSERT_EQ(twin.size(), zoo_bn.size());
    for (std::size_t i = 0; i < twin.size(); ++i) {
      EXPECT_EQ(twin.node(static_cast<int>(i)).name, zoo_bn.node(static_cast<int>(i)).name);
      EXPECT_EQ(twin.node(static_cast<int>(i)).op, zoo_bn.node(static_cast<int>(i)).op);
    }
    EXPECT_EQ(twin.input_shape(), zoo_bn.input_shape());
    EXPECT_EQ(twin.num_params(), zoo_bn.num_params());
    std::vector<int64_t> shape = {64};
    shape.insert(shape.end(), zoo_bn.input_shape().begin(), zoo_bn.input_shape().end());
    const auto x = torch::randn(shape);
    const auto want = exec::Executor(zoo_bn).forward(x);
    const auto got = exec::Executor(twin).forward(x);
    // Same ops on the same weights; BN's epsilon passes through a float attribute.
    EXPECT_TRUE(torch::allclose(got, want, 1e-6, 1e-6)) << (got - want).abs().max();
    bool has_bn = false;
    for (const auto& n : zoo_bn.nodes()) has_bn |= n.op == ir::OpKind::BatchNorm1d;
    if (!has_bn) {
      EXPECT_TRUE(torch::equal(got, want));
    }
  }
}

}  // namespace
}  // namespace qdse::io
