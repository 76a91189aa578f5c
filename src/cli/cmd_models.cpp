// `qdse models`: lists the built-in models with parameter counts and MACs.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "qdse/ir/op_shape.hpp"
#include "qdse/ir/zoo.hpp"

namespace qdse::cli {

void add_models_command(CLI::App& app, GlobalOptions& global) {
  auto* cmd = app.add_subcommand("models", "list the built-in models with parameter counts and MACs");
  cmd->callback([&global] {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& e : ir::zoo_models()) {
      const ir::Graph g = ir::build_zoo_model(e.name);
      int64_t macs = 0, quantizable = 0;
      for (auto m : ir::node_macs(g)) macs += m;
      for (const auto& n : g.nodes()) quantizable += ir::traits(n.op).has_weight ? 1 : 0;
      out.push_back({{"name", e.name},
                     {"dataset", e.dataset},
                     {"params", g.num_params()},
                     {"macs_per_sample", macs},
                     {"nodes", g.size()},
                     {"quantizable_layers", quantizable},
                     {"description", e.description}});
    }
    if (global.json) {
      std::printf("%s\n", out.dump(2).c_str());
      return;
    }
    std::printf("%-12s %-14s %10s %12s %6s  %s\n", "model", "dataset", "params", "MACs/sample",
                "layers", "description");
    for (const auto& m : out)
      std::printf("%-12s %-14s %10lld %12lld %6lld  %s\n", m["name"].get<std::string>().c_str(),
                  m["dataset"].get<std::string>().c_str(), (long long)m["params"].get<int64_t>(),
                  (long long)m["macs_per_sample"].get<int64_t>(),
                  (long long)m["quantizable_layers"].get<int64_t>(),
                  m["description"].get<std::string>().c_str());
  });
}

}  // namespace qdse::cli
