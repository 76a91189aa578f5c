// Internal to the ONNX importer (src/io/onnx/): the state shared by the op
// handlers while one model is converted, plus attribute and tensor helpers.
//
// Every ONNX value name maps to a Value: either a constant tensor (initializers,
// Constant nodes, ops folded at import) or data produced by a graph node (or the
// graph input). Data values carry a sample tensor (batch of 1, zeros) computed by
// running each emitted node once, so handlers know shapes and a shape error is
// reported at import, against the ONNX node, not later in a search.
// One handler file per op family registers its ONNX op types in a HandlerTable.
// Ownership: an ImportContext writes into a Graph it does not own.
// Thread-safety: one ImportContext per import; not shared.
#pragma once

#include <ATen/core/Tensor.h>

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "onnx/onnx_pb.h"
#include "qdse/io/onnx/import.hpp"
#include "qdse/ir/graph.hpp"

namespace qdse::io::onnx_detail {

struct Value {
  bool is_constant = false;
  at::Tensor constant;          // constants: float32 or int64
  int node = ir::kGraphInput;   // data: producing node (or the graph input)
  at::Tensor sample;            // data: example value, batch of 1
};

class ImportContext {
 public:
  ImportContext(ir::Graph& graph, const OnnxImportOptions& options, int64_t opset,
                std::map<std::string, int> consumers);

  ir::Graph& graph() { return graph_; }
  const OnnxImportOptions& options() const { return options_; }
  int64_t opset() const { return opset_; }

  void define_graph_input(const std::string& name, at::Tensor sample);
  void define(const std::string& name, Value value);
  void define_constant(const std::string& name, at::Tensor t);
  bool has(const std::string& name) const { return values_.count(name) != 0; }
  const Value& value(const onnx::NodeProto& n, const std::string& name) const;

  // Input `index` of n: whether present (non-empty name), constant, and its tensor.
  bool has_input(const onnx::NodeProto& n, int index) const;
  bool is_constant_input(const onnx::NodeProto& n, int index) const;
  const at::Tensor& constant_input(const onnx::NodeProto& n, int index) const;  // or error
  const Value& data_input(const onnx::NodeProto& n, int index) const;           // or error
  // Rank of input `index` including the batch axis (data or constant).
  int64_t input_rank(const onnx::NodeProto& n, int index) const;

  // Appends `node` (named from n), reading the data values `inputs`; runs it once
  // on their samples and binds n's first output to it. Returns the node index.
  int emit(const onnx::NodeProto& n, ir::Node node, const std::vector<std::string>& inputs);
  // Re-runs node `index` on its inputs' samples after a handler changed it (folding).
  void refresh_sample(int index);
  // Binds n's first output to an existing value (Identity, folded ops).
  void alias_output(const onnx::NodeProto& n, const Value& v);

  // Zero padding of a Pad node that the window op reading its output absorbs (torch.onnx
  // exports F.avg_pool2d(padding=p) as Pad + AveragePool, and users pad before a Conv).
  // The Pad's output is an alias of its input until then; `pads` = {top, left, bottom, right}.
  void defer_padding(const onnx::NodeProto& pad, std::vector<int64_t> pads);
  // The deferred padding of value `name` (and forgets it), or nullopt.
  std::optional<std::vector<int64_t>> take_padding(const std::string& name);
  // Error naming the first Pad whose padding no window op absorbed.
  void check_padding_absorbed() const;

  // How many node inputs and graph outputs read a value name.
  int consumers(const std::string& name) const;
  // Sample output of graph node `node`.
  const at::Tensor& sample_of(int node) const { return samples_.at(node); }

  // Error(Import) naming the ONNX node, op type and opset.
  [[noreturn]] void fail(const onnx::NodeProto& n, const std::string& message) const;

 private:
  std::string unique_name(const onnx::NodeProto& n, ir::OpKind op);

