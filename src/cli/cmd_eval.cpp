// `qdse eval`: accuracy and loss of the configured model on a split.
#include <torch/types.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "qdse/exec/evaluate.hpp"
#include "qdse/io/quantize_config.hpp"
#include "qdse/pipeline/workspace.hpp"
#include "qdse/lower/transform.hpp"

namespace qdse::cli {

void add_eval_command(CLI::App& app, GlobalOptions& global) {
  static ConfigOptions cfg;
  static std::string split;
  static int64_t num_samples = -1;
  auto* cmd = cfg.add_command(app, "eval", "evaluate the model (float and quantized) on a split",
                              ConfigOptions::Load::Yes);
  cmd->add_option("--split", split, "train, validation or test (default: `eval_split`, test)");
  cmd->add_option("--num-samples", num_samples, "first N samples of the split (0 = all)")
      ->check(whole_number(0, std::numeric_limits<int64_t>::max()));
  cmd->callback([&global] {
    io::RunConfig c = resolve_config(cfg);
    if (!split.empty()) c.eval_split = split;
    if (num_samples >= 0) c.num_samples = num_samples;
    apply_threads(global, c.threads);
    const pipeline::Workspace ws = pipeline::open_workspace(c, cfg.load, /*require_weights=*/true);
    const auto kind = data::parse_split(c.eval_split);
    const auto& s = ws.dataset.split(kind);
    exec::EvalOptions eo;
    eo.batch_size = c.eval_batch_size;
    eo.num_samples = c.num_samples;
    const auto r = exec::evaluate(ws.graph, nullptr, s.x, s.y, eo);
    auto result_json = [](const exec::EvalResult& e) {
      return nlohmann::json{{"accuracy", e.accuracy}, {"loss", e.loss},
                            {"macro_accuracy", e.macro_accuracy}, {"seconds", e.seconds}};
    };
    nlohmann::json out = {{"model", c.model}, {"weights", ws.weights_path},
                          {"split", std::string(data::to_string(kind))}, {"samples", r.samples},
                          {"float", result_json(r)}};
    // [passes.quantize]: the same split through the quantized graph, side by side.
    std::optional<exec::EvalResult> qr;
    quant::QuantConfig resolved;
    if (auto pass = io::parse_quantize_pass(c, ws.graph)) {
      std::optional<quant::RangeStats> stats;
      if (quant::uses_auto_frac(pass->config))
        stats = quant::calibrate(ws.graph, ws.dataset.train.x, pass->calibration);
      resolved = quant::resolve_auto_frac(ws.graph, pass->config, stats ? &*stats : nullptr);
      const exec::Plan plan = quant::quantize(ws.graph, resolved);
      qr = exec::evaluate(ws.graph, &plan, s.x, s.y, eo);
      out["quantized"] = result_json(*qr);
      nlohmann::json layers = nlohmann::json::object();
      for (const auto& [name, nc] : resolved.nodes) layers[name] = quant::describe(nc);
      out["quantized"]["layers"] = layers;
    }
    if (global.json) {
      std::printf("%s\n", out.dump(2).c_str());
      return;
    }
    std::printf("model %s, weights %s, %s split, %lld samples\n", c.model.c_str(),
                ws.weights_path.c_str(), std::string(data::to_string(kind)).c_str(),
                (long long)r.samples);
    if (qr) {
      for (const auto& [name, nc] : resolved.nodes)
        std::printf("  %-16s %s\n", name.c_str(), quant::describe(nc).c_str());
    }
    std::printf("%-10s %10s %10s\n", "", "accuracy", "loss");
    std::printf("%-10s %10.4f %10.4f\n", "float", r.accuracy, r.loss);
    if (qr) std::printf("%-10s %10.4f %10.4f\n", "quantized", qr->accuracy, qr->loss);
  });
}

}  // namespace qdse::cli
