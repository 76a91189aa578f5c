// Writing fine-tuned weights back into an ONNX file (issue 18; docs/finetune.md, "ONNX
// write-back"): a copy of the source model whose initializers hold the new values of the
// parameters that changed, everything else (graph, names, dtypes, shapes, other
// initializers, metadata) as the source message.
//
// Which initializer a parameter came from is found by value: `original` is the graph as
// imported from `source` (same import options), and each parameter of `tuned` that differs
// from it must be held by exactly one float32 initializer of the file, as imported or
// transposed (a Gemm/MatMul weight). A parameter the importer computed (a scaled Gemm
// alpha, a folded batch norm, an expanded bias), one two initializers hold, or one stored
// as external data is refused with a one-line Error(Config) naming the layer.
// Thread-safety: pure function of its arguments and the files.
#pragma once

#include <string>
#include <vector>

#include "qdse/ir/graph.hpp"

namespace qdse::io {

// Writes `out` (atomically) and returns the names of the initializers rewritten.
std::vector<std::string> write_onnx_initializers(const std::string& source, const ir::Graph& original,
                                                 const ir::Graph& tuned, const std::string& out);

}  // namespace qdse::io
