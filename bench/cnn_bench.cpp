// CNN trial costs (issue 15 item 6): qdse's float forward of a network against
// PyTorch's (bench/cnn_torch_time.py prints that side), and what a search trial costs
// on it: every layer new, only the last stage new, only the last layer new, a repeat.
// Driven, with the PyTorch timing and a 100-trial TPE search, by bench/cnn_bench.sh.
//
// Layers: every Conv2d and Linear node, integer data_in 8 bits, weight W bits, bias 16
// bits, frac widths "auto" from 256 training samples (as configs/resnet18_fmnist.toml).
// Timed after one untimed warm-up, median of --repeats:
//  - float: exec::evaluate() without a plan, batches of --batch samples (both sides);
//  - trial, every layer new: pipeline::TrialEvaluator (what `qdse search` runs per
//    trial) on a warm evaluator, a configuration whose first layer (hence every
//    layer's prefix) is new;
//  - last stage new: the same prefix with every layer from the first whose name
//    contains --last-stage (default "layer4") on another weight width; last layer new:
//    only the last quantized layer changed; repeat: the result cache.
// A plain main (no Google Benchmark) so that it can print ratios:
//   build/bench/qdse_cnn_bench --config configs/resnet18_fmnist.toml [--weights PATH]
//       [--num-samples 1000] [--batch 256] [--repeats 5] [--threads 1] [--last-stage layer4]
#include <torch/types.h>
#include <torch/utils.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "bench_cli.hpp"
#include "qdse/core/error.hpp"
#include "qdse/exec/evaluate.hpp"
#include "qdse/io/run_config.hpp"
#include "qdse/lower/calibration.hpp"
#include "qdse/pipeline/trial_evaluator.hpp"
#include "qdse/pipeline/workspace.hpp"

namespace {

using namespace qdse;

struct CnnBenchOptions {
  std::string config, weights, last_stage = "layer4";
  int64_t num_samples = 1000, batch = 256;
  int repeats = 5, threads = 1;
};

CnnBenchOptions parse_cnn_bench_args(int argc, char** argv) {
  CnnBenchOptions o;
  CLI::App app{"qdse_cnn_bench: float forward and trial costs of a CNN (bench/cnn_bench.sh)"};
  app.add_option("--config", o.config, "search config (model, dataset, seed tables)")->required();
  app.add_option("--weights", o.weights, "weights file (else the config's or the ONNX file's)");
  app.add_option("--num-samples", o.num_samples, "test images timed");
  app.add_option("--batch", o.batch, "batch of the float forward");
  app.add_option("--repeats", o.repeats, "repeats, at most 5 (5 new first layers)");
  app.add_option("--threads", o.threads, "libtorch intra-op threads");
  app.add_option("--last-stage", o.last_stage, "name prefix of the last stage's first layer");
  bench::parse_bench_args(app, argc, argv);
  o.batch = std::max<int64_t>(1, o.batch);
  o.repeats = std::clamp(o.repeats, 1, 5);
  return o;
}


double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

quant::SlotFormat auto_slot(int width) {
  return quant::SlotFormat{quant::Format{quant::IntegerFormat{.width = width}}, /*auto_frac=*/true};
}

// Weight widths per quantized layer (in graph order) -> a configuration.
quant::QuantConfig widths_config(const std::vector<std::string>& layers, const std::vector<int>& weight_widths) {
  quant::QuantConfig c;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    quant::NodeQuantConfig n;
    n.data_in = auto_slot(8);
    n.weight = auto_slot(weight_widths[i]);
    n.bias = auto_slot(16);
    c.nodes[layers[i]] = n;
  }
  return c;
}

}  // namespace

