// `qdse finetune`: quantization-aware fine-tuning of a search's trials (issue 18;
// docs/finetune.md). Reads the run directory like `qdse export` (pipeline::read_run_inputs:
// the model, weights and data the search used), fine-tunes each trial's configuration
// (train::finetune), saves RUN_DIR/finetuned/trial_<N>.qdse and re-evaluates every metric
// of the trial, before and after, on the search's split and on the test split.
#include <torch/types.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "commands.hpp"
#include "qdse/core/error.hpp"
#include "qdse/core/file_write.hpp"
#include "qdse/core/progress.hpp"
#include "qdse/io/checkpoint.hpp"
#include "qdse/pipeline/run_export.hpp"
#include "qdse/pipeline/search_config.hpp"
#include "qdse/pipeline/trial_evaluator.hpp"
#include "qdse/pipeline/workspace.hpp"
#include "qdse/train/finetune.hpp"

namespace qdse::cli {
namespace {

namespace fs = std::filesystem;
constexpr std::size_t kMaxFrontTrials = 10;

// The trials to fine-tune: the numbers asked for (each a completed trial of trials.json),
// else the run's best (single objective) or its front (multi-objective, at most 10).
std::vector<nlohmann::json> finetune_trials(const std::string& run, const nlohmann::json& best,
                                            const std::vector<int>& numbers) {
  std::vector<nlohmann::json> out;
  if (numbers.empty()) {
    const auto& trials = best.value("trials", nlohmann::json::array());
    if (trials.empty()) throw Error(ErrorKind::Config, run + "/best.json has no completed trial to fine-tune");
    const auto objective = best.value("objective", nlohmann::json::object());
    const bool single = objective.value("sum_scaled_metrics", true) ||
                        objective.value("metrics", nlohmann::json::array()).size() <= 1;
    for (const auto& t : trials) {
      out.push_back(t);
      if (single || out.size() == kMaxFrontTrials) break;
    }
    return out;
  }
  const std::string path = run + "/trials.json";
  std::ifstream in(path);
  if (!in) throw Error(ErrorKind::Io, "cannot read " + path + " (is this a run directory of `qdse search`?)");
  const nlohmann::json all = nlohmann::json::parse(in, nullptr, false);
  if (!all.is_array()) throw Error(ErrorKind::Io, path + " is not a JSON list of trials");
  for (const int n : numbers) {
    const nlohmann::json* found = nullptr;
    for (const auto& t : all)
      if (t.value("number", -1) == n) found = &t;
    if (!found)
      throw Error(ErrorKind::InvalidArgument, "trial " + std::to_string(n) + " is not in " + path + " (its trials are 0.." +
                                                  std::to_string(static_cast<int>(all.size()) - 1) + ")");
    const std::string state = found->value("state", std::string("?"));
    if (state != "COMPLETE")
      throw Error(ErrorKind::InvalidArgument, "trial " + std::to_string(n) + " of " + path + " is " + state +
                                                  ", not COMPLETE: it has no metrics to fine-tune from");
    out.push_back(*found);
  }
  return out;
}

// Metrics as JSON, without the evaluator's bookkeeping.
nlohmann::json finetune_metrics_json(const std::map<std::string, double>& m) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : m)
    if (k != "cached" && k != "first_recomputed_node") j[k] = v;
  return j;
}

nlohmann::json finetune_labels(const quant::QuantConfig& c) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [node, nc] : c.nodes)
    if (nc.quantized()) j[node] = quant::describe(nc);
  return j;
}

}  // namespace

