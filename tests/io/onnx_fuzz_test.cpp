// Fuzz-style robustness: truncated, random and bit-flipped model bytes must give
// a qdse::Error or a valid graph, never a crash, hang or huge allocation.
#include <gtest/gtest.h>
#include <torch/types.h>
#include <torch/utils.h>

#include <random>

#include "onnx_builder.hpp"
#include "qdse/core/error.hpp"
#include "qdse/exec/executor.hpp"

namespace qdse::io {
namespace {

using test::OnnxBuilder;

// A small model touching many handlers: Conv, BN, Relu, MaxPool, Reshape, Gemm, Softmax.
std::string valid_model() {
  OnnxBuilder b;
  b.input("input", {1, 6, 6}).output("y");
  b.initializer("c.weight", torch::randn({2, 1, 3, 3})).initializer("c.bias", torch::randn({2}));
  b.initializer("s", torch::ones({2})).initializer("b", torch::zeros({2}));
  b.initializer("m", torch::zeros({2})).initializer("v", torch::ones({2}));
  b.initializer("shape", torch::tensor({0, -1}, torch::kInt64));
  b.initializer("fc.weight", torch::randn({3, 18})).initializer("fc.bias", torch::randn({3}));
  auto& conv = b.node("Conv", {"input", "c.weight", "c.bias"}, {"c"}, "/c/Conv");
  OnnxBuilder::attr(conv, "pads", std::vector<int64_t>{1, 1, 1, 1});
  OnnxBuilder::attr(conv, "kernel_shape", std::vector<int64_t>{3, 3});
  b.node("BatchNormalization", {"c", "s", "b", "m", "v"}, {"n"}, "/bn/BatchNormalization");
  b.node("Relu", {"n"}, {"r"}, "/act/Relu");
  auto& pool = b.node("MaxPool", {"r"}, {"p"}, "/pool/MaxPool");
  OnnxBuilder::attr(pool, "kernel_shape", std::vector<int64_t>{2, 2});
  OnnxBuilder::attr(pool, "strides", std::vector<int64_t>{2, 2});
  b.node("Reshape", {"p", "shape"}, {"f"}, "/Reshape");
  auto& gemm = b.node("Gemm", {"f", "fc.weight", "fc.bias"}, {"g"}, "/fc/Gemm");
  OnnxBuilder::attr(gemm, "transB", int64_t{1});
  auto& sm = b.node("Softmax", {"g"}, {"y"}, "/Softmax");
  OnnxBuilder::attr(sm, "axis", int64_t{-1});
  return b.bytes();
}

// Imports and, when that succeeds, runs the graph once: both must either work or
// throw qdse::Error. Returns whether the import succeeded.
bool import_or_error(const std::string& bytes) {
  try {
    const auto g = import_onnx_bytes(bytes);
    torch::NoGradGuard no_grad;
    std::vector<int64_t> shape = {2};
    shape.insert(shape.end(), g.input_shape().begin(), g.input_shape().end());
    exec::Executor(g).forward(torch::randn(shape));
    return true;
  } catch (const Error&) {
    return false;
  }
}

TEST(OnnxFuzz, ValidModelImports) { EXPECT_TRUE(import_or_error(valid_model())); }

TEST(OnnxFuzz, TruncatedFilesAreErrors) {
  const std::string bytes = valid_model();
  int imported = 0;
  for (std::size_t cut = 0; cut < bytes.size(); cut += 1 + cut / 64) {
    // No truncation can keep the graph and the last initializers together in a
    // usable state, but whatever it gives must be an Error or a runnable graph.
    imported += import_or_error(bytes.substr(0, cut)) ? 1 : 0;
  }
  EXPECT_EQ(imported, 0);
}

TEST(OnnxFuzz, RandomBytesAreErrors) {
  std::mt19937 rng(1);
  for (int i = 0; i < 300; ++i) {
    std::string bytes(rng() % 512, '\0');
    for (auto& ch : bytes) ch = static_cast<char>(rng());
    EXPECT_FALSE(import_or_error(bytes));
  }
}

TEST(OnnxFuzz, ByteFlipsNeverCrash) {
  const std::string bytes = valid_model();
  std::mt19937 rng(2);
  int errors = 0;
  for (int i = 0; i < 600; ++i) {
    std::string mutated = bytes;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < flips; ++k) mutated[rng() % mutated.size()] ^= static_cast<char>(1 + rng() % 255);
    errors += import_or_error(mutated) ? 0 : 1;
  }
  // Flips inside float weights leave a valid model; many others must be caught.
  EXPECT_GT(errors, 0);
}

}  // namespace
}  // namespace qdse::io
