// ImportContext: value bookkeeping, node emission and attribute access for the
// ONNX op handlers.
#include "qdse/io/onnx/import_context.hpp"

#include <torch/types.h>
#include <torch/utils.h>

#include "qdse/core/error.hpp"
#include "qdse/exec/executor.hpp"

namespace qdse::io::onnx_detail {

std::string describe(const onnx::NodeProto& n, int64_t opset) {
  return n.op_type() + " node '" + n.name() + "' (opset " + std::to_string(opset) + ")";
}

ImportContext::ImportContext(ir::Graph& graph, const OnnxImportOptions& options, int64_t opset,
                             std::map<std::string, int> consumers)
    : graph_(graph), options_(options), opset_(opset), consumers_(std::move(consumers)) {}

void ImportContext::fail(const onnx::NodeProto& n, const std::string& message) const {
  throw Error(ErrorKind::Import, describe(n, opset_) + ": " + message);
}

void ImportContext::define_graph_input(const std::string& name, at::Tensor sample) {
  graph_input_sample_ = sample;
  Value v;
  v.node = ir::kGraphInput;
  v.sample = std::move(sample);
  values_[name] = std::move(v);
}

void ImportContext::define(const std::string& name, Value value) { values_[name] = std::move(value); }

void ImportContext::define_constant(const std::string& name, at::Tensor t) {
  Value v;
  v.is_constant = true;
  v.constant = std::move(t);
  values_[name] = std::move(v);
}

const Value& ImportContext::value(const onnx::NodeProto& n, const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end())
    fail(n, "input '" + name + "' is not produced by an earlier node, an initializer or the graph input");
  return it->second;
}

bool ImportContext::has_input(const onnx::NodeProto& n, int index) const {
  return index < n.input_size() && !n.input(index).empty();
}

bool ImportContext::is_constant_input(const onnx::NodeProto& n, int index) const {
  return has_input(n, index) && value(n, n.input(index)).is_constant;
}

const at::Tensor& ImportContext::constant_input(const onnx::NodeProto& n, int index) const {
  if (!has_input(n, index)) fail(n, "input " + std::to_string(index) + " is missing");
  const Value& v = value(n, n.input(index));
  if (!v.is_constant)
    fail(n, "input " + std::to_string(index) + " ('" + n.input(index) +
                "') must be a constant (initializer or Constant); computed values are not supported there");
  return v.constant;
}

const Value& ImportContext::data_input(const onnx::NodeProto& n, int index) const {
  if (!has_input(n, index)) fail(n, "input " + std::to_string(index) + " is missing");
  const Value& v = value(n, n.input(index));
  if (v.is_constant)
    fail(n, "input " + std::to_string(index) + " ('" + n.input(index) +
                "') is a constant where qdse expects data flowing from the graph input");
  return v;
}

int64_t ImportContext::input_rank(const onnx::NodeProto& n, int index) const {
  const Value& v = value(n, n.input(index));
  return v.is_constant ? v.constant.dim() : v.sample.dim();
}

int ImportContext::consumers(const std::string& name) const {
  auto it = consumers_.find(name);
  return it == consumers_.end() ? 0 : it->second;
}

std::string ImportContext::unique_name(const onnx::NodeProto& n, ir::OpKind op) {
  std::string base = layer_name_from_onnx(n.name());
  if (base.empty() && !n.name().empty() && n.name()[0] != '/') base = sanitize_identifier(n.name());
  // Unnamed or functional ops (torch's "/Flatten") take the op's type name, as fx
  // names a call_function node after its function ("flatten", "flatten_1").
  if (base.empty()) base = std::string(ir::to_string(op));
  std::string name = base;
  for (int k = 1; used_names_.count(name); ++k) name = base + "_" + std::to_string(k);
  used_names_.insert(name);
  return name;
}

namespace {
at::Tensor run_checked(const ImportContext& c, const onnx::NodeProto& n, const ir::Node& node,
                       const std::vector<at::Tensor>& in) {
  torch::NoGradGuard no_grad;
  at::Tensor out;
  try {
    out = exec::run_node(node, in, nullptr, false);
  } catch (const c10::Error& e) {
    std::string what = e.what_without_backtrace();
    c.fail(n, "cannot run on inputs of shape " + [&] {
      std::string s;
      for (const auto& t : in) s += (s.empty() ? "" : ", ") + c10::str(t.sizes());
      return s;
    }() + ": " + what.substr(0, what.find('\n')));
  }
  if (out.dim() == 0 || out.size(0) != in.at(0).size(0))
    c.fail(n, "the output does not keep the batch dimension first; qdse runs batches");
  if (out.numel() > kMaxSampleElements)
    c.fail(n, "output of " + std::to_string(out.numel()) + " elements per sample is too large");
  return out;
}
}  // namespace

