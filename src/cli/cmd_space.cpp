// `qdse space`: a look at a config's search space (dimensions, choices, size) without
// loading weights or data.
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "qdse/pipeline/quant_space.hpp"
#include "qdse/pipeline/workspace.hpp"

namespace qdse::cli {
namespace {

// The nodes no format can address (flatten, softmax, an unfolded batch norm, ...): they
// run in float whatever the config says, and the user should hear which and why.
struct FloatNodes {
  nlohmann::json rows = nlohmann::json::array();           // {node, op, why} per node
  struct Group {
    std::string_view why;
    std::vector<std::string> names;  // graph order
  };
  std::map<std::string_view, Group> by_op;
};

FloatNodes float_nodes(const ir::Graph& graph) {
  FloatNodes out;
  for (const auto& n : graph.nodes()) {
    const auto& t = ir::traits(n.op);
    if (ir::quantizable(t)) continue;
    out.rows.push_back({{"node", n.name}, {"op", t.name}, {"why", t.float_reason}});
    auto& g = out.by_op[t.name];
    g.why = t.float_reason;
    g.names.push_back(n.name);
  }
  return out;
}

void print_float_nodes(const FloatNodes& f) {
  if (f.by_op.empty()) return;
  std::printf("not quantizable, run in float:\n");
  for (const auto& [op, group] : f.by_op) {
    const auto& names = group.names;
    std::string list;
    for (std::size_t i = 0; i < names.size() && i < 4; ++i) list += (i ? ", " : "") + names[i];
    if (names.size() > 4) list += ", ... (" + std::to_string(names.size() - 4) + " more)";
    std::printf("  %zu %.*s (%.*s): %s\n", names.size(), static_cast<int>(op.size()), op.data(),
                static_cast<int>(group.why.size()), group.why.data(), list.c_str());
  }
}

}  // namespace

void add_space_command(CLI::App& app, GlobalOptions& global) {
  static ConfigOptions cfg;
  auto* cmd = cfg.add_command(app, "space", "print the search space of a config: dimensions, choices, size");
  cmd->callback([&global] {
    const io::RunConfig c = resolve_config(cfg);
    const ir::Graph graph = pipeline::build_graph(c);
    const pipeline::QuantSpace space(c, graph);
    const auto& s = space.space();
    nlohmann::json dims = nlohmann::json::array();
    for (std::size_t i = 0; i < s.n_params(); ++i)
      dims.push_back({{"param", s.name(i)}, {"choices", search::to_string(s.distribution(i))}});
    const auto size = s.size();
    const FloatNodes floats = float_nodes(graph);
    if (global.json) {
      std::printf("%s\n", nlohmann::json({{"dimensions", dims},
                                          {"size", size ? nlohmann::json(*size) : nlohmann::json(nullptr)},
                                          {"float_nodes", floats.rows}})
                              .dump(2)
                              .c_str());
      return;
    }
    for (const auto& d : dims)
      std::printf("  %-40s %s\n", d["param"].get<std::string>().c_str(), d["choices"].get<std::string>().c_str());
    print_float_nodes(floats);
    if (size) std::printf("%zu dimensions, %llu configurations\n", s.n_params(), (unsigned long long)*size);
    else std::printf("%zu dimensions, more configurations than fit in 64 bits\n", s.n_params());
  });
}

}  // namespace qdse::cli