  ir::Graph& graph_;
  OnnxImportOptions options_;
  int64_t opset_;
  std::map<std::string, int> consumers_;
  std::map<std::string, Value> values_;
  std::vector<at::Tensor> samples_;   // per graph node
  at::Tensor graph_input_sample_;
  std::set<std::string> used_names_;
  std::map<std::string, std::pair<onnx::NodeProto, std::vector<int64_t>>> deferred_pads_;
};

// Describes a node for messages: `Gemm node '/fc/Gemm' (opset 13)`.
std::string describe(const onnx::NodeProto& n, int64_t opset);

// Attributes. A present attribute of the wrong type is an Import error.
const onnx::AttributeProto* find_attr(const onnx::NodeProto& n, const std::string& name);
int64_t attr_int(const ImportContext& c, const onnx::NodeProto& n, const std::string& name,
                 int64_t fallback);
double attr_float(const ImportContext& c, const onnx::NodeProto& n, const std::string& name,
                  double fallback);
std::vector<int64_t> attr_ints(const ImportContext& c, const onnx::NodeProto& n,
                               const std::string& name, std::vector<int64_t> fallback);
std::string attr_string(const ImportContext& c, const onnx::NodeProto& n, const std::string& name,
                        const std::string& fallback);

// Tensor values as int64 (shapes, axes); an Import error if not integral.
std::vector<int64_t> to_int_vector(const ImportContext& c, const onnx::NodeProto& n,
                                   const at::Tensor& t);
// Normalizes an axis against a rank (negative counts from the end); error if out of range.
int64_t normalize_axis(const ImportContext& c, const onnx::NodeProto& n, int64_t axis,
                       int64_t rank);

// TensorProto -> float32 (floating types) or int64 (integer types) tensor.
// External data are read relative to base_dir. Errors name the tensor.
at::Tensor tensor_from_proto(const onnx::TensorProto& t, const std::string& base_dir);

// fx-style layer name for an ONNX node name ("/seq_blocks/seq_blocks.1/Gemm" ->
// "seq_blocks_1"); empty when none can be derived (the caller falls back).
std::string layer_name_from_onnx(const std::string& onnx_name);
// Makes any string a valid identifier ([A-Za-z_][A-Za-z0-9_]*).
std::string sanitize_identifier(const std::string& s);

// Kernel/stride/padding/dilation of a 2-D window op (Conv, MaxPool, AveragePool)
// from its attributes (kernel_shape, strides, pads, dilations, auto_pad), checked:
// values in range, symmetric padding (torch pads both sides alike), and an output
// that is not absurdly large (computed before anything runs).
struct Window2d {
  std::vector<int64_t> kernel, stride, padding, dilation;
};
Window2d window_2d(const ImportContext& c, const onnx::NodeProto& n, const at::Tensor& sample,
                   const std::vector<int64_t>& kernel, int64_t out_channels, bool ceil_mode,
                   bool has_dilations);

// A float32 copy of a constant operand (integer constants become floats).
at::Tensor as_float(const at::Tensor& t);

using Handler = std::function<void(ImportContext&, const onnx::NodeProto&)>;
using HandlerTable = std::map<std::string, Handler>;

void register_gemm_handlers(HandlerTable& table);        // Gemm, MatMul
void register_conv_handlers(HandlerTable& table);        // Conv
void register_norm_handlers(HandlerTable& table);        // BatchNormalization
void register_activation_handlers(HandlerTable& table);  // Relu, LeakyRelu, Clip, Sigmoid, Tanh, Softmax
void register_pooling_handlers(HandlerTable& table);     // MaxPool, AveragePool, GlobalAveragePool
void register_shape_handlers(HandlerTable& table);       // Flatten, Reshape, Transpose, (Un)Squeeze, Concat, Identity, Dropout, Constant
void register_elementwise_handlers(HandlerTable& table); // Add, Sub, Mul, Div
void register_pad_handlers(HandlerTable& table);         // Pad (constant zero, absorbed by Conv/AveragePool)

// Extra zero padding {top, left, bottom, right} deferred by a Pad before window op n
// (ImportContext::defer_padding) added to `w`; begin and end must match.
void absorb_padding(ImportContext& c, const onnx::NodeProto& n, Window2d& w);

const HandlerTable& handler_table();

// Largest per-sample element count the importer lets a value have: a corrupt
// attribute (pads = 2^40) must be an error, not an out-of-memory kill.
inline constexpr int64_t kMaxSampleElements = int64_t{1} << 24;

}  // namespace qdse::io::onnx_detail
