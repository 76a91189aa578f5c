// Evaluation cost of a quantized model against the float one (issue 3: goal <= 1.3x),
// fmnist-mlp with the peer's trained weights on the whole Fashion-MNIST test split,
// one libtorch thread on both sides.
//
// Measured over --repeats runs after one untimed warm-up (exec::evaluate rows are
// interleaved round by round and give min and median; TrialEvaluator rows the median):
//  - float: exec::evaluate() without a plan;
//  - per config (configs/fmnist_mlp_int8.toml: every layer int8 "NA"; and
//    configs/fmnist_mlp_int4_auto.toml: 4-bit weights, auto frac widths): building the
//    plan (quant::quantize(): weights quantized once) and exec::evaluate() with it
//    (activations quantized on the fly); "quantized / float" is (plan + eval) / float;
//  - pipeline::TrialEvaluator (what `qdse search` runs per trial): a fresh evaluator's
//    first config (nothing memoized), then on a warm evaluator a config that changes
//    every layer, one that changes only the last layer (prefix memo) and a repeat
//    (result cache).
// A plain main (no Google Benchmark) so it can print ratios:
//   build-bench/bench/qdse_eval_bench [--repeats 7] [--threads 1] [--weights PATH] [--num-samples N]
//                                     [--float-only]   (just the float row, for search_e2e.sh)
#include <torch/types.h>
#include <torch/utils.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "bench_cli.hpp"
#include "qdse/core/error.hpp"
#include "qdse/exec/evaluate.hpp"
#include "qdse/io/quantize_config.hpp"
#include "qdse/io/run_config.hpp"
#include "qdse/pipeline/trial_evaluator.hpp"
#include "qdse/pipeline/workspace.hpp"
#include "qdse/lower/calibration.hpp"
#include "qdse/lower/transform.hpp"

namespace {

using namespace qdse;

struct Options {
  int repeats = 7;
  int threads = 1;
  int64_t num_samples = 0;
  bool float_only = false;
  // the peer's weights: shared/ sits beside the project root
  std::string weights =
      (std::filesystem::path(QDSE_SOURCE_DIR).parent_path() / "shared/bench/peer/models/fmnist-mlp.json").string();
};

Options parse_args(int argc, char** argv) {
  Options o;
  CLI::App app{"qdse_eval_bench: evaluation costs on fmnist-mlp"};
  app.add_option("--repeats", o.repeats, "repeats (median reported)");
  app.add_option("--threads", o.threads, "libtorch intra-op threads");
  app.add_option("--num-samples", o.num_samples, "test samples (0: all)");
  app.add_option("--weights", o.weights, "the peer's fmnist-mlp weights");
  app.add_flag("--float-only", o.float_only, "only the float forward");
  bench::parse_bench_args(app, argc, argv);
  o.repeats = std::max(1, o.repeats);
  return o;
}


quant::QuantConfig load_config(const std::string& file, const ir::Graph& graph, const at::Tensor& train_x,
                               double* calibration_seconds) {
  const io::RunConfig rc = io::load_run_config(file);
  auto pass = io::parse_quantize_pass(rc, graph);
  if (!pass) throw Error(ErrorKind::Config, file + ": no [passes.quantize] table");
  std::optional<quant::RangeStats> stats;
  *calibration_seconds = 0;
  if (quant::uses_auto_frac(pass->config))
    *calibration_seconds = bench::seconds_of([&] { stats = quant::calibrate(graph, train_x, pass->calibration); });
  return quant::resolve_auto_frac(graph, pass->config, stats ? &*stats : nullptr);
}

// `base` with new integer widths per layer (in node-name order): weight and bias
// width w, data_in width d, frac = width // 2 (MASE's "NA").
quant::QuantConfig with_widths(const quant::QuantConfig& base, const std::vector<std::pair<int, int>>& wd) {
  quant::QuantConfig c = base;
  std::size_t i = 0;
  for (auto& [name, nc] : c.nodes) {
    const auto [w, d] = wd.at(i++);
    for (quant::Slot s : quant::kSlots) {
      auto& slot = nc.slot(s);
      if (!slot) continue;
      if (auto* f = std::get_if<quant::IntegerFormat>(&slot->format.params)) {
        f->width = s == quant::Slot::DataIn ? d : w;
        f->frac_width = f->width / 2;
      }
    }
  }
  return c;
}

}  // namespace