int ImportContext::emit(const onnx::NodeProto& n, ir::Node node, const std::vector<std::string>& inputs) {
  std::vector<at::Tensor> samples;
  node.inputs.clear();
  for (const auto& name : inputs) {
    const Value& v = value(n, name);
    if (v.is_constant) fail(n, "input '" + name + "' must be data, got a constant");
    node.inputs.push_back(v.node);
    samples.push_back(v.sample);
  }
  node.name = unique_name(n, node.op);
  at::Tensor out = run_checked(*this, n, node, samples);
  const int index = graph_.add(std::move(node));
  samples_.push_back(out);
  Value v;
  v.node = index;
  v.sample = out;
  if (n.output_size() < 1 || n.output(0).empty()) fail(n, "has no output");
  define(n.output(0), v);
  return index;
}

void ImportContext::refresh_sample(int index) {
  ir::Node& node = graph_.nodes().at(index);
  std::vector<at::Tensor> in;
  for (int src : node.inputs) in.push_back(src == ir::kGraphInput ? graph_input_sample_ : samples_.at(src));
  torch::NoGradGuard no_grad;
  samples_.at(index) = exec::run_node(node, in, nullptr, false);
  for (auto& [name, v] : values_)
    if (!v.is_constant && v.node == index) v.sample = samples_[index];
}

void ImportContext::alias_output(const onnx::NodeProto& n, const Value& v) {
  if (n.output_size() < 1 || n.output(0).empty()) fail(n, "has no output");
  Value copy = v;
  define(n.output(0), copy);
}

// ---- attributes ------------------------------------------------------------

const onnx::AttributeProto* find_attr(const onnx::NodeProto& n, const std::string& name) {
  for (const auto& a : n.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}

namespace {
// Older exporters leave `type` unset (0); then the populated field decides.
bool attr_is(const onnx::AttributeProto& a, onnx::AttributeProto::AttributeType t) {
  if (a.type() == t) return true;
  if (a.type() != onnx::AttributeProto::UNDEFINED) return false;
  switch (t) {
    case onnx::AttributeProto::INT: return a.has_i();
    case onnx::AttributeProto::FLOAT: return a.has_f();
    case onnx::AttributeProto::STRING: return a.has_s();
    case onnx::AttributeProto::INTS: return a.ints_size() > 0;
    case onnx::AttributeProto::TENSOR: return a.has_t();
    default: return false;
  }
}
void wrong_type(const ImportContext& c, const onnx::NodeProto& n, const std::string& name,
                const char* expected) {
  c.fail(n, "attribute '" + name + "' must be of type " + expected);
}

// The attribute `name` when present and of type t, nullptr when absent; any other
// type is a located import error.
const onnx::AttributeProto* typed_attr(const ImportContext& c, const onnx::NodeProto& n, const std::string& name,
                                       onnx::AttributeProto::AttributeType t, const char* type_name) {
  const auto* a = find_attr(n, name);
  if (a && !attr_is(*a, t)) wrong_type(c, n, name, type_name);
  return a;
}
}  // namespace

int64_t attr_int(const ImportContext& c, const onnx::NodeProto& n, const std::string& name,
                 int64_t fallback) {
  const auto* a = typed_attr(c, n, name, onnx::AttributeProto::INT, "INT");
  return a ? a->i() : fallback;
}

double attr_float(const ImportContext& c, const onnx::NodeProto& n, const std::string& name,
                  double fallback) {
  const auto* a = typed_attr(c, n, name, onnx::AttributeProto::FLOAT, "FLOAT");
  return a ? a->f() : fallback;
}

std::vector<int64_t> attr_ints(const ImportContext& c, const onnx::NodeProto& n,
                               const std::string& name, std::vector<int64_t> fallback) {
  const auto* a = find_attr(n, name);
  if (!a) return fallback;
  if (!attr_is(*a, onnx::AttributeProto::INTS) && a->type() != onnx::AttributeProto::UNDEFINED)
    wrong_type(c, n, name, "INTS");
  return {a->ints().begin(), a->ints().end()};
}

std::string attr_string(const ImportContext& c, const onnx::NodeProto& n, const std::string& name,
                        const std::string& fallback) {
  const auto* a = typed_attr(c, n, name, onnx::AttributeProto::STRING, "STRING");
  return a ? a->s() : fallback;
}

std::vector<int64_t> to_int_vector(const ImportContext& c, const onnx::NodeProto& n,
                                   const at::Tensor& t) {
  if (t.scalar_type() != at::kLong) c.fail(n, "expects an integer tensor (shape/axes), got floats");
  at::Tensor flat = t.reshape({-1}).contiguous();
  return {flat.data_ptr<int64_t>(), flat.data_ptr<int64_t>() + flat.numel()};
}

int64_t normalize_axis(const ImportContext& c, const onnx::NodeProto& n, int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    c.fail(n, "axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
  return axis < 0 ? axis + rank : axis;
}

}  // namespace qdse::io::onnx_detail
