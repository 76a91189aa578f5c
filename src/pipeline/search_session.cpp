// SearchSession: settings, inputs, study identity, run directory and study of a
// search; see include/qdse/pipeline/search_session.hpp.
#include "qdse/pipeline/search_session.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <map>
#include <vector>

#include "qdse/core/error.hpp"
#include "qdse/quant/formats/format.hpp"
#include "qdse/pipeline/hw_feasibility.hpp"
#include "qdse/pipeline/run_directory.hpp"
#include "qdse/pipeline/sensitivity_sampler_setup.hpp"
#include "qdse/pipeline/study_fingerprint.hpp"
#include "qdse/pipeline/thread_budget.hpp"
#include "qdse/search/sampler_factory.hpp"
#include "qdse/storage/open_storage.hpp"
#include "qdse/storage/process_identity.hpp"
#include "qdse/storage/postgres_storage.hpp"

namespace qdse::pipeline {
namespace {

namespace fs = std::filesystem;

// The default study name: the config file's stem, else the model.
std::string default_study_name(const io::RunConfig& c) {
  if (!c.file.empty()) return fs::path(c.file).stem().string();
  return fs::path(c.model).stem().string();
}

// This process as a worker of the study: "<host>:<pid>", from the same identity the
// storage records with each trial.
std::string worker_name() {
  const auto self = storage::this_process();
  return (self.host.empty() ? std::string("host") : self.host) + ":" + std::to_string(self.pid);
}

// The description of `study` in the storage `url` when that study exists; reads only
// (a missing SQLite file is not created).
std::optional<nlohmann::json> stored_description(const std::string& url, const std::string& study) {
  const auto parsed = storage::parse_storage_url(url);
  if (parsed.kind == storage::StorageKind::Memory) return std::nullopt;
  if (parsed.kind == storage::StorageKind::Sqlite && !fs::exists(parsed.target)) return std::nullopt;
  for (const auto& s : storage::list_studies(url))
    if (s.name == study) return nlohmann::json::parse(s.space_json, nullptr, false);
  return std::nullopt;
}

// With hw metrics, every format the space can choose must have an FPGA cost model (fixed
// point, or "NA" = float, costed at hls4ml's default precision): refused here, before the
// first trial, rather than as failed trials (pipeline/hw_cost_model.hpp).
void check_hw_costable_space(const QuantSpace& space, const HwTarget& target) {
  const auto& s = space.space();
  for (std::size_t i = 0; i < s.n_params(); ++i) {
    if (!s.name(i).ends_with("/config/name")) continue;
    for (const auto& choice : space.choices(i)) {
      const auto* text = std::get_if<std::string>(&choice);
      if (!text || *text == "NA") continue;  // a non-string name is the space's own error
      const std::string& label = *text;
      const auto kind = quant::parse_format_kind(label, space.where());
      if (kind != quant::FormatKind::Integer && kind != quant::FormatKind::Float)
        throw Error(ErrorKind::Config, "`" + s.name(i) + "` offers format \"" + label +
                                           "\", which the FPGA cost models of the hw metrics do not take (fixed-point "
                                           "integer formats only; " + target.where + ") (" + space.where() + ")");
    }
  }
}

// Implementation keys (reuse_factor, strategy, pe, simd) cost layers only under a hw
// target; each combination a layer can take is checked against its shape now, so a reuse
// factor that does not divide a layer fails before the first trial with the valid values.
void check_impl_space(const QuantSpace& space, const ir::Graph& graph, const std::optional<HwTarget>& target) {
  const auto dims = space.impl_dims();
  if (dims.empty()) return;
  if (!target)
    throw Error(ErrorKind::Config, "`" + dims.front().param +
                                       "` is an implementation parameter of the FPGA cost models; it needs a "
                                       "[search.strategy.hw_runner.fpga] table (" + dims.front().where + ")");
  const HwCostModel model(graph, *target);
  // Dims of one group share their node list; try every combination of their choices.
  std::map<std::vector<int>, std::vector<const QuantSpace::ImplDim*>> by_nodes;
  for (const auto& d : dims) by_nodes[d.nodes].push_back(&d);
  for (const auto& [nodes, group] : by_nodes) {
    std::vector<std::size_t> pick(group.size(), 0);
    while (true) {
      LayerImpl impl;
      for (std::size_t k = 0; k < group.size(); ++k)
        set_impl_key(impl, group[k]->key, group[k]->choices[pick[k]], group[k]->where);
      for (int node : nodes) model.check_impl(graph.node(node).name, impl, group.front()->where);
      std::size_t k = 0;
      while (k < group.size() && ++pick[k] == group[k]->choices.size()) pick[k++] = 0;
      if (k == group.size()) break;
    }
  }
}

}  // namespace

SearchSession::SearchSession(io::RunConfig config, SearchOverrides overrides, int threads)
    : overrides_(std::move(overrides)), settings_(parse_search_config(config)) {
  apply_overrides(settings_, overrides_);
  // --threads / `threads` win for libtorch; else the jobs share the cores, and BLAS runs
  // single-threaded under several jobs.
  apply_thread_budget(plan_threads(settings_.strategy.n_jobs, threads));
  const auto t0 = std::chrono::steady_clock::now();
  const StrategyConfig& strategy = settings_.strategy;
  workspace_ = open_model(config, overrides_.load, /*require_weights=*/true);
  space_ = std::make_unique<QuantSpace>(settings_.space, workspace_.graph);
  // The sensitivity sampler's groups and cost table come from the space (compare copies them too).
  fill_sensitivity_tables(settings_.strategy.sampler_options.sensitivity, *space_, workspace_.graph, settings_.space,
                          config.file.empty() ? std::string("the config") : config.file);
  if (strategy.eval.hw) check_hw_costable_space(*space_, *strategy.eval.hw);
  check_impl_space(*space_, workspace_.graph, strategy.eval.hw);
  // Training samples serve calibration ("auto" frac widths) and the validation split only.
  load_data(workspace_, strategy.split != data::SplitKind::Test || space_->uses_auto_frac());
  // Range statistics (for frac_width = "auto") come from training samples, never from
  // the evaluation split.
  stats_ = quant::calibrate(workspace_.graph, workspace_.dataset.train.x, space_->calibration());
  if (strategy.eval.hw)
    check_hw_constraints_reachable(*space_, workspace_.graph, HwCostModel(workspace_.graph, *strategy.eval.hw), stats_,
                                   strategy.constraints,
                                   "[search.strategy.constraints] of " +
                                       (config.file.empty() ? std::string("the config") : config.file));
  // One evaluator per job; they share the graph and data tensors and split the memo budget.
  EvalSettings eval = strategy.eval;
  eval.memo_budget_bytes /= strategy.n_jobs;
  const auto& split = eval_split();
  for (int j = 0; j < strategy.n_jobs; ++j)
    evaluators_.push_back(std::make_unique<TrialEvaluator>(workspace_.graph, split.x, split.y, eval, stats_));
  // warm_start on tpe / nsgaii: the predicted front of a sensitivity table comes first.
  fill_warm_start(settings_.strategy.sampler_options, *space_, workspace_.graph, settings_.space, *evaluators_.front(),
                  config.file);
  description_ = study_description(workspace_, *space_, settings_, stats_);
  startup_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

SearchSession::~SearchSession() = default;

const data::Split& SearchSession::eval_split() const { return workspace_.dataset.split(settings_.strategy.split); }

std::vector<TrialEvaluator*> SearchSession::evaluators() const {
  std::vector<TrialEvaluator*> out;
  for (const auto& e : evaluators_) out.push_back(e.get());
  return out;
}

std::string SearchSession::shown_storage() const { return storage::redact_url(settings_.setup.storage); }

void SearchSession::open_study() {
  StudySetup& setup = settings_.setup;
  const io::RunConfig& c = config();
  run_dir_ = overrides_.out.empty() ? default_run_dir(c) : overrides_.out;
  // Nothing is written before the run is accepted: first the checks, then the writes.
  check_run_dir(run_dir_, c.file, overrides_.force);
  if (setup.storage.empty()) setup.storage = run_dir_ + "/study.db";
  if (setup.study.empty()) setup.study = default_study_name(c);
  std::string description = description_.dump();
  if (const auto stored = stored_description(setup.storage, setup.study))
    description = resumable_description(*stored, description_,
                                        "study `" + setup.study + "` in `" + shown_storage() + "`", &resume_warning_);
  const bool created = !fs::exists(run_dir_);
  fs::create_directories(run_dir_);
  try {
    // Create or resume: the storage checks the description and directions again (another
    // process may have created the study since).
    storage_ = storage::open_storage(setup.storage, setup.study, description, settings_.strategy.directions());
  } catch (...) {
    std::error_code ec;
    if (created) fs::remove_all(run_dir_, ec);  // a directory this call made, and nothing else
    throw;
  }
  worker_ = worker_name();
  study_ = std::make_unique<search::Study>(space_->space(), settings_.strategy.directions(), storage_,
                                           search::make_sampler(settings_.strategy.sampler,
                                                                settings_.strategy.sampler_options),
                                           worker_);
  trials_before_ = storage_->n_trials();
  stale_trials_ = study_->fail_stale_trials(setup.heartbeat).size();
  copy_config_into(c.file, run_dir_);
}

int SearchSession::planned_trials() const {
  const auto& strategy = settings_.strategy;
  const auto size = space_->space().size();
  int total = strategy.n_trials;
  if (size && search::info_of(search::parse_sampler_kind(strategy.sampler)).exhaustive) {
    // Cells left: the space minus the trials so far, plus the retries.
    const auto left = static_cast<int64_t>(*size) - trials_before_ + static_cast<int64_t>(study_->pending_retries());
    total = static_cast<int>(std::clamp<int64_t>(left, 0, total));
  }
  return total;
}

SearchSummary SearchSession::run(const std::atomic<bool>* stop,
                                 const std::function<void(const SearchProgress&)>& on_trial) {
  if (!study_) throw Error(ErrorKind::InvalidArgument, "SearchSession::run before open_study");
  RunOptions options;
  options.heartbeat_interval = std::chrono::milliseconds(
      std::max<int64_t>(1, static_cast<int64_t>(settings_.setup.heartbeat * 1000 / 4)));
  return run_search(*study_, *space_, evaluators(), settings_.strategy, stop, on_trial, options);
}

SearchSummary SearchSession::run_on(search::Study& study, const StrategyConfig& strategy,
                                    const std::atomic<bool>* stop,
                                    const std::function<void(const SearchProgress&)>& on_trial) {
  return run_search(study, *space_, *evaluators_.front(), strategy, stop, on_trial);
}

nlohmann::json SearchSession::input_provenance() const {
  const auto& c = config();
  const auto& strategy = settings_.strategy;
  const int64_t n = eval_split().size();
  return {{"config", c.file},
          {"model", c.model},
          {"weights", workspace_.weights_path},
          {"dataset", workspace_.dataset.name},
          {"split", std::string(data::to_string(strategy.split))},
          {"num_samples", strategy.eval.num_samples > 0 ? std::min(strategy.eval.num_samples, n) : n}};
}

nlohmann::json SearchSession::provenance() const {
  const auto& strategy = settings_.strategy;
  const auto size = space_->space().size();
  nlohmann::json p = input_provenance();
  p.update({{"sampler", strategy.sampler},
            {"seed", strategy.sampler_options.seed},
            {"n_trials", strategy.n_trials},
            {"space_size", size ? nlohmann::json(*size) : nlohmann::json(nullptr)},
            {"run_dir", run_dir_},
            {"storage", shown_storage()},
            {"study", settings_.setup.study},
            {"n_jobs", strategy.n_jobs},
            {"worker", worker_},
            {"study_trials_before", trials_before_},
            {"startup_seconds", startup_seconds_}});
  return p;
}

}  // namespace qdse::pipeline
