// `qdse layers`: the nodes of a model (zoo name or .onnx file) with op type,
// output shape, parameter count and whether a format can apply; the names a
// "by name" config addresses.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "qdse/io/onnx/describe.hpp"
#include "qdse/pipeline/workspace.hpp"

namespace qdse::cli {

void add_layers_command(CLI::App& app, GlobalOptions& global) {
  static ConfigOptions cfg;
  auto* cmd = cfg.add_command(app, "layers",
                              "list a model's layers (names for \"by name\" configs, op types, shapes, params)");
  cmd->callback([&global] {
    const io::RunConfig c = resolve_config(cfg);
    const ir::Graph graph = pipeline::build_graph(c);
    const auto rows = io::describe_layers(graph);
    int64_t params = 0, quantizable = 0;
    for (const auto& r : rows) {
      params += r.params;
      quantizable += r.quantizable ? 1 : 0;
    }
    if (global.json) {
      nlohmann::json layers = nlohmann::json::array();
      for (const auto& r : rows)
        layers.push_back({{"name", r.name}, {"op", r.op}, {"output_shape", r.output_shape},
                          {"params", r.params}, {"quantizable", r.quantizable}});
      const nlohmann::json out = {{"model", c.model}, {"graph", graph.name()},
                                  {"input_shape", graph.input_shape()}, {"params", params},
                                  {"layers", layers}};
      std::printf("%s\n", out.dump(2).c_str());
      return;
    }
    std::string in = "[";
    for (std::size_t i = 0; i < graph.input_shape().size(); ++i)
      in += (i ? ", " : "") + std::to_string(graph.input_shape()[i]);
    std::printf("model %s: input %s], %zu layers (%lld quantizable), %lld params\n", c.model.c_str(),
                in.c_str(), rows.size(), (long long)quantizable, (long long)params);
    std::printf("%s", io::format_layer_table(rows).c_str());
  });
}

}  // namespace qdse::cli
