// `qdse space`: a look at a config's search space (dimensions, choices, size) without
// loading weights or data.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "qdse/pipeline/quant_space.hpp"
#include "qdse/pipeline/workspace.hpp"

namespace qdse::cli {

void add_space_command(CLI::App& app, GlobalOptions& global) {
  auto* cmd = app.add_subcommand("space", "print the search space of a config: dimensions, choices, size");
  static ConfigOptions cfg;
  cfg.add_to(cmd);
  cmd->callback([&global] {
    const io::RunConfig c = resolve_config(cfg);
    const ir::Graph graph = pipeline::build_graph(c);
    const pipeline::QuantSpace space(c, graph);
    const auto& s = space.space();
    nlohmann::json dims = nlohmann::json::array();
    for (std::size_t i = 0; i < s.n_params(); ++i)
      dims.push_back({{"param", s.name(i)}, {"choices", search::to_string(s.distribution(i))}});
    const auto size = s.size();
    if (global.json) {
      std::printf("%s\n", nlohmann::json({{"dimensions", dims},
                                          {"size", size ? nlohmann::json(*size) : nlohmann::json(nullptr)}})
                              .dump(2)
                              .c_str());
      return;
    }
    for (const auto& d : dims)
      std::printf("  %-40s %s\n", d["param"].get<std::string>().c_str(), d["choices"].get<std::string>().c_str());
    if (size) std::printf("%zu dimensions, %llu configurations\n", s.n_params(), (unsigned long long)*size);
    else std::printf("%zu dimensions, more configurations than fit in 64 bits\n", s.n_params());
  });
}

}  // namespace qdse::cli
