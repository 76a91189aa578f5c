// The ONNX import driver: parse, check the model-level contract (opset, one data
// input, one output), load initializers, then hand every node to its op handler.
#include "qdse/io/onnx/import.hpp"

#include <torch/types.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "qdse/core/error.hpp"
#include "qdse/io/onnx/import_context.hpp"

namespace qdse::io {
namespace onnx_detail {

const HandlerTable& handler_table() {
  static const HandlerTable table = [] {
    HandlerTable t;
    register_gemm_handlers(t);
    register_conv_handlers(t);
    register_norm_handlers(t);
    register_activation_handlers(t);
    register_pooling_handlers(t);
    register_shape_handlers(t);
    register_elementwise_handlers(t);
    register_pad_handlers(t);
    return t;
  }();
  return table;
}

}  // namespace onnx_detail

namespace {

using namespace onnx_detail;

constexpr int64_t kMinOpset = 7, kMaxOpset = 18;

[[noreturn]] void fail(const std::string& source, const std::string& msg) {
  throw Error(ErrorKind::Import, "ONNX model " + source + ": " + msg);
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

int64_t default_opset(const onnx::ModelProto& model, const std::string& source) {
  int64_t opset = -1;
  for (const auto& imp : model.opset_import())
    if (imp.domain().empty() || imp.domain() == "ai.onnx") opset = imp.version();
  if (opset < 0) fail(source, "declares no ai.onnx opset (opset_import is empty)");
  if (opset < kMinOpset || opset > kMaxOpset)
    fail(source, "uses ai.onnx opset " + std::to_string(opset) + "; qdse supports opsets " +
                     std::to_string(kMinOpset) + " to " + std::to_string(kMaxOpset) +
                     " (convert it with onnx.version_converter)");
  return opset;
}

// Per-sample input shape: the first dim is the batch (any value or symbol); the
// rest must be known, from the model or from options.input_shape.
std::vector<int64_t> input_shape(const onnx::ValueInfoProto& in, const OnnxImportOptions& options,
                                 const std::string& source) {
  const auto& type = in.type();
  if (!type.has_tensor_type()) fail(source, "graph input '" + in.name() + "' is not a tensor");
  const auto elem = type.tensor_type().elem_type();
  if (elem != onnx::TensorProto::FLOAT && elem != onnx::TensorProto::UNDEFINED)
    fail(source, "graph input '" + in.name() + "' has element type " + std::to_string(elem) +
                     "; qdse feeds float32 data");
  std::vector<std::optional<int64_t>> dims;
  if (type.tensor_type().has_shape())
    for (const auto& d : type.tensor_type().shape().dim())
      dims.push_back(d.has_dim_value() && d.dim_value() > 0 ? std::optional<int64_t>(d.dim_value())
                                                            : std::nullopt);
  std::vector<int64_t> shape;
  if (!options.input_shape.empty()) {
    if (!dims.empty() && dims.size() != options.input_shape.size() + 1)
      fail(source, "input_shape option has " + std::to_string(options.input_shape.size()) +
                       " dims, the model's input '" + in.name() + "' has " +
                       std::to_string(dims.size() - 1) + " besides the batch");
    for (std::size_t i = 0; i < options.input_shape.size(); ++i) {
      const int64_t d = options.input_shape[i];
      if (d <= 0) fail(source, "input_shape option must be positive");
      if (!dims.empty() && dims[i + 1] && *dims[i + 1] != d)
        fail(source, "input_shape option dim " + std::to_string(i) + " = " + std::to_string(d) +
                         " contradicts the model's " + std::to_string(*dims[i + 1]));
      shape.push_back(d);
    }
  } else {
    if (dims.empty())
      fail(source, "graph input '" + in.name() +
                       "' has no shape; pass the sample shape (input_shape option)");
    for (std::size_t i = 1; i < dims.size(); ++i) {
      if (!dims[i])
        fail(source, "graph input '" + in.name() + "' dim " + std::to_string(i) +
                         " is dynamic; only the batch dim (0) may be; pass the sample shape "
                         "(input_shape option) to fix it");
      shape.push_back(*dims[i]);
    }
  }
  int64_t numel = 1;
  for (int64_t d : shape) {
    if (d > kMaxSampleElements || numel * d > kMaxSampleElements)
      fail(source, "graph input '" + in.name() + "' is too large per sample");
    numel *= d;
  }
  return shape;
}

ir::Graph convert(const onnx::ModelProto& model, const OnnxImportOptions& options,
                  const std::string& base_dir, const std::string& source, const std::string& name) {
  const int64_t opset = default_opset(model, source);
  if (!model.has_graph()) fail(source, "has no graph");
  const auto& g = model.graph();

  std::set<std::string> init_names;
  for (const auto& t : g.initializer()) init_names.insert(t.name());
  std::vector<const onnx::ValueInfoProto*> data_inputs;
  // IR < 4 lists initializers among the inputs too; they are not data.
  for (const auto& in : g.input())
    if (!init_names.count(in.name())) data_inputs.push_back(&in);
  if (data_inputs.size() != 1) {
    std::vector<std::string> names;
    for (const auto* in : data_inputs) names.push_back("'" + in->name() + "'");
    fail(source, "has " + std::to_string(data_inputs.size()) + " data inputs (" + join(names) +
                     "); qdse runs models with exactly one data input (a batch of samples)");
  }
  if (g.output_size() != 1)
    fail(source, "has " + std::to_string(g.output_size()) +
                     " outputs; qdse scores a single output (the logits)");

  const std::vector<int64_t> shape = input_shape(*data_inputs[0], options, source);
  ir::Graph graph(name, shape);

  std::map<std::string, int> consumers;
  for (const auto& n : g.node())
    for (const auto& in : n.input()) ++consumers[in];
  ++consumers[g.output(0).name()];

  ImportContext ctx(graph, options, opset, consumers);
  for (const auto& t : g.initializer()) ctx.define_constant(t.name(), tensor_from_proto(t, base_dir));
  std::vector<int64_t> sample_shape = {1};
  sample_shape.insert(sample_shape.end(), shape.begin(), shape.end());
  ctx.define_graph_input(data_inputs[0]->name(), torch::zeros(sample_shape));

  const auto& handlers = handler_table();
  for (const auto& n : g.node()) {
    const bool default_domain = n.domain().empty() || n.domain() == "ai.onnx";
    auto it = default_domain ? handlers.find(n.op_type()) : handlers.end();
    if (it == handlers.end())
      throw Error(ErrorKind::UnsupportedOp,
                  "ONNX model " + source + ": op '" + (default_domain ? "" : n.domain() + ".") +
                      n.op_type() + "' of node '" + n.name() + "' (opset " + std::to_string(opset) +
                      ") is not supported; supported ops: " + join(supported_onnx_ops()));
    try {
      it->second(ctx, n);
    } catch (const Error&) {
      throw;
    } catch (const c10::Error& e) {
      std::string what = e.what_without_backtrace();
      ctx.fail(n, what.substr(0, what.find('\n')));
    } catch (const std::exception& e) {
      ctx.fail(n, e.what());
    }
  }

  ctx.check_padding_absorbed();
  const std::string& out_name = g.output(0).name();
  if (!ctx.has(out_name)) fail(source, "graph output '" + out_name + "' is not produced by any node");
  onnx::NodeProto none;
  const Value& out = ctx.value(none, out_name);
  if (out.is_constant || out.node == ir::kGraphInput)
    fail(source, "graph output '" + out_name + "' does not depend on any computation of the input");
  graph.set_output(out.node);
  return graph;
}

}  // namespace

std::vector<std::string> supported_onnx_ops() {
  std::vector<std::string> ops;
  for (const auto& [op, handler] : handler_table()) ops.push_back(op);
  return ops;  // std::map keeps them sorted
}

ir::Graph import_onnx_bytes(const std::string& bytes, const OnnxImportOptions& options,
                            const std::string& base_dir, const std::string& source) {
  onnx::ModelProto model;
  // A failed parse leaves no usable model; protobuf bounds-checks every field.
  if (!model.ParseFromString(bytes))
    fail(source, "is not a valid ONNX protobuf (truncated or corrupt file, " +
                     std::to_string(bytes.size()) + " bytes)");
  const std::string name = options.graph_name.empty() ? "model" : options.graph_name;
  return convert(model, options, base_dir, source, name);
}

ir::Graph import_onnx(const std::string& path, const OnnxImportOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::Io, "cannot open ONNX model '" + path + "'");
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) throw Error(ErrorKind::Io, "cannot read ONNX model '" + path + "'");
  OnnxImportOptions opts = options;
  const std::filesystem::path p(path);
  if (opts.graph_name.empty()) opts.graph_name = p.stem().string();
  const std::string dir = p.has_parent_path() ? p.parent_path().string() : ".";
  return import_onnx_bytes(buf.str(), opts, dir, "'" + path + "'");
}

}  // namespace qdse::io