int main(int argc, char** argv) try {
  const CnnBenchOptions opt = parse_cnn_bench_args(argc, argv);
  torch::set_num_threads(opt.threads);
  torch::NoGradGuard no_grad;
  const io::RunConfig rc = io::load_run_config(opt.config);
  const pipeline::Workspace ws = pipeline::open_workspace(rc, opt.weights, /*require_weights=*/false);
  const auto& test = ws.dataset.test;
  const int64_t n = opt.num_samples > 0 ? std::min(opt.num_samples, test.size()) : test.size();
  const at::Tensor x = test.x.narrow(0, 0, n).contiguous(), y = test.y.narrow(0, 0, n).contiguous();
  std::vector<std::string> layers;
  std::size_t stage_begin = 0;
  for (const ir::Node& node : ws.graph.nodes()) {
    if (node.op != ir::OpKind::Conv2d && node.op != ir::OpKind::Linear) continue;
    if (stage_begin == 0 && !layers.empty() && node.name.find(opt.last_stage) != std::string::npos)
      stage_begin = layers.size();
    layers.push_back(node.name);
  }
  if (layers.empty()) throw Error(ErrorKind::Config, opt.config + ": the model has no conv2d or linear layer");
  if (stage_begin == 0) stage_begin = layers.size() - 1;  // no such stage: the last layer
  std::printf("%s: %zu conv2d/linear layers (last stage: %zu from %s), %lld params, test split, %lld samples, "
              "%d thread(s), %d repeats\n",
              ws.graph.name().c_str(), layers.size(), layers.size() - stage_begin, layers[stage_begin].c_str(),
              (long long)ws.graph.num_params(), (long long)n, torch::get_num_threads(), opt.repeats);

  // Float forward, batches of --batch (what cnn_torch_time.py times).
  exec::EvalOptions eo;
  eo.batch_size = opt.batch;
  std::vector<double> float_s;
  double float_acc = 0;
  for (int r = 0; r <= opt.repeats; ++r) {
    exec::EvalResult er;
    const double s = bench::seconds_of([&] { er = exec::evaluate(ws.graph, nullptr, x, y, eo); });
    if (r > 0) float_s.push_back(s);
    float_acc = er.accuracy;
  }
  const double t_float = median_of(float_s);
  std::printf("float forward (exec::evaluate, batch %lld): %.2f ms median, accuracy %.4f\n", (long long)opt.batch,
              t_float * 1e3, float_acc);

  quant::CalibrationOptions co;
  co.num_samples = 256;
  const at::Tensor calib_x = ws.dataset.train.size() > 0 ? ws.dataset.train.x : x;
  const quant::RangeStats stats = quant::calibrate(ws.graph, calib_x, co);
  pipeline::EvalSettings es;
  es.batch_size = opt.batch;
  pipeline::TrialEvaluator ev(ws.graph, x, y, es, stats);
  std::vector<int> widths(layers.size(), 8);
  double acc = ev.evaluate(widths_config(layers, widths)).metrics.at("accuracy");  // warm-up
  std::vector<double> every, stage, last, repeat;
  int stage_first = 0, last_first = 0;  // first recomputed node of the last such trial
  for (int r = 0; r < opt.repeats; ++r) {
    // Round r: the first layer at a width no earlier round used (so every prefix is new).
    std::fill(widths.begin(), widths.end(), 6);
    widths[0] = std::vector<int>{7, 5, 4, 3, 2}[r];
    const quant::QuantConfig all_new = widths_config(layers, widths);
    every.push_back(bench::seconds_of([&] { acc = ev.evaluate(all_new).metrics.at("accuracy"); }));
    for (std::size_t i = stage_begin; i < layers.size(); ++i) widths[i] = 5;
    stage.push_back(bench::seconds_of([&] { stage_first = ev.evaluate(widths_config(layers, widths)).first_recomputed_node; }));
    widths.back() = 4;
    last.push_back(bench::seconds_of([&] { last_first = ev.evaluate(widths_config(layers, widths)).first_recomputed_node; }));
    repeat.push_back(bench::seconds_of([&] { ev.evaluate(all_new); }));
  }
  const auto row = [&](const char* what, const std::vector<double>& v) {
    std::printf("  %-46s %10.2f ms %8.3fx float\n", what, median_of(v) * 1e3, median_of(v) / t_float);
  };
  std::printf("pipeline::TrialEvaluator, warm, data 8 / weight W / bias 16 bits, auto frac (accuracy %.4f):\n", acc);
  row("trial, every layer new", every);
  row("trial, last stage new", stage);
  std::printf("    (recomputed from node %d of %zu, %s)\n", stage_first, ws.graph.size(),
              ws.graph.node(stage_first).name.c_str());
  row("trial, last layer new", last);
  std::printf("    (recomputed from node %d, %s)\n", last_first, ws.graph.node(last_first).name.c_str());
  row("trial, repeated configuration (result cache)", repeat);
  std::printf("  (integer layer evaluations %lld, memo %.1f MB)\n", (long long)ev.integer_nodes(),
              ev.memo_bytes() / 1e6);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "qdse_cnn_bench: %s\n", e.what());
  return 1;
}
