// describe_layers(): the rows behind `qdse layers`.
#include "qdse/io/onnx/describe.hpp"

#include <torch/types.h>

#include <algorithm>
#include <sstream>

#include "qdse/ir/op_shape.hpp"

namespace qdse::io {

std::vector<LayerRow> describe_layers(const ir::Graph& graph) {
  const auto shapes = ir::infer_shapes(graph);
  std::vector<LayerRow> rows;
  for (std::size_t i = 0; i < graph.size(); ++i) {
    const ir::Node& node = graph.node(static_cast<int>(i));
    const auto& t = ir::traits(node.op);
    LayerRow row;
    row.name = node.name;
    row.op = std::string(t.name);
    row.output_shape = shapes[i];
    for (const char* key : {"weight", "bias"})
      if (const at::Tensor* p = node.param(key)) row.params += p->numel();
    row.quantizable = ir::quantizable(t);
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string format_layer_table(const std::vector<LayerRow>& rows) {
  auto shape_str = [](const std::vector<int64_t>& s) {
    std::string out = "[";
    for (std::size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
    return out + "]";
  };
  std::size_t wn = 4, wo = 2, ws = 5;
  for (const auto& r : rows) {
    wn = std::max(wn, r.name.size());
    wo = std::max(wo, r.op.size());
    ws = std::max(ws, shape_str(r.output_shape).size());
  }
  std::ostringstream out;
  auto line = [&](const std::string& a, const std::string& b, const std::string& c,
                  const std::string& d, const std::string& e) {
    out << a << std::string(wn - a.size() + 2, ' ') << b << std::string(wo - b.size() + 2, ' ') << c
        << std::string(ws - c.size() + 2, ' ') << std::string(d.size() < 10 ? 10 - d.size() : 0, ' ')
        << d << "  " << e << "\n";
  };
  line("name", "op", "shape", "params", "quantizable");
  for (const auto& r : rows)
    line(r.name, r.op, shape_str(r.output_shape), std::to_string(r.params), r.quantizable ? "yes" : "no");
  return out.str();
}

}  // namespace qdse::io
