// run_finetune(): see finetune_run.hpp. Reads the run directory like `qdse export`
// (pipeline::read_run_inputs: the model, weights and data the search used), fine-tunes each
// trial's configuration (train::finetune), saves DIR/trial_<N>.qdse and re-evaluates every
// metric of the trial, before and after, on the search's split and on the test split.
#include "finetune_run.hpp"

#include <torch/types.h>
#include <torch/utils.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "qdse/core/error.hpp"
#include "qdse/core/file_write.hpp"
#include "qdse/core/progress.hpp"
#include "qdse/io/checkpoint.hpp"
#include "qdse/io/onnx_writeback.hpp"
#include "qdse/pipeline/run_export.hpp"
#include "qdse/pipeline/search_config.hpp"
#include "qdse/pipeline/trial_evaluator.hpp"
#include "qdse/pipeline/workspace.hpp"
#include "qdse/report/run_report.hpp"
#include "qdse/exec/evaluate.hpp"
#include "qdse/train/finetune.hpp"
#include "qdse/train/ste.hpp"

namespace qdse::cli {
namespace {

namespace fs = std::filesystem;
constexpr std::size_t kFinetuneMaxFront = 10;

nlohmann::json finetune_read_trials(const std::string& run) {
  const std::string path = run + "/trials.json";
  std::ifstream in(path);
  if (!in) throw Error(ErrorKind::Io, "cannot read " + path + " (is this a run directory of `qdse search`?)");
  nlohmann::json all = nlohmann::json::parse(in, nullptr, false);
  if (!all.is_array()) throw Error(ErrorKind::Io, path + " is not a JSON list of trials");
  return all;
}

bool finetune_single_objective(const nlohmann::json& best) {
  const auto objective = best.value("objective", nlohmann::json::object());
  return objective.value("sum_scaled_metrics", true) || objective.value("metrics", nlohmann::json::array()).size() <= 1;
}

// The k best COMPLETE trials of a single-objective run: feasible before infeasible, then by
// the objective in its direction, ties by trial number (so the first is best.json's trial).
std::vector<nlohmann::json> finetune_top_k(const std::string& run, const nlohmann::json& best, int k) {
  const bool maximize = best.value("objective", nlohmann::json::object()).value("direction", std::string()) == "maximize";
  std::vector<nlohmann::json> done;
  for (const auto& t : finetune_read_trials(run)) {
    const auto& v = t.value("values", nlohmann::json::array());
    if (t.value("state", std::string()) == "COMPLETE" && !v.empty() && v[0].is_number()) done.push_back(t);
  }
  std::stable_sort(done.begin(), done.end(), [maximize](const nlohmann::json& a, const nlohmann::json& b) {
    const bool fa = a.value("feasible", true), fb = b.value("feasible", true);
    if (fa != fb) return fa;
    const double va = a.at("values")[0].get<double>(), vb = b.at("values")[0].get<double>();
    if (va != vb) return maximize ? va > vb : va < vb;
    return a.value("number", 0) < b.value("number", 0);
  });
  if (done.size() > static_cast<std::size_t>(k)) done.resize(static_cast<std::size_t>(k));
  return done;
}

// The trials to fine-tune: the numbers asked for (each a completed trial of trials.json);
// else top_k (single objective: the k best; several objectives: the first k of the front);
// else the run's best (single objective) or its front (at most 10).
std::vector<nlohmann::json> finetune_trials(const std::string& run, const nlohmann::json& best,
                                            const FinetuneRequest& request, const io::FinetuneTable& s) {
  std::vector<nlohmann::json> out;
  if (request.trials.empty()) {
    const auto& trials = best.value("trials", nlohmann::json::array());
    if (trials.empty()) throw Error(ErrorKind::Config, run + "/best.json has no completed trial to fine-tune");
    const bool single = finetune_single_objective(best);
    const int k = s.top_k;
    if (k > 0 && single) return finetune_top_k(run, best, k);
    const std::size_t limit = k > 0 ? static_cast<std::size_t>(k) : single ? 1 : kFinetuneMaxFront;
    for (const auto& t : trials) {
      if (out.size() == limit) break;
      out.push_back(t);
    }
    return out;
  }
  const nlohmann::json all = finetune_read_trials(run);
  const std::string path = run + "/trials.json";
  for (const int n : request.trials) {
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

// learn_scale: the learned steps (each with the power of two the deployable format uses)
// and the accuracy and loss of the network as trained, with the exact learned steps
// (float32 evaluation; "after" is the deployable network, steps rounded to powers of two).
nlohmann::json finetune_learned_record(const ir::Graph& tuned, const train::FinetuneResult& r, const data::Split& split,
                                       int64_t split_samples, const data::Split& test) {
  nlohmann::json steps = nlohmann::json::array();
  for (const auto& st : r.steps) {
    const double learned = st.learned();
    const int frac = train::frac_width_of_step(learned);
    const double deployed = std::ldexp(1.0, -frac);
    steps.push_back({{"node", st.node},
                     {"slot", std::string(quant::to_string(st.slot))},
                     {"initial", st.initial},
                     {"learned", learned},
                     {"power_of_two", learned == deployed},
                     {"deployed", deployed},
                     {"frac_width", frac}});
  }
  torch::NoGradGuard no_grad;
  const exec::Plan plan = train::ste_plan(tuned, r.trained, &r.steps);
  const auto on = [&](const data::Split& d, int64_t n) {  // the first n samples (0: all), as the search
    const int64_t m = n > 0 ? std::min(n, d.x.size(0)) : d.x.size(0);
    const auto e = exec::evaluate(tuned, &plan, d.x.slice(0, 0, m), d.y.slice(0, 0, m));
    return nlohmann::json{{"accuracy", e.accuracy}, {"loss", e.loss}};
  };
  return {{"steps", steps}, {"metrics", {{"split", on(split, split_samples)}, {"test", on(test, 0)}}}};
}

void finetune_print_table(const std::string& run, const nlohmann::json& doc, int epochs, const std::string& split) {
  const auto& records = doc.at("trials");
  std::printf("fine-tuned %zu trial(s) of %s, %d epoch(s) each (split: the search's %s split; test: the whole test split)\n",
              records.size(), run.c_str(), epochs, split.c_str());
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
}

// The records an earlier fine-tuning wrote into `file` (finetune.json of the same output
// directory), read before any training so that a bad file stops the run before it costs
// anything: none when absent; a file that is not a finetune.json, or one of another model,
// is an error naming it (overwriting it would lose those trials' records).
nlohmann::json earlier_finetune_records(const fs::path& file, const std::string& model) {
  if (!fs::exists(file)) return nlohmann::json::array();
  std::ifstream in(file);
  const nlohmann::json doc = nlohmann::json::parse(in, nullptr, false);
  if (!doc.is_object() || !doc.contains("trials") || !doc.at("trials").is_array())
    throw Error(ErrorKind::Io, file.string() + " is not a finetune.json of `qdse finetune`; move it away to fine-tune "
                                               "into this directory");
  if (doc.value("model", std::string()) != model)
    throw Error(ErrorKind::Io, file.string() + " holds fine-tuned trials of model `" +
                                   doc.value("model", std::string("?")) + "`, not `" + model +
                                   "`; choose another --out");
  for (const auto& r : doc.at("trials"))
    if (!r.is_object() || !r.contains("trial") || !r.at("trial").is_number_integer())
      throw Error(ErrorKind::Io, file.string() + ": a record of `trials` has no trial number");
  return doc.at("trials");
}

// This run's records first (in the order fine-tuned), then the earlier ones of trials not
// fine-tuned again: `qdse finetune --trial 3` then `--trial 5`, or a resumed search that
// fine-tunes its new best trials, keeps every fine-tuned checkpoint in finetune.json.
nlohmann::json merge_finetune_records(const nlohmann::json& now, const nlohmann::json& earlier) {
  nlohmann::json out = now;
  for (const auto& r : earlier) {
    const bool again = std::any_of(now.begin(), now.end(), [&](const nlohmann::json& n) {
      return n.at("trial").get<int>() == r.at("trial").get<int>();
    });
    if (!again) out.push_back(r);
  }
  return out;
}

}  // namespace

io::FinetuneTable finetune_settings(const io::RunConfig& config, const FinetuneRequest& request) {
  io::FinetuneTable s = io::read_finetune_table(config);
  if (request.epochs) s.epochs = *request.epochs;
  if (request.learning_rate) s.learning_rate = *request.learning_rate;
  if (request.optimizer) s.optimizer = *request.optimizer;
  if (request.batch_size) s.batch_size = *request.batch_size;
  if (request.limit_train) s.limit_train = *request.limit_train;
  if (request.rederive_auto) s.rederive_auto = true;
  if (request.learn_scale) s.learn_scale = true;
  if (s.learn_scale && s.rederive_auto)
    throw Error(ErrorKind::Config,
                "learned step sizes (--learn-scale / learn_scale) and re-derived \"auto\" widths (--rederive-auto / "
                "auto_frac = \"rederive\") both choose the quantization step; keep one");
  return s;
}

nlohmann::json run_finetune(const std::string& run, const FinetuneRequest& request, const GlobalOptions& global,
                            bool print) {
  if (!fs::is_directory(run) || !fs::exists(fs::path(run) / "best.json") || !fs::exists(fs::path(run) / "trials.json"))
    throw Error(ErrorKind::Io, run + " is not a run directory of `qdse search` (no best.json and trials.json)");
  pipeline::RunInputs in = pipeline::read_run_inputs(run);
  const io::FinetuneTable s = finetune_settings(in.config, request);
  const std::vector<nlohmann::json> chosen = finetune_trials(run, in.best, request, s);
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
  if (s.limit_train > 0 && s.limit_train < x.size(0)) x = x.slice(0, 0, s.limit_train), y = y.slice(0, 0, s.limit_train);

  train::FinetuneOptions fo;
  fo.epochs = s.epochs;
  fo.batch_size = s.batch_size > 0 ? s.batch_size : c.batch_size;
  fo.learning_rate = s.learning_rate;
  fo.optimizer = s.optimizer == "sgd" ? train::FinetuneOptimizer::Sgd : train::FinetuneOptimizer::Adam;
  fo.cosine = s.cosine;
  fo.seed = c.seed;
  fo.rederive_auto = s.rederive_auto;
  fo.calibration = space.calibration();
  fo.learn_scale = s.learn_scale;

  // Every chosen trial's formats must have a straight-through gradient; checked before
  // anything is written.
  std::vector<quant::QuantConfig> configs;
  for (const auto& t : chosen) {
    const int number = t.value("number", -1);
    const std::string where = run + "/trials.json (trial " + std::to_string(number) + ")";
    configs.push_back(space.decode(pipeline::params_from_json(space, t.value("params", nlohmann::json::object()), where)));
    train::check_ste(configs.back(), "trial " + std::to_string(number) + " of " + run + "/trials.json");
  }

  const std::string dir = request.out.empty() ? (fs::path(run) / "finetuned").string() : request.out;
  const nlohmann::json earlier = earlier_finetune_records(fs::path(dir) / "finetune.json", c.model);
  fs::create_directories(dir);
  const bool show = !global.quiet && !global.json;
  nlohmann::json records = nlohmann::json::array();
  for (std::size_t ti = 0; ti < chosen.size(); ++ti) {
    const auto& t = chosen[ti];
    const int number = t.value("number", -1);
    const quant::QuantConfig& config = configs[ti];
    const auto t0 = std::chrono::steady_clock::now();
    pipeline::TrialEvaluator before_split(ws.graph, split.x, split.y, eval, stats);
    pipeline::TrialEvaluator before_test(ws.graph, test.x, test.y, eval_test, stats);
    const auto b_split = before_split.evaluate(config), b_test = before_test.evaluate(config);

    ir::Graph tuned = ws.graph.clone_params();
    ProgressBar bar("trial " + std::to_string(number), 0, show);
    train::TrainCallbacks cb;
    cb.on_batch = batch_progress(bar, s.epochs);
    nlohmann::json history = nlohmann::json::array();
    cb.on_epoch = [&](const train::EpochStats& e) {
      history.push_back({{"epoch", e.epoch}, {"train_loss", e.train_loss}, {"train_accuracy", e.train_accuracy},
                         {"seconds", e.seconds}});
      if (show) {
        char line[128];
        std::snprintf(line, sizeof line, "trial %d epoch %d: loss %.4f acc %.4f (%.1fs)", number, e.epoch,
                      e.train_loss, e.train_accuracy, e.seconds);
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
    const nlohmann::json learned = s.learn_scale ? finetune_learned_record(tuned, r, split, eval.num_samples, test) : nlohmann::json();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    const std::string ckpt = (fs::path(dir) / ("trial_" + std::to_string(number) + ".qdse")).string();
    nlohmann::json rec = {{"trial", number},
                          {"params", t.value("params", nlohmann::json::object())},
                          {"config", finetune_labels(r.resolved)},
                          {"config_before", finetune_labels(b_split.resolved)},
                          {"epochs", s.epochs},
                          {"learning_rate", s.learning_rate},
                          {"optimizer", s.optimizer},
                          {"schedule", s.cosine ? "cosine" : "constant"},
                          {"batch_size", fo.batch_size},
                          {"train_samples", x.size(0)},
                          {"rederive_auto", s.rederive_auto},
                          {"learn_scale", s.learn_scale},
                          {"split", std::string(data::to_string(settings.strategy.split))},
                          {"before", {{"split", finetune_metrics_json(b_split.metrics)},
                                      {"test", finetune_metrics_json(b_test.metrics)}}},
                          {"after", {{"split", finetune_metrics_json(a_split.metrics)},
                                     {"test", finetune_metrics_json(a_test.metrics)}}},
                          {"history", history},
                          {"seconds", seconds},
                          {"checkpoint", ckpt}};
    if (s.learn_scale) {
      rec["learned_steps"] = learned.at("steps");
      rec["after_learned_steps"] = learned.at("metrics");
    }
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
                              {"trials", merge_finetune_records(records, earlier)}};
  write_file_atomic((fs::path(dir) / "finetune.json").string(), doc.dump(2) + "\n");
  if (!print) return doc;
  if (global.json) {
    std::printf("%s\n", doc.dump(2).c_str());
  } else {
    nlohmann::json this_run = doc;  // the table shows what this run fine-tuned, not the kept records
    this_run["trials"] = records;
    finetune_print_table(run, this_run, s.epochs, std::string(data::to_string(settings.strategy.split)));
    std::printf("checkpoints and finetune.json: %s\n", dir.c_str());
  }
  return doc;
}

namespace {
void finetune_require_onnx(const std::string& run, const io::RunConfig& config) {
  if (!config.is_onnx())
    throw Error(ErrorKind::Config, "--onnx-out writes fine-tuned weights into the ONNX file a model was imported from; "
                                   "the model of " + run + " is the zoo model `" + config.model +
                                   "` (--weights-out writes its qdse checkpoint)");
}
}  // namespace

void require_onnx_run(const std::string& run) { finetune_require_onnx(run, pipeline::read_run_inputs(run).config); }

void write_finetuned_onnx(const std::string& run, const std::string& checkpoint, const std::string& out) {
  const pipeline::RunInputs in = pipeline::read_run_inputs(run);
  finetune_require_onnx(run, in.config);
  const ir::Graph original = pipeline::build_graph(in.config);
  ir::Graph tuned = pipeline::build_graph(in.config);
  io::load_checkpoint(checkpoint, tuned);
  io::write_onnx_initializers(in.config.model, original, tuned, out);
}

std::string finetuned_steps_note(const std::string& run, int trial) {
  const std::string path = (fs::path(run) / "finetuned" / "finetune.json").string();
  std::ifstream in(path);
  const nlohmann::json doc = nlohmann::json::parse(in, nullptr, false);
  if (!doc.is_object()) return "";
  std::string note;
  for (const auto& rec : doc.value("trials", nlohmann::json::array())) {
    if (!rec.is_object() || rec.value("trial", -1) != trial) continue;
    for (const auto& st : rec.value("learned_steps", nlohmann::json::array())) {
      const std::string what = "layer '" + st.value("node", std::string("?")) + "' " + st.value("slot", std::string("?"));
      const double learned = st.value("learned", 0.0), deployed = st.value("deployed", 0.0), initial = st.value("initial", 0.0);
      char buf[160];
      if (deployed != initial) {
        std::snprintf(buf, sizeof buf, "learned step %.6g deploys as %.6g, not the searched %.6g", learned, deployed, initial);
        throw Error(ErrorKind::Config, "trial " + std::to_string(trial) + " of " + path + ": " + what + "'s " + buf +
                                           "; the hls4ml table holds the searched formats, so it is not exported "
                                           "(fine-tune without learn_scale to export)");
      }
      if (learned != deployed) {
        std::snprintf(buf, sizeof buf, " step %.6g -> %.6g", learned, deployed);
        note += (note.empty() ? "" : ",") + std::string(" ") + what + buf;
      }
    }
  }
  return note.empty() ? "" : "learned steps that are not powers of two, exported as the nearest one (the searched format, "
                             "finetune.json's `after`):" + note;
}

void finetune_after_search(const std::string& run_dir, const nlohmann::json& best, bool write_report,
                           const GlobalOptions& global) {
  if (!global.json) std::printf("fine-tuning ([finetune] of the config):\n");
  std::fflush(stdout);
  const nlohmann::json doc = run_finetune(run_dir, FinetuneRequest{}, global, /*print=*/!global.json);
  if (global.json) {
    nlohmann::json out = best;
    out["finetune"] = doc;
    std::printf("%s\n", out.dump(2).c_str());
  }
  std::fflush(stdout);  // the table before the report line on stderr, also when stdout is a file
  if (write_report) {
    const std::string index = report::write_run_report(run_dir);
    if (!global.json) std::fprintf(stderr, "report (with the fine-tuned trials): %s\n", index.c_str());
  }
}

}  // namespace qdse::cli
