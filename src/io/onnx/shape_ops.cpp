// Shape ops: Flatten, Reshape, Transpose, Squeeze, Unsqueeze, Concat, plus the
// pass-throughs Identity, Dropout and Constant, and Shape / Gather / Cast for the shape
// arithmetic of dynamic-batch exports. qdse runs batches, so the batch
// axis (0) must stay first: an op that moves or merges it is an error. Ops on
// constants only (shape arithmetic in exported graphs) are evaluated at import.
#include <torch/types.h>

#include <algorithm>
#include <limits>

#include "qdse/io/onnx/import_context.hpp"

namespace qdse::io::onnx_detail {
namespace {

// Emits one `op` node with `attrs` on the ONNX node's first input (its other inputs, if
// any, are constants the import has folded into `attrs`).
void emit_unary(ImportContext& c, const onnx::NodeProto& n, ir::OpKind op, ir::Attrs attrs) {
  ir::Node node;
  node.op = op;
  node.attrs = std::move(attrs);
  c.emit(n, std::move(node), {n.input(0)});
}

void flatten(ImportContext& c, const onnx::NodeProto& n) {
  const int64_t rank = c.input_rank(n, 0);
  const int64_t axis = attr_int(c, n, "axis", 1);
  const int64_t a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a > rank) c.fail(n, "axis " + std::to_string(axis) + " is out of range");
  if (c.is_constant_input(n, 0)) {
    const at::Tensor& t = c.constant_input(n, 0);
    int64_t lead = 1;
    for (int64_t i = 0; i < a; ++i) lead *= t.size(i);
    c.define_constant(n.output(0), t.reshape({lead, lead == 0 ? 0 : t.numel() / std::max<int64_t>(lead, 1)}));
    return;
  }
  if (a != 1) c.fail(n, "axis " + std::to_string(axis) + " would merge the batch axis; only axis 1 is supported");
  emit_unary(c, n, ir::OpKind::Flatten, {.start_dim = 1, .end_dim = -1});
}

void reshape(ImportContext& c, const onnx::NodeProto& n) {
  std::vector<int64_t> target = to_int_vector(c, n, c.constant_input(n, 1));
  const bool allow_zero = attr_int(c, n, "allowzero", 0) != 0;
  const bool constant = c.is_constant_input(n, 0);
  const at::Tensor in = constant ? c.constant_input(n, 0) : c.data_input(n, 0).sample;
  if (std::count(target.begin(), target.end(), -1) > 1) c.fail(n, "shape has more than one -1");
  for (std::size_t i = 0; i < target.size(); ++i) {
    if (target[i] < -1) c.fail(n, "shape value " + std::to_string(target[i]) + " is invalid");
    if (target[i] == 0 && !allow_zero) {
      if (static_cast<int64_t>(i) >= in.dim()) c.fail(n, "shape copies (0) a dim the input lacks");
      target[i] = in.size(static_cast<int64_t>(i));
    }
  }
  if (constant) {
    c.define_constant(n.output(0), in.reshape(target));
    return;
  }
  // The first target dim is the batch: copied (0), inferred (-1) or the exported
  // batch size (1). Everything else is one sample's shape.
  if (target.empty() || (target[0] != in.size(0) && target[0] != -1))
    c.fail(n, "the target shape must keep the batch first (0, -1 or the batch size), got " +
                  c10::str(c10::IntArrayRef(target)));
  std::vector<int64_t> rest(target.begin() + 1, target.end());
  if (target[0] == -1 && std::count(rest.begin(), rest.end(), -1) > 0)
    c.fail(n, "cannot infer two dims with -1");
  emit_unary(c, n, ir::OpKind::Reshape, {.shape = rest});
}

void transpose(ImportContext& c, const onnx::NodeProto& n) {
  const int64_t rank = c.input_rank(n, 0);
  std::vector<int64_t> def(rank);
  for (int64_t i = 0; i < rank; ++i) def[i] = rank - 1 - i;
  std::vector<int64_t> perm = attr_ints(c, n, "perm", def);
  std::vector<int64_t> sorted = perm;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t i = 0; i < rank; ++i)
    if (static_cast<int64_t>(sorted.size()) != rank || sorted[i] != i)
      c.fail(n, "perm is not a permutation of 0.." + std::to_string(rank - 1));
  if (c.is_constant_input(n, 0)) {
    c.define_constant(n.output(0), c.constant_input(n, 0).permute(perm).contiguous());
    return;
  }
  if (perm.empty() || perm[0] != 0) c.fail(n, "perm moves the batch axis; perm[0] must be 0");
  emit_unary(c, n, ir::OpKind::Permute, {.perm = perm});
}

