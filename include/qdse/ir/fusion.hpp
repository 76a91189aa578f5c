// Fusion decisions read from the graph alone: which node may compute a following
// elementwise op inside itself, so that its own output is never materialized.
// Whether a fusion happens also depends on the configuration and the kernel (an
// integer Linear fuses a ReLU that stays float; lower/incremental_executor.hpp);
// this pass only says where it is allowed.
// Thread-safety: pure functions.
#pragma once

#include <vector>

#include "qdse/ir/graph.hpp"

namespace qdse::ir {

// relu_fusions(g)[i]: the index of the ReLU that may be fused into node i, or -1.
// Allowed when that ReLU is node i + 1, reads only node i, is the only reader of
// node i, and node i is not the graph's output (so nobody needs the value before the
// ReLU). The result has one entry per node.
std::vector<int> relu_fusions(const Graph& graph);

}  // namespace qdse::ir
