// ONNX import: turns an ONNX model file into an ir::Graph that the executor,
// quantizer and search run like a built-in zoo model ("bring your own model").
//
// Supported: one float data input (batch first), a single output, ai.onnx opsets
// 7..18 and the ops listed by supported_onnx_ops() (see docs/onnx.md for the
// attributes each accepts). Initializers become node parameters; Gemm, MatMul with
// a constant right operand (+ a constant Add) become `linear` nodes; node names
// follow MASE's torch.fx names where the ONNX names come from torch.onnx.export.
// Every problem with the file (corrupt bytes, unsupported op or opset, missing
// external data, dynamic shapes) is reported as qdse::Error(Import / UnsupportedOp /
// Io) naming what and where; the importer never crashes on bad input.
// Ownership: returns a Graph that owns its parameter tensors.
// Thread-safety: reentrant; imports on different threads share nothing.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "qdse/ir/graph.hpp"

namespace qdse::io {

struct OnnxImportOptions {
  // Fold BatchNormalization into a preceding Conv (or Gemm/MatMul linear) whose
  // output only it reads. Exact in real arithmetic, but it changes what is
  // quantized: the folded weights, not the trained ones. Off by default.
  bool fold_batch_norm = false;
  // Shape of one sample (batch excluded) used where the model's input has dynamic
  // (named or missing) dimensions besides the batch; empty = take the model's.
  std::vector<int64_t> input_shape;
  // Graph name; empty = the file name without extension ("model" from memory).
  std::string graph_name;
};

// Reads and converts an ONNX file. External tensor data are resolved relative to
// the file's directory.
ir::Graph import_onnx(const std::string& path, const OnnxImportOptions& options = {});

// Same for a serialized ModelProto held in memory. `base_dir` resolves external
// data; `source` names the model in error messages.
ir::Graph import_onnx_bytes(const std::string& bytes, const OnnxImportOptions& options = {},
                            const std::string& base_dir = ".",
                            const std::string& source = "<memory>");

// ONNX op types the importer accepts, sorted.
std::vector<std::string> supported_onnx_ops();

}  // namespace qdse::io