// Axes come from an attribute before opset 13 and from input 1 from 13 on.
std::optional<std::vector<int64_t>> axes_of(ImportContext& c, const onnx::NodeProto& n) {
  if (c.opset() < 13) {
    if (!find_attr(n, "axes")) return std::nullopt;
    return attr_ints(c, n, "axes", {});
  }
  if (!c.has_input(n, 1)) return std::nullopt;
  return to_int_vector(c, n, c.constant_input(n, 1));
}

std::vector<int64_t> normalized_sorted(ImportContext& c, const onnx::NodeProto& n,
                                       std::vector<int64_t> axes, int64_t rank) {
  for (auto& a : axes) a = normalize_axis(c, n, a, rank);
  std::sort(axes.begin(), axes.end());
  if (std::adjacent_find(axes.begin(), axes.end()) != axes.end()) c.fail(n, "axes repeat");
  return axes;
}

// The common tail of Squeeze and Unsqueeze: folded on constants, else one node holding
// the sorted axes, which must leave the batch axis alone.
void finish_axes_op(ImportContext& c, const onnx::NodeProto& n, ir::OpKind op, bool constant, const at::Tensor& in,
                    const std::vector<int64_t>& axes) {
  const bool squeeze = op == ir::OpKind::Squeeze;
  if (constant) {
    at::Tensor out = in;
    if (squeeze)
      for (auto it = axes.rbegin(); it != axes.rend(); ++it) out = out.squeeze(*it);
    else
      for (int64_t a : axes) out = out.unsqueeze(a);
    c.define_constant(n.output(0), out);
    return;
  }
  if (!axes.empty() && axes[0] == 0)
    c.fail(n, squeeze ? "squeezing the batch axis is not supported"
                      : "inserting an axis before the batch is not supported");
  emit_unary(c, n, op, {.axes = axes});
}

void squeeze(ImportContext& c, const onnx::NodeProto& n) {
  const bool constant = c.is_constant_input(n, 0);
  const at::Tensor in = constant ? c.constant_input(n, 0) : c.data_input(n, 0).sample;
  auto given = axes_of(c, n);
  std::vector<int64_t> axes;
  if (given) {
    axes = normalized_sorted(c, n, *given, in.dim());
  } else {
    for (int64_t i = constant ? 0 : 1; i < in.dim(); ++i)
      if (in.size(i) == 1) axes.push_back(i);
  }
  for (int64_t a : axes)
    if (in.size(a) != 1) c.fail(n, "axis " + std::to_string(a) + " has size " + std::to_string(in.size(a)) + ", not 1");
  finish_axes_op(c, n, ir::OpKind::Squeeze, constant, in, axes);
}

void unsqueeze(ImportContext& c, const onnx::NodeProto& n) {
  const bool constant = c.is_constant_input(n, 0);
  const at::Tensor in = constant ? c.constant_input(n, 0) : c.data_input(n, 0).sample;
  auto given = axes_of(c, n);
  if (!given) c.fail(n, "axes are required");
  const auto axes = normalized_sorted(c, n, *given, in.dim() + static_cast<int64_t>(given->size()));
  finish_axes_op(c, n, ir::OpKind::Unsqueeze, constant, in, axes);
}

void concat(ImportContext& c, const onnx::NodeProto& n) {
  if (!find_attr(n, "axis")) c.fail(n, "attribute 'axis' is required");
  if (n.input_size() < 1) c.fail(n, "has no inputs");
  int constants = 0;
  for (int i = 0; i < n.input_size(); ++i) constants += c.is_constant_input(n, i) ? 1 : 0;
  const int64_t axis = normalize_axis(c, n, attr_int(c, n, "axis", 0), c.input_rank(n, 0));
  if (constants == n.input_size()) {
    std::vector<at::Tensor> parts;
    for (int i = 0; i < n.input_size(); ++i) parts.push_back(c.constant_input(n, i));
    c.define_constant(n.output(0), torch::cat(parts, axis));
    return;
  }
  if (constants > 0) c.fail(n, "mixing constant and data inputs is not supported");
  if (axis == 0) c.fail(n, "concatenating along the batch axis is not supported");
  std::vector<std::string> inputs(n.input().begin(), n.input().end());
  ir::Node node;
  node.op = ir::OpKind::Cat;
  node.attrs.dim = axis;
  c.emit(n, std::move(node), inputs);
}

