#include "qdse/ir/fusion.hpp"

namespace qdse::ir {

std::vector<int> relu_fusions(const Graph& graph) {
  const int n = static_cast<int>(graph.size());
  // Readers of each node's output, counted per input edge (a node reading i twice
  // counts twice, so it never looks like a single reader).
  std::vector<int> readers(n, 0);
  for (int k = 0; k < n; ++k)
    for (int src : graph.node(k).inputs)
      if (src != kGraphInput) ++readers[src];
  std::vector<int> into(n, -1);
  for (int i = 0; i + 1 < n; ++i) {
    const Node& next = graph.node(i + 1);
    if (i != graph.output() && readers[i] == 1 && next.op == OpKind::Relu && next.inputs == std::vector<int>{i})
      into[i] = i + 1;
  }
  return into;
}

}  // namespace qdse::ir