void add_finetune_command(CLI::App& app, GlobalOptions& global) {
  auto* cmd = app.add_subcommand("finetune", "quantization-aware fine-tuning of a search's trials");
  static std::string run, out, optimizer = "adam";
  static std::vector<int> trials;
  static int epochs = 3;
  static double lr = 1e-4;
  static int64_t batch_size = 0, limit_train = 0;
  static bool rederive = false;
  cmd->add_option("-r,--run", run, "run directory of `qdse search` (config.toml, best.json, trials.json)")->required();
  cmd->add_option("--trial", trials, "trial number(s) of trials.json (default: the best, or the front up to 10)")
      ->check(whole_number(0));
  cmd->add_option("--epochs", epochs, "fine-tuning epochs (default 3)")->check(whole_number(1, 100));
  cmd->add_option("--lr", lr, "initial learning rate, cosine-decayed to 0 (default 1e-4)")->check(finite_number(0, false));
  cmd->add_option("--optimizer", optimizer, "adam (default) or sgd (momentum 0.9)")->check(CLI::IsMember({"adam", "sgd"}));
  cmd->add_option("--batch-size", batch_size, "default: the config's batch_size")->check(whole_number(1, 1 << 20));
  cmd->add_option("--limit-train", limit_train, "fine-tune on the first N training samples only")
      ->check(whole_number(1, std::numeric_limits<int64_t>::max()));
  cmd->add_flag("--rederive-auto", rederive, "re-derive \"auto\" frac widths from the fine-tuned weights (default: kept)");
  cmd->add_option("-o,--out", out, "output directory (default: RUN_DIR/finetuned)");
  cmd->callback([&global] {
    if (!fs::is_directory(run) || !fs::exists(fs::path(run) / "best.json") ||
        !fs::exists(fs::path(run) / "trials.json"))
      throw Error(ErrorKind::Io, run + " is not a run directory of `qdse search` (no best.json and trials.json)");
    pipeline::RunInputs in = pipeline::read_run_inputs(run);
    const std::vector<nlohmann::json> chosen = finetune_trials(run, in.best, trials);
    io::RunConfig& c = in.config;
    apply_threads(global, c.threads);
    const pipeline::SearchConfig settings = pipeline::parse_search_config(c);
    const pipeline::Workspace ws = pipeline::open_workspace(c, in.weights, /*require_weights=*/true);
    const pipeline::QuantSpace space(settings.space, ws.graph);
    // The search's calibration (training samples) and evaluation split.
    const quant::RangeStats stats = quant::calibrate(ws.graph, ws.dataset.train.x, space.calibration());
    const data::Split& split = ws.dataset.split(settings.strategy.split);
    const data::Split& test = ws.dataset.test;
    pipeline::EvalSettings eval = settings.strategy.eval, eval_test = eval;
    eval_test.num_samples = 0;  // the whole test split
    at::Tensor x = ws.dataset.train.x, y = ws.dataset.train.y;
    if (limit_train > 0 && limit_train < x.size(0)) x = x.slice(0, 0, limit_train), y = y.slice(0, 0, limit_train);

    train::FinetuneOptions fo;
    fo.epochs = epochs;
    fo.batch_size = batch_size > 0 ? batch_size : c.batch_size;
    fo.learning_rate = lr;
    fo.optimizer = optimizer == "sgd" ? train::FinetuneOptimizer::Sgd : train::FinetuneOptimizer::Adam;
    fo.seed = c.seed;
    fo.rederive_auto = rederive;
    fo.calibration = space.calibration();

    const std::string dir = out.empty() ? (fs::path(run) / "finetuned").string() : out;
    fs::create_directories(dir);
    const bool show = !global.quiet && !global.json;
    nlohmann::json records = nlohmann::json::array();
    for (const auto& t : chosen) {
      const int number = t.value("number", -1);
      const std::string where = run + "/trials.json (trial " + std::to_string(number) + ")";
      const auto params = pipeline::params_from_json(space, t.value("params", nlohmann::json::object()), where);
      const quant::QuantConfig config = space.decode(params);
      const auto t0 = std::chrono::steady_clock::now();
      pipeline::TrialEvaluator before_split(ws.graph, split.x, split.y, eval, stats);
      pipeline::TrialEvaluator before_test(ws.graph, test.x, test.y, eval_test, stats);
      const auto b_split = before_split.evaluate(config), b_test = before_test.evaluate(config);

      ir::Graph tuned = ws.graph.clone_params();
      ProgressBar bar("trial " + std::to_string(number), 0, show);
      train::TrainCallbacks cb;
      cb.on_batch = [&](int epoch, int64_t b, int64_t nb, double loss) {
        bar.set_total(nb);
        char note[96];
        std::snprintf(note, sizeof note, "epoch %d/%d loss %.4f", epoch, epochs, loss);
        bar.update(b, note);
      };
      nlohmann::json history = nlohmann::json::array();
      cb.on_epoch = [&](const train::EpochStats& s) {
        history.push_back({{"epoch", s.epoch}, {"train_loss", s.train_loss}, {"train_accuracy", s.train_accuracy},
                           {"seconds", s.seconds}});
        if (show) {
          char line[128];
          std::snprintf(line, sizeof line, "trial %d epoch %d: loss %.4f acc %.4f (%.1fs)", number, s.epoch,
                        s.train_loss, s.train_accuracy, s.seconds);
          bar.print_line(line);
        }
        bar.restart();
      };
      const train::FinetuneResult r = train::finetune(tuned, config, &stats, x, y, {}, {}, fo, cb);
      bar.finish();
      // After: the fine-tuned weights with the configuration fine-tuned (auto widths as
      // numbers, kept or re-derived), evaluated exactly as the search evaluates.
      pipeline::TrialEvaluator after_split(tuned, split.x, split.y, eval, std::nullopt);
      pipeline::TrialEvaluator after_test(tuned, test.x, test.y, eval_test, std::nullopt);
      const auto a_split = after_split.evaluate(r.resolved), a_test = after_test.evaluate(r.resolved);
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

      const std::string ckpt = (fs::path(dir) / ("trial_" + std::to_string(number) + ".qdse")).string();
      nlohmann::json rec = {{"trial", number},
                            {"params", t.value("params", nlohmann::json::object())},
                            {"config", finetune_labels(r.resolved)},
                            {"config_before", finetune_labels(b_split.resolved)},
                            {"epochs", epochs},
                            {"learning_rate", lr},
                            {"optimizer", optimizer},
                            {"batch_size", fo.batch_size},
                            {"train_samples", x.size(0)},
                            {"rederive_auto", rederive},
                            {"split", std::string(data::to_string(settings.strategy.split))},
                            {"before", {{"split", finetune_metrics_json(b_split.metrics)},
                                        {"test", finetune_metrics_json(b_test.metrics)}}},
                            {"after", {{"split", finetune_metrics_json(a_split.metrics)},
                                       {"test", finetune_metrics_json(a_test.metrics)}}},
                            {"history", history},
                            {"seconds", seconds},
                            {"checkpoint", ckpt}};
      io::save_checkpoint(tuned, ckpt, {{"model", c.model}, {"finetune", rec}});
      records.push_back(rec);
    }
    // The float model's metrics on both splits: what fine-tuning tries to get back to.
    pipeline::TrialEvaluator float_split(ws.graph, split.x, split.y, eval, std::nullopt);
    pipeline::TrialEvaluator float_test(ws.graph, test.x, test.y, eval_test, std::nullopt);
    const nlohmann::json doc = {{"run", run},
                                {"model", c.model},
                                {"float", {{"split", finetune_metrics_json(float_split.float_metrics())},
                                           {"test", finetune_metrics_json(float_test.float_metrics())}}},
                                {"trials", records}};
    write_file_atomic((fs::path(dir) / "finetune.json").string(), doc.dump(2) + "\n");
    if (global.json) {
      std::printf("%s\n", doc.dump(2).c_str());
      return;
    }
    std::printf("fine-tuned %zu trial(s) of %s, %d epoch(s) each (split: the search's %s split; test: the whole test split)\n",
                records.size(), run.c_str(), epochs, std::string(data::to_string(settings.strategy.split)).c_str());
    std::printf("  trial   split acc before -> after    test acc before -> after    loss before -> after   seconds\n");
    for (const auto& r : records) {
      const auto m = [&](const char* when, const char* where, const char* key) {
        return r.at(when).at(where).value(key, 0.0);
      };
      std::printf("  %5d   %10.4f -> %-10.4f   %9.4f -> %-10.4f   %7.4f -> %-7.4f   %7.1f\n", r.at("trial").get<int>(),
                  m("before", "split", "accuracy"), m("after", "split", "accuracy"), m("before", "test", "accuracy"),
                  m("after", "test", "accuracy"), m("before", "split", "loss"), m("after", "split", "loss"),
                  r.at("seconds").get<double>());
    }
    std::printf("  float   %10.4f               %9.4f\n", doc.at("float").at("split").value("accuracy", 0.0),
                doc.at("float").at("test").value("accuracy", 0.0));
    std::printf("checkpoints and finetune.json: %s\n", dir.c_str());
  });
}

}  // namespace qdse::cli
