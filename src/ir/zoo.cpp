#include "qdse/ir/zoo.hpp"

#include <torch/types.h>

#include <cmath>
#include <functional>

#include "qdse/core/error.hpp"

namespace qdse::ir {
namespace {

// Assembles a sequential stack under a module path prefix, giving nodes the fx
// names "<prefix>_<i>" that MASE would give to "<prefix>.<i>".
class StackBuilder {
 public:
  StackBuilder(Graph& g, std::string prefix, uint64_t seed)
      : g_(g), prefix_(std::move(prefix)), gen_(at::make_generator<at::CPUGeneratorImpl>(seed)) {}

  void linear(int64_t in, int64_t out) {
    Node n = next(OpKind::Linear);
    n.attrs.in_features = in;
    n.attrs.out_features = out;
    n.params["weight"] = uniform({out, in}, in);
    n.params["bias"] = uniform({out}, in);
    push(std::move(n));
  }
  void conv2d(int64_t in, int64_t out, int64_t k, int64_t pad) {
    Node n = next(OpKind::Conv2d);
    n.attrs.in_channels = in;
    n.attrs.out_channels = out;
    n.attrs.kernel = {k, k};
    n.attrs.stride = {1, 1};
    n.attrs.padding = {pad, pad};
    n.attrs.dilation = {1, 1};
    n.params["weight"] = uniform({out, in, k, k}, in * k * k);
    n.params["bias"] = uniform({out}, in * k * k);
    push(std::move(n));
  }
  void batch_norm1d(int64_t features) {
    Node n = next(OpKind::BatchNorm1d);
    n.attrs.num_features = features;
    n.params["weight"] = torch::ones({features});
    n.params["bias"] = torch::zeros({features});
    n.params["running_mean"] = torch::zeros({features});
    n.params["running_var"] = torch::ones({features});
    push(std::move(n));
  }
  void relu() { push(next(OpKind::Relu)); }
  void flatten() { push(next(OpKind::Flatten)); }
  // The blocks MASE's JSC and Fashion-MNIST models are stacked from; each is its
  // layers in order, so the node names are those of the layers written out.
  void batch_norm_relu(int64_t features) {
    batch_norm1d(features);
    relu();
  }
  void linear_relu(int64_t in, int64_t out) {
    linear(in, out);
    relu();
  }
  void linear_batch_norm_relu(int64_t in, int64_t out) {
    linear(in, out);
    batch_norm_relu(out);
  }
  void conv2d_relu_pool(int64_t in, int64_t out, int64_t k, int64_t pad, int64_t pool) {
    conv2d(in, out, k, pad);
    relu();
    max_pool2d(pool);
  }
  void max_pool2d(int64_t k) {
    Node n = next(OpKind::MaxPool2d);
    n.attrs.kernel = {k, k};
    n.attrs.stride = {k, k};
    n.attrs.padding = {0, 0};
    n.attrs.dilation = {1, 1};
    push(std::move(n));
  }

 private:
  Node next(OpKind op) {
    Node n;
    n.name = prefix_ + "_" + std::to_string(index_++);
    n.op = op;
    n.inputs = {last_};
    return n;
  }
  void push(Node n) { last_ = g_.add(std::move(n)); }
  // PyTorch's default init for linear/conv weights (kaiming_uniform with a=sqrt(5))
  // and biases both reduce to U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
  at::Tensor uniform(std::vector<int64_t> shape, int64_t fan_in) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
    return torch::rand(shape, gen_, torch::kFloat32) * (2 * bound) - bound;
  }

  Graph& g_;
  std::string prefix_;
  at::Generator gen_;
  int index_ = 0;
  int last_ = kGraphInput;
};

struct Recipe {
  ZooEntry entry;
  std::vector<int64_t> input_shape;
  std::string prefix;
  std::function<void(StackBuilder&)> build;
};

const std::vector<Recipe>& recipes() {
  static const std::vector<Recipe> kRecipes = {
      {{"jsc-tiny", "jsc", "MASE JSC_Tiny: BatchNorm1d(16), ReLU, Linear(16,5), ReLU"},
       {16},
       "seq_blocks",
       [](StackBuilder& b) {
         b.batch_norm_relu(16);
         b.linear_relu(16, 5);
       }},
      {{"jsc-toy", "jsc", "MASE JSC_Toy: three Linear+BatchNorm1d+ReLU blocks, 16-8-8-5"},
       {16},
       "seq_blocks",
       [](StackBuilder& b) {
         b.batch_norm_relu(16);
         b.linear_batch_norm_relu(16, 8);
         b.linear_batch_norm_relu(8, 8);
         b.linear_batch_norm_relu(8, 5);
       }},
      {{"jsc-s", "jsc", "MASE JSC_S: 16-64-32-32-32-5 MLP with input/first/last BatchNorm1d"},
       {16},
       "module_list",
       [](StackBuilder& b) {
         b.batch_norm_relu(16);
         b.linear_batch_norm_relu(16, 64);
         b.linear_relu(64, 32);
         b.linear_relu(32, 32);
         b.linear_relu(32, 32);
         b.linear_batch_norm_relu(32, 5);
       }},
      {{"fmnist-mlp", "fashion_mnist", "Flatten, Linear(784,256), ReLU, Linear(256,128), ReLU, Linear(128,10)"},
       {1, 28, 28},
       "seq_blocks",
       [](StackBuilder& b) {
         b.flatten();
         b.linear_relu(784, 256);
         b.linear_relu(256, 128);
         b.linear(128, 10);
       }},
      {{"fmnist-cnn", "fashion_mnist",
        "Conv2d(1,8,3,p1), ReLU, MaxPool2d(2), Conv2d(8,16,3,p1), ReLU, MaxPool2d(2), Flatten, Linear(784,10)"},
       {1, 28, 28},
       "seq_blocks",
       [](StackBuilder& b) {
         b.conv2d_relu_pool(1, 8, 3, 1, 2);
         b.conv2d_relu_pool(8, 16, 3, 1, 2);
         b.flatten();
         b.linear(784, 10);
       }},
  };
  return kRecipes;
}

}  // namespace

const std::vector<ZooEntry>& zoo_models() {
  static const std::vector<ZooEntry> kEntries = [] {
    std::vector<ZooEntry> out;
    for (const auto& r : recipes()) out.push_back(r.entry);
    return out;
  }();
  return kEntries;
}

Graph build_zoo_model(const std::string& name, uint64_t seed) {
  for (const auto& r : recipes()) {
    if (r.entry.name != name) continue;
    Graph g(name, r.input_shape);
    StackBuilder b(g, r.prefix, seed);
    r.build(b);
    return g;
  }
  std::string valid;
  for (const auto& r : recipes()) valid += (valid.empty() ? "" : ", ") + r.entry.name;
  throw Error(ErrorKind::Config, "unknown model '" + name + "'; built-in models are: " + valid +
                                     " (or give a path to an .onnx file)");
}

}  // namespace qdse::ir