// Shape of a data value is known at import except for the batch, which the sample holds
// as 1: dynamic-batch exports compute view/reshape sizes from it (Shape -> Gather ->
// Unsqueeze -> Concat -> Reshape), and Reshape takes a leading 1 as the batch.
void shape(ImportContext& c, const onnx::NodeProto& n) {
  const bool constant = c.is_constant_input(n, 0);
  const at::Tensor in = constant ? c.constant_input(n, 0) : c.data_input(n, 0).sample;
  const int64_t rank = in.dim();
  int64_t start = attr_int(c, n, "start", 0), end = attr_int(c, n, "end", rank);
  if (start < 0) start += rank;
  if (end < 0) end += rank;
  start = std::clamp<int64_t>(start, 0, rank);
  end = std::clamp<int64_t>(end, start, rank);
  std::vector<int64_t> dims(in.sizes().begin() + start, in.sizes().begin() + end);
  c.define_constant(n.output(0), torch::tensor(dims, at::kLong));
}

// Gather on constants (shape arithmetic); gathering from data (embeddings) is refused.
void gather(ImportContext& c, const onnx::NodeProto& n) {
  if (!c.is_constant_input(n, 0) || !c.is_constant_input(n, 1))
    c.fail(n, "gathering from data is not supported (only shape arithmetic on constants)");
  const at::Tensor& data = c.constant_input(n, 0);
  at::Tensor index = c.constant_input(n, 1).to(at::kLong);
  if (data.dim() == 0) c.fail(n, "data must have rank >= 1");
  const int64_t axis = normalize_axis(c, n, attr_int(c, n, "axis", 0), data.dim());
  const int64_t size = data.size(axis);
  if ((index < -size).any().item<bool>() || (index >= size).any().item<bool>())
    c.fail(n, "an index is out of range for axis size " + std::to_string(size));
  index = torch::where(index < 0, index + size, index);
  // Output shape: data.shape[:axis] + index.shape + data.shape[axis+1:].
  std::vector<int64_t> out_shape(data.sizes().begin(), data.sizes().begin() + axis);
  out_shape.insert(out_shape.end(), index.sizes().begin(), index.sizes().end());
  out_shape.insert(out_shape.end(), data.sizes().begin() + axis + 1, data.sizes().end());
  c.define_constant(n.output(0), data.index_select(axis, index.reshape({-1})).reshape(out_shape));
}

