// Shape rules and MAC counts per OpKind (op_shape.hpp). The rules follow what the
// libtorch op the interpreter calls for that kind would produce (exec/executor.cpp),
// including its broadcasting, pooling rounding and dimension wrapping, so shapes
// agree with a real forward pass without running one.
#include "qdse/ir/op_shape.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <string>

#include "qdse/core/error.hpp"

namespace qdse::ir {
namespace {

using Inputs = std::span<const Shape>;

std::string shape_text(const Shape& s) {
  std::string out = "[";
  for (std::size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

[[noreturn]] void shape_fail(const Node& node, const std::string& why) {
  throw Error(ErrorKind::InvalidArgument,
              "node '" + node.name + "' (" + std::string(to_string(node.op)) + ") failed: " + why);
}

const Shape& input_at(const Node& node, Inputs in, std::size_t i) {
  if (i >= in.size()) shape_fail(node, "expects at least " + std::to_string(i + 1) + " input(s)");
  return in[i];
}

std::optional<Shape> param_shape(const Node& node, const char* key) {
  const at::Tensor* t = node.param(key);
  if (!t || !t->defined()) return std::nullopt;
  return t->sizes().vec();
}

// A dimension index in [-rank, rank) made non-negative (rank 0 counts as 1, as torch).
int64_t wrap_dim(const Node& node, int64_t dim, int64_t rank) {
  const int64_t r = rank <= 0 ? 1 : rank;
  if (dim < -r || dim >= r)
    shape_fail(node, "dimension " + std::to_string(dim) + " out of range for rank " + std::to_string(rank));
  return dim < 0 ? dim + r : dim;
}

// NumPy/torch broadcasting of two shapes.
Shape broadcast(const Node& node, const Shape& a, const Shape& b) {
  const std::size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (std::size_t i = 0; i < n; ++i) {
    const int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    const int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    if (da != db && da != 1 && db != 1)
      shape_fail(node, "shapes " + shape_text(a) + " and " + shape_text(b) + " do not broadcast");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

// A 2-d op parameter (kernel, stride, ...) given as one value or two.
std::array<int64_t, 2> pair_of(const Node& node, const std::vector<int64_t>& v, const char* what) {
  if (v.size() == 1) return {v[0], v[0]};
  if (v.size() == 2) return {v[0], v[1]};
  shape_fail(node, std::string(what) + " needs 1 or 2 values, got " + std::to_string(v.size()));
}

int64_t floor_div(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

// --- per-op rules ---------------------------------------------------------------

Shape same_shape(const Node& node, Inputs in) { return input_at(node, in, 0); }

Shape linear_shape(const Node& node, Inputs in) {
  Shape x = input_at(node, in, 0);
  const auto w = param_shape(node, "weight");
  if (!w || w->empty() || w->size() > 2) shape_fail(node, "needs a 1-d or 2-d weight");
  if (x.empty() || x.back() != w->back())
    shape_fail(node, "input " + shape_text(x) + " does not match weight " + shape_text(*w));
  x.pop_back();
  if (w->size() == 2) x.push_back((*w)[0]);
  return x;
}

Shape conv2d_shape(const Node& node, Inputs in) {
  const Shape& x = input_at(node, in, 0);
  const auto w = param_shape(node, "weight");
  if (!w || w->size() != 4) shape_fail(node, "needs a 4-d weight");
  if (x.size() != 3 && x.size() != 4)
    shape_fail(node, "expects a 3-d or 4-d input, got " + shape_text(x));
  const auto& a = node.attrs;
  const auto stride = pair_of(node, a.stride, "stride");
  const auto padding = pair_of(node, a.padding, "padding");
  const auto dilation = pair_of(node, a.dilation, "dilation");
  const std::size_t c = x.size() - 3;  // channel axis: 0 unbatched, 1 batched
  if (a.groups <= 0 || x[c] != (*w)[1] * a.groups || (*w)[0] % a.groups != 0)
    shape_fail(node, "input " + shape_text(x) + " does not match weight " + shape_text(*w) +
                         " with groups " + std::to_string(a.groups));
  Shape out(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(c));
  out.push_back((*w)[0]);
  for (int d = 0; d < 2; ++d) {
    const int64_t padded = x[c + 1 + d] + 2 * padding[d];
    const int64_t span = dilation[d] * ((*w)[2 + d] - 1) + 1;
    if (stride[d] <= 0 || padded < span)
      shape_fail(node, "kernel " + shape_text(*w) + " does not fit input " + shape_text(x));
    out.push_back((padded - span) / stride[d] + 1);
  }
  return out;
}

Shape batch_norm_shape(const Node& node, Inputs in) {
  const Shape& x = input_at(node, in, 0);
  if (x.size() < 2) shape_fail(node, "expects an input with a channel axis, got " + shape_text(x));
  for (const char* key : {"weight", "bias", "running_mean", "running_var"})
    if (const at::Tensor* p = node.param(key); p && p->defined() && p->numel() != x[1])
      shape_fail(node, std::string(key) + " has " + std::to_string(p->numel()) + " elements for " +
                           std::to_string(x[1]) + " channels");
  return x;
}

// torch's pooling_output_shape: floor (or ceil) of the window count, and with
// ceil_mode the last window must start inside the (left-padded) input.
int64_t pooled_size(const Node& node, int64_t size, int64_t kernel, int64_t pad, int64_t stride,
                    int64_t dilation, bool ceil_mode) {
  if (kernel <= 0 || stride <= 0 || dilation <= 0) shape_fail(node, "kernel, stride and dilation must be > 0");
  if (pad > (dilation * (kernel - 1) + 1) / 2) shape_fail(node, "padding should be at most half of the kernel");
  int64_t out = floor_div(size + 2 * pad - dilation * (kernel - 1) - 1 + (ceil_mode ? stride - 1 : 0), stride) + 1;
  if (ceil_mode && (out - 1) * stride >= size + pad) --out;
  if (out < 1) shape_fail(node, "output size " + std::to_string(out) + " is too small");
  return out;
}

Shape pool_shape(const Node& node, Inputs in, bool with_dilation) {
  Shape x = input_at(node, in, 0);
  if (x.size() != 3 && x.size() != 4) shape_fail(node, "expects a 3-d or 4-d input, got " + shape_text(x));
  const auto& a = node.attrs;
  const auto kernel = pair_of(node, a.kernel, "kernel");
  const auto stride = pair_of(node, a.stride.empty() ? a.kernel : a.stride, "stride");
  const auto padding = a.padding.empty() ? std::array<int64_t, 2>{0, 0} : pair_of(node, a.padding, "padding");
  const auto dilation = !with_dilation || a.dilation.empty() ? std::array<int64_t, 2>{1, 1}
                                                            : pair_of(node, a.dilation, "dilation");
  for (int d = 0; d < 2; ++d) {
    int64_t& s = x[x.size() - 2 + d];
    s = pooled_size(node, s, kernel[d], padding[d], stride[d], dilation[d], a.ceil_mode);
  }
  return x;
}
Shape max_pool_shape(const Node& node, Inputs in) { return pool_shape(node, in, true); }
Shape avg_pool_shape(const Node& node, Inputs in) { return pool_shape(node, in, false); }

Shape adaptive_avg_pool_shape(const Node& node, Inputs in) {
  Shape x = input_at(node, in, 0);
  if (x.size() != 3 && x.size() != 4) shape_fail(node, "expects a 3-d or 4-d input, got " + shape_text(x));
  const auto& o = node.attrs.output_size;
  if (!o.empty() && o.size() != 2) shape_fail(node, "output_size needs 2 values");
  x[x.size() - 2] = o.empty() ? 1 : o[0];
  x[x.size() - 1] = o.empty() ? 1 : o[1];
  return x;
}

Shape flatten_shape(const Node& node, Inputs in) {
  const Shape& x = input_at(node, in, 0);
  if (x.empty()) return {1};
  const int64_t rank = static_cast<int64_t>(x.size());
  const int64_t start = wrap_dim(node, node.attrs.start_dim, rank);
  const int64_t end = wrap_dim(node, node.attrs.end_dim, rank);
  if (start > end) shape_fail(node, "start_dim cannot come after end_dim");
  Shape out(x.begin(), x.begin() + start);
  int64_t n = 1;
  for (int64_t d = start; d <= end; ++d) n *= x[d];
  out.push_back(n);
  out.insert(out.end(), x.begin() + end + 1, x.end());
  return out;
}

Shape add_shape(const Node& node, Inputs in) {
  Shape out = input_at(node, in, 0);
  for (std::size_t i = 1; i < in.size(); ++i) out = broadcast(node, out, in[i]);
  if (const auto c = param_shape(node, "operand")) out = broadcast(node, out, *c);  // ONNX constant
  return out;
}

// The two operands of sub/mul/div/matmul: a constant "operand" param takes slot
// attrs.const_operand, the data input the other (as executor.cpp's binary_operand).
std::array<Shape, 2> binary_operands(const Node& node, Inputs in) {
  const auto c = param_shape(node, "operand");
  if (!c) return {input_at(node, in, 0), input_at(node, in, 1)};
  const Shape& x = input_at(node, in, 0);
  return node.attrs.const_operand == 0 ? std::array<Shape, 2>{*c, x} : std::array<Shape, 2>{x, *c};
}

Shape elementwise_binary_shape(const Node& node, Inputs in) {
  const auto [a, b] = binary_operands(node, in);
  return broadcast(node, a, b);
}

// torch.matmul: a 1-d operand gains a dimension that is dropped again; the
// leading (batch) dimensions broadcast.
Shape matmul_shape(const Node& node, Inputs in) {
  auto [a, b] = binary_operands(node, in);
  if (a.empty() || b.empty()) shape_fail(node, "both operands need at least one dimension");
  const bool vec_a = a.size() == 1, vec_b = b.size() == 1;
  if (vec_a) a.insert(a.begin(), 1);
  if (vec_b) b.push_back(1);
  if (a.back() != b[b.size() - 2])
    shape_fail(node, "shapes " + shape_text(a) + " and " + shape_text(b) + " cannot be multiplied");
  Shape out = broadcast(node, Shape(a.begin(), a.end() - 2), Shape(b.begin(), b.end() - 2));
  if (!vec_a) out.push_back(a[a.size() - 2]);
  if (!vec_b) out.push_back(b.back());
  return out;
}

Shape reshape_shape(const Node& node, Inputs in) {
  const Shape& x = input_at(node, in, 0);
  if (x.empty()) shape_fail(node, "expects a batch dimension");
  Shape out = {x[0]};  // the batch dimension is kept
  out.insert(out.end(), node.attrs.shape.begin(), node.attrs.shape.end());
  int64_t numel = 1, known = 1;
  for (int64_t d : x) numel *= d;
  std::optional<std::size_t> infer;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out[i] == -1 && !infer) infer = i;
    else if (out[i] < 0) shape_fail(node, "invalid target shape " + shape_text(out));
    else known *= out[i];
  }
  if (infer) {
    if (known == 0 || numel % known != 0)
      shape_fail(node, "shape " + shape_text(out) + " is invalid for input " + shape_text(x));
    out[*infer] = numel / known;
  } else if (known != numel) {
    shape_fail(node, "shape " + shape_text(out) + " is invalid for input " + shape_text(x));
  }
  return out;
}

Shape permute_shape(const Node& node, Inputs in) {
  const Shape& x = input_at(node, in, 0);
  const auto& perm = node.attrs.perm;
  if (perm.size() != x.size()) shape_fail(node, "permutation does not match input " + shape_text(x));
  Shape out;
  std::vector<bool> seen(x.size(), false);
  for (int64_t p : perm) {
    const int64_t d = wrap_dim(node, p, static_cast<int64_t>(x.size()));
    if (seen[d]) shape_fail(node, "permutation repeats dimension " + std::to_string(d));
    seen[d] = true;
    out.push_back(x[d]);
  }
  return out;
}

Shape squeeze_shape(const Node& node, Inputs in) {
  Shape out = input_at(node, in, 0);
  const auto& axes = node.attrs.axes;
  for (auto it = axes.rbegin(); it != axes.rend(); ++it) {
    if (out.empty()) continue;  // torch: squeezing a scalar leaves it
    const int64_t d = wrap_dim(node, *it, static_cast<int64_t>(out.size()));
    if (out[d] == 1) out.erase(out.begin() + d);  // a dimension that is not 1 stays
  }
  return out;
}

Shape unsqueeze_shape(const Node& node, Inputs in) {
  Shape out = input_at(node, in, 0);
  for (int64_t axis : node.attrs.axes) {  // sorted ascending
    const int64_t d = wrap_dim(node, axis, static_cast<int64_t>(out.size()) + 1);
    out.insert(out.begin() + d, 1);
  }
  return out;
}

Shape cat_shape(const Node& node, Inputs in) {
  Shape out = input_at(node, in, 0);
  const int64_t dim = wrap_dim(node, node.attrs.dim, static_cast<int64_t>(out.size()));
  for (std::size_t i = 1; i < in.size(); ++i) {
    const Shape& s = in[i];
    bool fits = s.size() == out.size();
    for (std::size_t d = 0; fits && d < s.size(); ++d) fits = static_cast<int64_t>(d) == dim || s[d] == out[d];
    if (!fits) shape_fail(node, "inputs " + shape_text(in[0]) + " and " + shape_text(s) + " cannot be joined");
    out[dim] += s[dim];
  }
  return out;
}

Shape slice_shape(const Node& node, Inputs in) {
  Shape out = input_at(node, in, 0);
  const int64_t dim = wrap_dim(node, node.attrs.dim, static_cast<int64_t>(out.size()));
  const auto& a = node.attrs;
  if (dim == 0 || a.slice_step < 1 || a.slice_start < 0 || a.slice_end > out[dim] || a.slice_start > a.slice_end)
    shape_fail(node, "slice [" + std::to_string(a.slice_start) + ", " + std::to_string(a.slice_end) + ") step " +
                         std::to_string(a.slice_step) + " does not fit axis " + std::to_string(dim) + " of " +
                         shape_text(out));
  out[dim] = (a.slice_end - a.slice_start + a.slice_step - 1) / a.slice_step;
  return out;
}

Shape softmax_shape(const Node& node, Inputs in) {
  const Shape& x = input_at(node, in, 0);
  wrap_dim(node, node.attrs.dim, static_cast<int64_t>(x.size()));
  return x;
}

// --- MACs -----------------------------------------------------------------------

int64_t no_macs(const Node&, const Shape&) { return 0; }

int64_t weight_elements(const Node& node) {
  const at::Tensor* w = node.param("weight");
  return w ? w->numel() : 0;
}

int64_t linear_macs(const Node& node, const Shape& s) {
  int64_t rows = 1;  // leading dims beyond the batch (e.g. a sequence) repeat the GEMV
  for (std::size_t d = 0; d + 1 < s.size(); ++d) rows *= s[d];
  return rows * weight_elements(node);
}

int64_t conv2d_macs(const Node& node, const Shape& s) {
  // s = [C_out, H, W]; each output element needs C_in/groups * kh * kw MACs = w.numel() / C_out.
  return (s.size() == 3 ? s[1] * s[2] : 1) * weight_elements(node);
}

struct ShapeRule {
  OpKind kind;
  Shape (*shape)(const Node&, Inputs);
  int64_t (*macs)(const Node&, const Shape&);
};

constexpr std::array<ShapeRule, kOpKindCount> kShapeRules = {{
    {OpKind::Linear, linear_shape, linear_macs},
    {OpKind::Conv2d, conv2d_shape, conv2d_macs},
    {OpKind::BatchNorm1d, batch_norm_shape, no_macs},
    {OpKind::BatchNorm2d, batch_norm_shape, no_macs},
    {OpKind::Relu, same_shape, no_macs},
    {OpKind::MaxPool2d, max_pool_shape, no_macs},
    {OpKind::AvgPool2d, avg_pool_shape, no_macs},
    {OpKind::AdaptiveAvgPool2d, adaptive_avg_pool_shape, no_macs},
    {OpKind::Flatten, flatten_shape, no_macs},
    {OpKind::Add, add_shape, no_macs},
    {OpKind::Dropout, same_shape, no_macs},
    {OpKind::Softmax, softmax_shape, no_macs},
    {OpKind::Sub, elementwise_binary_shape, no_macs},
    {OpKind::Mul, elementwise_binary_shape, no_macs},
    {OpKind::Div, elementwise_binary_shape, no_macs},
    {OpKind::MatMul, matmul_shape, no_macs},
    {OpKind::LeakyRelu, same_shape, no_macs},
    {OpKind::Clamp, same_shape, no_macs},
    {OpKind::Sigmoid, same_shape, no_macs},
    {OpKind::Tanh, same_shape, no_macs},
    {OpKind::Reshape, reshape_shape, no_macs},
    {OpKind::Permute, permute_shape, no_macs},
    {OpKind::Squeeze, squeeze_shape, no_macs},
    {OpKind::Unsqueeze, unsqueeze_shape, no_macs},
    {OpKind::Cat, cat_shape, no_macs},
    {OpKind::Slice, slice_shape, no_macs},
}};

constexpr bool shape_rules_in_order() {
  for (std::size_t i = 0; i < kShapeRules.size(); ++i)
    if (static_cast<std::size_t>(kShapeRules[i].kind) != i) return false;
  return true;
}
static_assert(shape_rules_in_order(), "kShapeRules rows must follow OpKind order");

const ShapeRule& shape_rule(OpKind kind) {
  if (kind == OpKind::kCount) throw Error(ErrorKind::UnsupportedOp, "op kind out of range");
  return kShapeRules.at(static_cast<std::size_t>(kind));
}

}  // namespace

Shape infer_node_shape(const Node& node, std::span<const Shape> inputs) {
  return shape_rule(node.op).shape(node, inputs);
}

int64_t node_macs(const Node& node, const Shape& sample_shape) {
  if (!node.param("weight")) return 0;
  return shape_rule(node.op).macs(node, sample_shape);
}

std::vector<Shape> infer_shapes(const Graph& graph) {
  // Batch dimension 2 (any size would do; 2 is what a batch-norm forward accepts).
  Shape input = {2};
  input.insert(input.end(), graph.input_shape().begin(), graph.input_shape().end());
  std::vector<Shape> batched(graph.size());
  std::vector<Shape> inputs;
  for (std::size_t i = 0; i < graph.size(); ++i) {
    const Node& node = graph.node(static_cast<int>(i));
    inputs.clear();
    for (int src : node.inputs) inputs.push_back(src == kGraphInput ? input : batched[src]);
    batched[i] = infer_node_shape(node, inputs);
  }
  std::vector<Shape> out;
  out.reserve(batched.size());
  for (const Shape& s : batched) out.emplace_back(s.empty() ? s.begin() : s.begin() + 1, s.end());
  return out;
}

std::vector<int64_t> node_macs(const Graph& graph) {
  const auto shapes = infer_shapes(graph);
  std::vector<int64_t> macs(graph.size(), 0);
  for (std::size_t i = 0; i < graph.size(); ++i) macs[i] = node_macs(graph.node(static_cast<int>(i)), shapes[i]);
  return macs;
}

}  // namespace qdse::ir