int main(int argc, char** argv) try {
  const Options opt = parse_args(argc, argv);
  torch::set_num_threads(opt.threads);
  const std::string dir = QDSE_SOURCE_DIR;
  const io::RunConfig rc = io::load_run_config(dir + "/configs/fmnist_mlp_int8.toml");
  const pipeline::Workspace ws = pipeline::open_workspace(rc, opt.weights, /*require_weights=*/true);
  const auto& test = ws.dataset.test;
  exec::EvalOptions eo;
  eo.batch_size = 1024;
  eo.num_samples = opt.num_samples;
  const int64_t n = opt.num_samples > 0 ? std::min(opt.num_samples, test.size()) : test.size();
  std::printf("fmnist-mlp, weights %s, test split, %lld samples, batch %lld, %d thread(s), %d repeats\n",
              opt.weights.c_str(), (long long)n, (long long)eo.batch_size, torch::get_num_threads(), opt.repeats);

  // exec::evaluate: float and each config, interleaved round by round (so a noisy
  // neighbour slows all of them alike); round 0 is the warm-up. min and median.
  struct Item {
    std::string label;
    std::optional<quant::QuantConfig> config;  // nullopt = float
    exec::Plan plan;
    std::vector<double> plan_s, eval_s;
    double accuracy = 0;
    int float64_layers = 0;
  };
  std::vector<Item> items;
  items.push_back({"float", std::nullopt, {}, {}, {}, 0, 0});
  if (!opt.float_only) {
    for (const auto& [label, file] : {std::pair<std::string, std::string>{"int8 NA (fmnist_mlp_int8)", "fmnist_mlp_int8.toml"},
                                      {"int4 auto (fmnist_mlp_int4_auto)", "fmnist_mlp_int4_auto.toml"}}) {
      double calib = 0;
      items.push_back({label, load_config(dir + "/configs/" + file, ws.graph, ws.dataset.train.x, &calib), {}, {}, {}, 0, 0});
      if (calib > 0) std::printf("  (%s: calibration once per model, %.2f ms, not counted)\n", label.c_str(), calib * 1e3);
    }
  }
  for (int round = 0; round <= opt.repeats; ++round) {
    for (auto& it : items) {
      const exec::Plan* plan = nullptr;
      if (it.config) {
        const double s = bench::seconds_of([&] { it.plan = quant::quantize(ws.graph, *it.config); });
        if (round > 0) it.plan_s.push_back(s);
        plan = &it.plan;
      }
      exec::EvalResult r;
      const double s = bench::seconds_of([&] { r = exec::evaluate(ws.graph, plan, test.x, test.y, eo); });
      if (round > 0) it.eval_s.push_back(s);
      it.accuracy = r.accuracy;
    }
  }
  auto stat = [](std::vector<double> v, bool median) {
    if (v.empty()) return 0.0;
    std::sort(v.begin(), v.end());
    return median ? v[v.size() / 2] : v.front();
  };
  const double t_float = stat(items[0].eval_s, true);
  const double t_float_min = stat(items[0].eval_s, false);
  std::printf("\n%-34s %9s %9s %9s %9s %9s %9s\n", "exec::evaluate (ms)", "plan", "eval med", "total med",
              "x float", "total min", "x float");
  for (const auto& it : items) {
    int f64 = 0;
    for (const auto& o : it.plan.nodes) f64 += o.float64 ? 1 : 0;
    const double med = stat(it.plan_s, true) + stat(it.eval_s, true);
    const double mn = stat(it.plan_s, false) + stat(it.eval_s, false);
    std::printf("%-34s %9.2f %9.2f %9.2f %9.2f %9.2f %9.2f   acc %.4f", it.label.c_str(), stat(it.plan_s, true) * 1e3,
                stat(it.eval_s, true) * 1e3, med * 1e3, med / t_float, mn * 1e3, mn / t_float_min, it.accuracy);
    if (it.config) std::printf(", %d float64 layer(s)", f64);
    std::printf("\n");
  }
  if (opt.float_only) return 0;
  const auto int8_config = *items[1].config;

  // TrialEvaluator: the per-trial cost inside `qdse search`.
  pipeline::EvalSettings es;
  es.num_samples = opt.num_samples;
  es.batch_size = eo.batch_size;
  const auto& int8 = int8_config;
  std::printf("\n%-52s %10s %9s\n", "pipeline::TrialEvaluator", "ms", "x float");
  auto row = [&](const char* what, double s, double acc) {
    std::printf("%-52s %10.2f %9.2f   acc %.4f\n", what, s * 1e3, s / t_float, acc);
  };
  double acc = 0;
  {
    std::vector<double> t;
    for (int i = 0; i <= opt.repeats; ++i) {  // i = 0: warm-up
      pipeline::TrialEvaluator ev(ws.graph, test.x, test.y, es, std::nullopt);
      const double s = bench::seconds_of([&] { acc = ev.float_metrics().at("accuracy"); });
      if (i > 0) t.push_back(s);
    }
    std::sort(t.begin(), t.end());
    row("float_metrics() (fresh evaluator)", t[t.size() / 2], acc);
  }
  {
    std::vector<double> t;
    for (int i = 0; i <= opt.repeats; ++i) {
      pipeline::TrialEvaluator ev(ws.graph, test.x, test.y, es, std::nullopt);
      const double s = bench::seconds_of([&] { acc = ev.evaluate(int8).metrics.at("accuracy"); });
      if (i > 0) t.push_back(s);
    }
    std::sort(t.begin(), t.end());
    row("int8 NA, fresh evaluator (nothing memoized)", t[t.size() / 2], acc);
  }
  {
    // Warm evaluator; every timed config is new to it. Config i: every layer weight
    // width w_i (first layer data_in d_i, so the first layer, hence all, is new);
    // then the same with only the last layer's weight at 8 bits; then config i again.
    std::vector<double> all, last, cached;
    double acc_all = 0, acc_last = 0, acc_cached = 0;
    pipeline::TrialEvaluator ev(ws.graph, test.x, test.y, es, std::nullopt);
    ev.evaluate(int8);
    for (int i = 0; i < opt.repeats; ++i) {
      const int w = 7 - i % 6, d = 7 - (i / 6) % 5;
      const auto every = with_widths(int8, {{w, d}, {w, 8}, {w, 8}});
      const auto last_new = with_widths(int8, {{w, d}, {w, 8}, {8, 8}});
      all.push_back(bench::seconds_of([&] { acc_all = ev.evaluate(every).metrics.at("accuracy"); }));
      last.push_back(bench::seconds_of([&] { acc_last = ev.evaluate(last_new).metrics.at("accuracy"); }));
      cached.push_back(bench::seconds_of([&] { acc_cached = ev.evaluate(every).metrics.at("accuracy"); }));
    }
    for (auto* v : {&all, &last, &cached}) std::sort(v->begin(), v->end());
    row("warm evaluator, every layer new", all[all.size() / 2], acc_all);
    row("warm evaluator, only the last layer new (memo)", last[last.size() / 2], acc_last);
    row("warm evaluator, repeated config (result cache)", cached[cached.size() / 2], acc_cached);
    std::printf("  (memo %.1f MB, %lld cache hits)\n", ev.memo_bytes() / 1e6, (long long)ev.cache_hits());
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "qdse_eval_bench: %s\n", e.what());
  return 1;
}