// Slice with positive steps: folded on constants; on data one `slice` node per sliced
// axis (shufflenet's channel split), never the batch axis unless it keeps all of it.
void slice(ImportContext& c, const onnx::NodeProto& n) {
  std::vector<int64_t> starts, ends, axes, steps;
  if (c.opset() < 10) {
    starts = attr_ints(c, n, "starts", {});
    ends = attr_ints(c, n, "ends", {});
    axes = attr_ints(c, n, "axes", {});
  } else {
    starts = to_int_vector(c, n, c.constant_input(n, 1));
    ends = to_int_vector(c, n, c.constant_input(n, 2));
    if (c.has_input(n, 3)) axes = to_int_vector(c, n, c.constant_input(n, 3));
    if (c.has_input(n, 4)) steps = to_int_vector(c, n, c.constant_input(n, 4));
  }
  const bool constant = c.is_constant_input(n, 0);
  const at::Tensor in = constant ? c.constant_input(n, 0) : c.data_input(n, 0).sample;
  if (starts.size() != ends.size()) c.fail(n, "starts and ends differ in length");
  if (axes.empty())
    for (std::size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (axes.size() != starts.size() || steps.size() != starts.size())
    c.fail(n, "starts, ends, axes and steps differ in length");
  struct Cut { int64_t axis, start, end, step; };
  std::vector<Cut> cuts;
  for (std::size_t i = 0; i < starts.size(); ++i) {
    const int64_t axis = normalize_axis(c, n, axes[i], in.dim());
    const int64_t size = in.size(axis);
    if (steps[i] < 1) c.fail(n, "step " + std::to_string(steps[i]) + " is not supported (only positive steps)");
    auto clamp_bound = [size](int64_t v) { return std::clamp<int64_t>(v < 0 ? v + size : v, 0, size); };
    Cut cut{axis, clamp_bound(starts[i]), clamp_bound(ends[i]), steps[i]};
    cut.end = std::max(cut.end, cut.start);
    if (axis == 0 && !constant) {
      // The sample's batch is 1; a slice that keeps every sample (0 to the end) is fine.
      if (cut.start != 0 || cut.step != 1 || (ends[i] >= 0 && ends[i] < std::numeric_limits<int32_t>::max()))
        c.fail(n, "slicing the batch axis is not supported");
      continue;
    }
    cuts.push_back(cut);
  }
  if (constant) {
    at::Tensor out = in;
    for (const auto& k : cuts) out = out.slice(k.axis, k.start, k.end, k.step);
    c.define_constant(n.output(0), out.contiguous());
    return;
  }
  if (cuts.empty()) {
    c.alias_output(n, c.value(n, n.input(0)));
    return;
  }
  std::string from = n.input(0);
  for (const auto& k : cuts) {
    ir::Node node;
    node.op = ir::OpKind::Slice;
    node.attrs.dim = k.axis;
    node.attrs.slice_start = k.start;
    node.attrs.slice_end = k.end;
    node.attrs.slice_step = k.step;
    c.emit(n, std::move(node), {from});
    from = n.output(0);
  }
}

// Cast of constants only (shape arithmetic); a cast of data is refused.
void cast(ImportContext& c, const onnx::NodeProto& n) {
  if (!c.is_constant_input(n, 0)) c.fail(n, "casting data is not supported (only constants)");
  const int64_t to = attr_int(c, n, "to", 0);
  const at::Tensor& t = c.constant_input(n, 0);
  switch (to) {
    case onnx::TensorProto::FLOAT:
    case onnx::TensorProto::DOUBLE:
    case onnx::TensorProto::FLOAT16: c.define_constant(n.output(0), t.to(at::kFloat)); return;
    case onnx::TensorProto::INT64:
    case onnx::TensorProto::INT32:
    case onnx::TensorProto::INT16:
    case onnx::TensorProto::INT8:
    case onnx::TensorProto::UINT8: c.define_constant(n.output(0), t.to(at::kLong)); return;
    default: c.fail(n, "cast to element type " + std::to_string(to) + " is not supported");
  }
}

void identity(ImportContext& c, const onnx::NodeProto& n) {
  if (!c.has_input(n, 0)) c.fail(n, "input 0 is missing");
  c.alias_output(n, c.value(n, n.input(0)));
}

// Dropout is the identity at inference; a node is kept (as MASE's fx graphs keep
// dropout modules) so names and positions match the PyTorch model.
void dropout(ImportContext& c, const onnx::NodeProto& n) {
  if (n.output_size() > 1 && !n.output(1).empty() && c.consumers(n.output(1)) > 0)
    c.fail(n, "the mask output is used; it is not supported");
  if (c.is_constant_input(n, 0)) {
    identity(c, n);
    return;
  }
  c.data_input(n, 0);
  double ratio = 0.5;
  if (c.opset() < 12) ratio = attr_float(c, n, "ratio", 0.5);
  else if (c.has_input(n, 1)) ratio = c.constant_input(n, 1).to(at::kDouble).reshape({-1})[0].item<double>();
  if (c.opset() >= 12 && c.has_input(n, 2) &&
      c.constant_input(n, 2).reshape({-1})[0].item<double>() != 0)
    c.fail(n, "training_mode = true is not supported");
  emit_unary(c, n, ir::OpKind::Dropout, {.p = ratio});
}

void constant(ImportContext& c, const onnx::NodeProto& n) {
  if (n.attribute_size() != 1) c.fail(n, "expects exactly one value attribute");
  const auto& a = n.attribute(0);
  at::Tensor t;
  if (a.name() == "value") {
    if (!a.has_t()) c.fail(n, "attribute 'value' must be a TENSOR");
    t = tensor_from_proto(a.t(), ".");
  } else if (a.name() == "value_float") {
    t = torch::tensor(static_cast<double>(attr_float(c, n, "value_float", 0)), at::kFloat);
  } else if (a.name() == "value_int") {
    t = torch::tensor(attr_int(c, n, "value_int", 0), at::kLong);
  } else if (a.name() == "value_floats") {
    if (a.type() != onnx::AttributeProto::FLOATS) c.fail(n, "attribute 'value_floats' must be FLOATS");
    std::vector<float> v(a.floats().begin(), a.floats().end());
    t = torch::tensor(v, at::kFloat);
  } else if (a.name() == "value_ints") {
    std::vector<int64_t> v = attr_ints(c, n, "value_ints", {});
    t = torch::tensor(v, at::kLong);
  } else {
    c.fail(n, "attribute '" + a.name() + "' is not supported (value, value_float(s), value_int(s))");
  }
  if (n.output_size() < 1 || n.output(0).empty()) c.fail(n, "has no output");
  c.define_constant(n.output(0), t);
}

}  // namespace

void register_shape_handlers(HandlerTable& t) {
  const std::pair<const char*, Handler> handlers[] = {
      {"Flatten", flatten}, {"Reshape", reshape}, {"Transpose", transpose}, {"Squeeze", squeeze},
      {"Unsqueeze", unsqueeze}, {"Concat", concat}, {"Identity", identity}, {"Dropout", dropout},
      {"Constant", constant}, {"Shape", shape}, {"Gather", gather}, {"Cast", cast}, {"Slice", slice}};
  for (const auto& [op, handler] : handlers) t[op] = handler;
}

}  // namespace qdse::io::onnx_detail
