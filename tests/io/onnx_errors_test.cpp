// Every way an ONNX file can be wrong ends in a qdse::Error that says what and
// where; plus naming rules and describe_layers.
#include <gtest/gtest.h>
#include <torch/types.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "onnx_builder.hpp"
#include "qdse/core/error.hpp"
#include "qdse/io/onnx/describe.hpp"
#include "qdse/io/onnx/import_context.hpp"

namespace qdse::io {
namespace {

using test::OnnxBuilder;

void expect_error(const std::function<void()>& fn, ErrorKind kind, const std::vector<std::string>& needles) {
  try {
    fn();
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), kind) << e.what();
    for (const auto& s : needles) EXPECT_NE(std::string(e.what()).find(s), std::string::npos) << e.what();
  }
}

OnnxBuilder relu_model(int64_t opset = 13) {
  OnnxBuilder b(opset);
  b.input("x", {3}).output("y");
  b.node("Relu", {"x"}, {"y"}, "/act/Relu");
  return b;
}

std::string temp_dir() {
  auto dir = std::filesystem::temp_directory_path() / ("qdse_onnx_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir.string();
}

TEST(OnnxErrors, UnsupportedOpNamesOpNodeOpsetAndSupportedList) {
  OnnxBuilder b(13);
  b.input("x", {3}).output("y");
  b.node("Erf", {"x"}, {"y"}, "/gelu/Erf");
  expect_error([&] { b.import(); }, ErrorKind::UnsupportedOp,
               {"'Erf'", "/gelu/Erf", "opset 13", "Gemm", "MaxPool"});
  OnnxBuilder custom(13);
  custom.input("x", {3}).output("y");
  custom.node("Relu", {"x"}, {"y"}).set_domain("com.microsoft");
  expect_error([&] { custom.import(); }, ErrorKind::UnsupportedOp, {"com.microsoft.Relu"});
}

TEST(OnnxErrors, OpsetOutOfRange) {
  expect_error([] { relu_model(6).import(); }, ErrorKind::Import, {"opset 6", "7 to 18"});
  expect_error([] { relu_model(19).import(); }, ErrorKind::Import, {"opset 19"});
  EXPECT_NO_THROW(relu_model(7).import());
  EXPECT_NO_THROW(relu_model(18).import());
}

TEST(OnnxErrors, MultipleInputsOutputsAndDynamicDims) {
  auto two_in = relu_model();
  two_in.input("z", {3});
  expect_error([&] { two_in.import(); }, ErrorKind::Import, {"2 data inputs", "'x'", "'z'"});
  auto two_out = relu_model();
  two_out.output("x");
  expect_error([&] { two_out.import(); }, ErrorKind::Import, {"2 outputs"});
  auto dynamic = relu_model();
  dynamic.graph().mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim(1)->set_dim_param("features");
  expect_error([&] { dynamic.import(); }, ErrorKind::Import, {"dim 1 is dynamic", "input_shape"});
  OnnxImportOptions opts;
  opts.input_shape = {3};
  EXPECT_EQ(dynamic.import(opts).input_shape(), (std::vector<int64_t>{3}));
  opts.input_shape = {3, 1};
  EXPECT_THROW(dynamic.import(opts), Error);
}

TEST(OnnxErrors, InitializerFieldErrors) {
  auto make = [](const std::function<void(onnx::TensorProto&)>& edit) {
    OnnxBuilder b;
    b.input("x", {2}).output("y").initializer("W", torch::ones({2, 2}));
    b.node("MatMul", {"x", "W"}, {"y"});
    edit(*b.graph().mutable_initializer(0));
    return b;
  };
  expect_error([&] { make([](auto& t) { t.set_raw_data("abc"); }).import(); }, ErrorKind::Import,
               {"'W'", "raw_data has 3 bytes", "16"});
  expect_error([&] { make([](auto& t) { t.set_data_type(onnx::TensorProto::STRING); }).import(); },
               ErrorKind::Import, {"'W'", "data_type 8"});
  expect_error([&] { make([](auto& t) { t.set_dims(0, -2); }).import(); }, ErrorKind::Import, {"negative"});
  expect_error([&] { make([](auto& t) { t.set_dims(0, int64_t{1} << 40); }).import(); }, ErrorKind::Import,
               {"'W'"});
  expect_error(
      [&] {
        make([](auto& t) {
          t.clear_raw_data();
          t.add_float_data(1.0f);
        }).import();
      },
      ErrorKind::Import, {"float_data holds 1 values"});
  // A weight of the wrong shape for its op is named too.
  expect_error([&] { make([](auto& t) { t.clear_dims(); t.add_dims(4); }).import(); }, ErrorKind::Import,
               {"MatMul"});
}

TEST(OnnxErrors, WrongAttributeTypes) {
  OnnxBuilder b;
  b.input("x", {1, 4, 4}).output("y");
  auto& n = b.node("MaxPool", {"x"}, {"y"}, "/pool/MaxPool");
  OnnxBuilder::attr(n, "kernel_shape", std::string("2x2"));
  expect_error([&] { b.import(); }, ErrorKind::Import, {"kernel_shape", "INTS", "/pool/MaxPool"});
  OnnxBuilder c;
  c.input("x", {1, 4, 4}).output("y");
  auto& m = c.node("MaxPool", {"x"}, {"y"});
  OnnxBuilder::attr(m, "kernel_shape", std::vector<int64_t>{2, 2});
  OnnxBuilder::attr(m, "pads", std::vector<int64_t>{0, 1, 1, 0});
  expect_error([&] { c.import(); }, ErrorKind::Import, {"asymmetric pads"});
}

TEST(OnnxErrors, ExternalDataMissingAndPresent) {
  const std::string dir = temp_dir();
  auto make = [](const std::string& location) {
    OnnxBuilder b;
    b.input("x", {2}).output("y").initializer("W", torch::ones({2, 2}));
    b.node("MatMul", {"x", "W"}, {"y"});
    auto& t = *b.graph().mutable_initializer(0);
    t.clear_raw_data();
    t.set_data_location(onnx::TensorProto::EXTERNAL);
    auto* kv = t.add_external_data();
    kv->set_key("location");
    kv->set_value(location);
    return b;
  };
  const auto missing = make("weights.bin");
  {
    std::ofstream(dir + "/missing.onnx", std::ios::binary) << missing.bytes();
  }
  expect_error([&] { import_onnx(dir + "/missing.onnx"); }, ErrorKind::Io, {"weights.bin", "missing"});
  expect_error([&] { import_onnx_bytes(make("/etc/passwd").bytes()); }, ErrorKind::Import, {"relative"});
  expect_error([&] { import_onnx_bytes(make("../x.bin").bytes()); }, ErrorKind::Import, {"leaves"});
  {
    std::ofstream out(dir + "/weights.bin", std::ios::binary);
    const float w[4] = {1, 2, 3, 4};
    out.write(reinterpret_cast<const char*>(w), sizeof(w));
  }
  const auto g = import_onnx(dir + "/missing.onnx");
  EXPECT_TRUE(torch::equal(*g.node(0).param("weight"), torch::tensor({1.f, 3.f, 2.f, 4.f}).reshape({2, 2})));
  {
    std::ofstream out(dir + "/weights.bin", std::ios::binary);
    out << "xy";
  }
  expect_error([&] { import_onnx(dir + "/missing.onnx"); }, ErrorKind::Import, {"does not hold 16 bytes"});
  expect_error([&] { import_onnx(dir + "/no-such-model.onnx"); }, ErrorKind::Io, {"no-such-model.onnx"});
}

TEST(OnnxErrors, GraphStructure) {
  OnnxBuilder b;
  b.input("x", {2}).output("y");
  b.node("Relu", {"nowhere"}, {"y"}, "/act/Relu");
  expect_error([&] { b.import(); }, ErrorKind::Import, {"'nowhere'", "/act/Relu"});
  OnnxBuilder id;
  id.input("x", {2}).output("y");
  id.node("Identity", {"x"}, {"y"});
  expect_error([&] { id.import(); }, ErrorKind::Import, {"does not depend"});
  OnnxBuilder no_op;
  no_op.input("x", {2}).output("y");
  no_op.model().clear_opset_import();
  expect_error([&] { no_op.import(); }, ErrorKind::Import, {"opset"});
}

TEST(OnnxNaming, TorchScopesBecomeFxNames) {
  using onnx_detail::layer_name_from_onnx;
  EXPECT_EQ(layer_name_from_onnx("/seq_blocks/seq_blocks.1/Gemm"), "seq_blocks_1");
  EXPECT_EQ(layer_name_from_onnx("/layer1/layer1.0/conv1/Conv"), "layer1_0_conv1");
  EXPECT_EQ(layer_name_from_onnx("/fc/MatMul"), "fc");
  EXPECT_EQ(layer_name_from_onnx("/Flatten"), "");
  EXPECT_EQ(layer_name_from_onnx("Conv_0"), "");
  EXPECT_EQ(onnx_detail::sanitize_identifier("3x3 conv/a.b"), "_3x3_conv_a_b");
}

TEST(OnnxNaming, DuplicatesAndOddNamesBecomeUniqueIdentifiers) {
  OnnxBuilder b;
  b.input("x", {2}).output("y");
  b.node("Relu", {"x"}, {"a"}, "/block/Relu");
  b.node("Relu", {"a"}, {"b"}, "/block/Relu_1");
  b.node("Relu", {"b"}, {"c"}, "");
  b.node("Relu", {"c"}, {"d"}, "");
  b.node("Relu", {"d"}, {"e"}, "node #5");
  b.node("Relu", {"e"}, {"y"}, "9lives");
  const auto g = b.import();
  std::vector<std::string> names;
  for (const auto& n : g.nodes()) names.push_back(n.name);
  EXPECT_EQ(names, (std::vector<std::string>{"block", "block_1", "relu", "relu_1", "node_5", "_9lives"}));
}

TEST(OnnxDescribe, RowsHaveShapesParamsAndQuantizable) {
  OnnxBuilder b;
  b.input("x", {1, 4, 4}).output("y");
  b.initializer("W", torch::ones({2, 1, 3, 3})).initializer("B", torch::zeros({2}));
  auto& conv = b.node("Conv", {"x", "W", "B"}, {"c"}, "/conv/Conv");
  OnnxBuilder::attr(conv, "pads", std::vector<int64_t>{1, 1, 1, 1});
  b.node("Flatten", {"c"}, {"y"}, "/flat/Flatten");
  const auto rows = describe_layers(b.import());
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].name, "conv");
  EXPECT_EQ(rows[0].op, "conv2d");
  EXPECT_EQ(rows[0].output_shape, (std::vector<int64_t>{2, 4, 4}));
  EXPECT_EQ(rows[0].params, 20);
  EXPECT_TRUE(rows[0].quantizable);
  EXPECT_EQ(rows[1].output_shape, (std::vector<int64_t>{32}));
  EXPECT_FALSE(rows[1].quantizable);
  const auto table = format_layer_table(rows);
  EXPECT_NE(table.find("conv2d"), std::string::npos);
  EXPECT_NE(table.find("[2, 4, 4]"), std::string::npos);
}

}  // namespace
}  // namespace qdse::io
