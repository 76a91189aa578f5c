// qdse_predictions_dump: per-sample predicted labels of a (quantized) model, for the
// sample-by-sample cross-check with the PyTorch peer (bench/peer_crosscheck.sh).
//
// Loads the model, weights and dataset a config names (as `qdse eval` does), builds the
// plan of its [passes.quantize] table (float when there is none), runs the split through
// exec::Executor in batches and writes argmax(logits) (ties -> lowest index), one label
// per line. --logits also writes the logits as raw little-endian float32 [N, C].
// It prints one JSON line: samples, accuracy from the labels written, and the accuracy
// exec::evaluate() and pipeline::TrialEvaluator (the search's evaluator) report for the
// same config, so a disagreement inside qdse shows up too.
//   qdse_predictions_dump --config X.toml [--load W.json] [--split test] [--num-samples N]
//                         [--threads 1] [--batch 1024] --out labels.txt [--logits logits.f32]
#include <torch/types.h>
#include <torch/utils.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "bench_cli.hpp"
#include "qdse/core/error.hpp"
#include "qdse/exec/evaluate.hpp"
#include "qdse/exec/executor.hpp"
#include "qdse/io/quantize_config.hpp"
#include "qdse/io/run_config.hpp"
#include "qdse/pipeline/trial_evaluator.hpp"
#include "qdse/pipeline/workspace.hpp"
#include "qdse/lower/calibration.hpp"
#include "qdse/lower/transform.hpp"

namespace {

using namespace qdse;

struct Args {
  std::string config, load, split = "test", out, logits;
  int64_t num_samples = 0, batch = 1024;
  int threads = 1;
};

Args parse_args(int argc, char** argv) {
  Args a;
  CLI::App app{"qdse_predictions_dump: per-sample predicted labels of a quantized model (bench/peer_crosscheck.sh)"};
  app.add_option("--config", a.config, "config with the model and its quantization")->required();
  app.add_option("--load", a.load, "weights file");
  app.add_option("--split", a.split, "test, validation or train");
  app.add_option("--num-samples", a.num_samples, "samples (0: all)");
  app.add_option("--threads", a.threads, "libtorch intra-op threads");
  app.add_option("--batch", a.batch, "evaluation batch");
  app.add_option("--out", a.out, "labels.txt to write")->required();
  app.add_option("--logits", a.logits, "logits.f32 to write (optional)");
  bench::parse_bench_args(app, argc, argv);
  if (a.batch < 1) throw Error(ErrorKind::InvalidArgument, "--batch must be >= 1");
  return a;
}

}  // namespace

int main(int argc, char** argv) try {
  const Args a = parse_args(argc, argv);
  torch::set_num_threads(a.threads);
  io::RunConfig rc = io::load_run_config(a.config);
  const pipeline::Workspace ws = pipeline::open_workspace(rc, a.load, /*require_weights=*/true);
  const auto& split = ws.dataset.split(data::parse_split(a.split));
  const int64_t n = a.num_samples > 0 ? std::min(a.num_samples, split.size()) : split.size();
  const at::Tensor x = split.x.slice(0, 0, n), y = split.y.slice(0, 0, n);

  std::optional<exec::Plan> plan;
  quant::QuantConfig resolved;
  std::optional<quant::RangeStats> stats;
  if (auto pass = io::parse_quantize_pass(rc, ws.graph)) {
    if (quant::uses_auto_frac(pass->config))
      stats = quant::calibrate(ws.graph, ws.dataset.train.x, pass->calibration);
    resolved = quant::resolve_auto_frac(ws.graph, pass->config, stats ? &*stats : nullptr);
    plan = quant::quantize(ws.graph, resolved);
  }
  const exec::Plan* p = plan ? &*plan : nullptr;

  torch::NoGradGuard no_grad;
  const exec::Executor executor(ws.graph);
  std::vector<at::Tensor> parts;
  for (int64_t i = 0; i < n; i += a.batch)
    parts.push_back(executor.forward(x.slice(0, i, std::min(n, i + a.batch)), p));
  const at::Tensor logits = torch::cat(parts).to(torch::kFloat32).contiguous();
  const at::Tensor labels = logits.argmax(1);

  std::ofstream out(a.out);
  if (!out) throw Error(ErrorKind::Io, a.out + ": cannot open for writing");
  const auto lab = labels.accessor<int64_t, 1>();
  for (int64_t i = 0; i < n; ++i) out << lab[i] << '\n';
  if (!out) throw Error(ErrorKind::Io, a.out + ": write failed");
  if (!a.logits.empty()) {
    std::ofstream lf(a.logits, std::ios::binary);
    lf.write(static_cast<const char*>(logits.data_ptr()), logits.numel() * sizeof(float));
    if (!lf) throw Error(ErrorKind::Io, a.logits + ": write failed");
  }

  exec::EvalOptions eo;
  eo.batch_size = a.batch;
  const double acc_evaluate = exec::evaluate(ws.graph, p, x, y, eo).accuracy;
  pipeline::EvalSettings es;
  es.batch_size = a.batch;
  pipeline::TrialEvaluator ev(ws.graph, x, y, es, stats);
  const double acc_trial = plan ? ev.evaluate(resolved).metrics.at("accuracy") : ev.float_metrics().at("accuracy");
  nlohmann::json layers = nlohmann::json::object();
  for (const auto& [name, nc] : resolved.nodes) layers[name] = quant::describe(nc);
  const nlohmann::json summary = {
      {"config", a.config}, {"samples", n},
      {"accuracy", labels.eq(y).sum().item<int64_t>() / static_cast<double>(n)},
      {"accuracy_evaluate", acc_evaluate}, {"accuracy_trial_evaluator", acc_trial}, {"layers", layers}};
  std::printf("%s\n", summary.dump().c_str());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "qdse_predictions_dump: %s\n", e.what());
  return 1;
}
