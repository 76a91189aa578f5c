// parse_search_config(): the one reader of a config's [search] tables, and
// apply_overrides(); see include/qdse/pipeline/search_config.hpp.
#include "qdse/pipeline/search_config.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <regex>

#include "qdse/core/error.hpp"
#include "qdse/hw/device.hpp"
#include "qdse/pipeline/thread_budget.hpp"
#include "qdse/metrics/metric_kind.hpp"
#include "qdse/pipeline/trial_evaluator.hpp"
#include "qdse/search/sampler_kind.hpp"

namespace qdse::pipeline {
namespace {

search::Direction direction_key(const io::TableReader& t, std::string_view key, search::Direction fallback) {
  const auto s = t.get_string(key);
  if (!s) return fallback;
  if (*s == "maximize") return search::Direction::Maximize;
  if (*s == "minimize") return search::Direction::Minimize;
  throw t.error(key, "`" + std::string(key) + "` must be \"maximize\" or \"minimize\", got \"" + *s + "\"");
}

// The metric table's row for `name` (metrics/metric_kind.hpp); an unknown name is an
// error at the key, listing the metrics qdse computes.
const metrics::MetricInfo& require_computed_metric(const io::TableReader& t, const std::string& name) {
  // `<resource>_utilization` of a resource no cost model counts: say which resources exist.
  static const std::string kUtil = "_utilization";
  if (name.size() > kUtil.size() && name.ends_with(kUtil) && !metrics::find_metric(name))
    throw t.error(name, "metric `" + name + "`: no cost model computes resource `" +
                            name.substr(0, name.size() - kUtil.size()) +
                            "`; <resource>_utilization takes lut, ff, dsp, bram or uram");
  try {
    return metrics::info_of(metrics::parse_metric_kind(name));
  } catch (const Error& e) {
    throw t.error(name, e.what());
  }
}

// Integer key in [lo, hi] (checked before narrowing, so 1e12 is not wrapped to garbage).
int64_t int_key_in(const io::TableReader& t, std::string_view key, int64_t fallback, int64_t lo, int64_t hi) {
  const int64_t v = t.int_or(key, fallback);
  if (v < lo || v > hi)
    throw t.error(key, "`" + std::string(key) + "` must be in [" + std::to_string(lo) + ", " + std::to_string(hi) +
                           "], got " + std::to_string(v));
  return v;
}

// A finite number (NaN and inf are valid TOML floats, never valid settings here).
double finite_key(const io::TableReader& t, std::string_view key, double fallback) {
  const double v = t.double_or(key, fallback);
  if (!std::isfinite(v))
    throw t.error(key, "`" + std::string(key) + "` must be a finite number, got " + io::describe_node(*t.node(key)));
  return v;
}

double probability_key(const io::TableReader& t, std::string_view key, double fallback) {
  const double p = finite_key(t, key, fallback);
  if (p < 0 || p > 1) throw t.error(key, "`" + std::string(key) + "` must be in [0, 1], got " + io::describe_node(*t.node(key)));
  return p;
}

ConstraintSpec constraint_key(const io::TableReader& t, const std::string& metric) {
  const auto text = t.get_string(metric);
  // ">= 0.99 * float", "<= 100000", ">= 0.85"
  static const std::regex re(R"(^\s*(>=|<=)\s*([-+0-9.eE]+)\s*(\*\s*float)?\s*$)");
  std::smatch m;
  if (!text || !std::regex_match(*text, m, re))
    throw t.error(metric, "constraint on `" + metric +
                              "` must look like \">= 0.99 * float\" or \"<= 100000\", got " +
                              (text ? "\"" + *text + "\"" : std::string("nothing")));
  ConstraintSpec c;
  c.metric = metric;
  c.at_least = m[1] == ">=";
  try {
    c.bound = std::stod(m[2]);
  } catch (const std::exception&) {
    throw t.error(metric, "constraint bound `" + std::string(m[2]) + "` is not a number");
  }
  c.relative = m[3].matched;
  c.text = *text;
  return c;
}

// [search.strategy.hw_runner.fpga]: the FPGA the hw metrics are computed for.
HwTarget read_hw_target(const io::TableReader& t) {
  t.check_keys({"backend", "device", "clock_ns", "strategy", "reuse_factor", "pe", "simd", "res_type"});
  HwTarget out;
  out.where = t.where();
  const std::string backend = t.string_or("backend", "hls4ml");
  if (backend == "hls4ml") out.backend = HwBackend::Hls4ml;
  else if (backend == "finn") out.backend = HwBackend::Finn;
  else throw t.error("backend", "`backend` must be \"hls4ml\" or \"finn\", got \"" + backend + "\"");
  // Keys of the other back end would be silently ignored: refuse them.
  for (const char* key : out.backend == HwBackend::Hls4ml ? std::vector<const char*>{"pe", "simd", "res_type"}
                                                          : std::vector<const char*>{"strategy", "reuse_factor"})
    if (t.has(key))
      throw t.error(key, "`" + std::string(key) + "` is not a parameter of the " + backend + " back end");
  const auto device = t.get_string("device");
  if (!device) throw t.error("device", "`device` is required: a shipped device name (" + [] {
    std::string names;
    for (const auto& n : hw::shipped_device_names()) names += (names.empty() ? "" : ", ") + n;
    return names;
  }() + ") or the path of a device file");
  try {
    // A path (contains '/' or ends in .toml) is relative to the config file, as other paths.
    std::string name = *device;
    const bool is_path = name.find('/') != std::string::npos || name.ends_with(".toml");
    if (is_path && std::filesystem::path(name).is_relative())
      name = (std::filesystem::path(t.file()).parent_path() / name).string();
    out.device = hw::load_device(name);
  } catch (const Error& e) {
    throw t.error("device", e.what());
  }
  out.clock_ns = finite_key(t, "clock_ns", out.device.clock_ns);
  if (!(out.clock_ns > 0))
    throw t.error("clock_ns", "`clock_ns` must be > 0 ns, got " + io::describe_node(*t.node("clock_ns")));
  const std::string strategy = t.string_or("strategy", "latency");
  if (strategy == "latency") out.hls4ml.strategy = hw::Hls4mlStrategy::Latency;
  else if (strategy == "resource") out.hls4ml.strategy = hw::Hls4mlStrategy::Resource;
  else throw t.error("strategy", "`strategy` must be \"latency\" or \"resource\", got \"" + strategy + "\"");
  out.hls4ml.reuse_factor = int_key_in(t, "reuse_factor", 1, 1, int64_t{1} << 20);
  out.finn.pe = int_key_in(t, "pe", 1, 1, int64_t{1} << 20);
  out.finn.simd = int_key_in(t, "simd", 1, 1, int64_t{1} << 20);
  const std::string res_type = t.string_or("res_type", "lut");
  if (res_type == "lut") out.finn.res_type = hw::FinnResType::Lut;
  else if (res_type == "dsp") out.finn.res_type = hw::FinnResType::Dsp;
  else throw t.error("res_type", "`res_type` must be \"lut\" or \"dsp\", got \"" + res_type + "\"");
  return out;
}

// A metric of the hw cost models (objective or constraint) needs the FPGA table, and one
// the target cannot give: FF under FINN (no FF rule), a utilization of a resource the
// device does not have.
void check_hw_metric(const io::TableReader& t, const std::string& name, const metrics::MetricInfo& info,
                     const std::optional<HwTarget>& hw) {
  if (!info.needs_hw) return;
  if (!hw)
    throw t.error(name, "metric `" + name +
                            "` is an FPGA cost-model figure: it needs a [search.strategy.hw_runner.fpga] table "
                            "(backend, device; docs/hardware.md)");
  if (hw->backend == HwBackend::Finn && (name == "ff" || name == "ff_utilization"))
    throw t.error(name, "metric `" + name + "`: FINN's estimator has no flip-flop rule, so the finn back end gives no FF figure");
  const hw::Device& d = hw->device;
  const std::pair<const char*, int64_t> available[] = {
      {"lut_utilization", d.lut}, {"ff_utilization", d.ff}, {"dsp_utilization", d.dsp},
      {"bram_utilization", d.bram18}, {"uram_utilization", d.uram}};
  for (const auto& [metric, count] : available)
    if (name == metric && count <= 0)
      throw t.error(name, "metric `" + name + "`: device `" + d.name + "` has none of that resource");
}

// [search.search_space]
SpaceConfig read_space(const io::RunConfig& config, const io::TableReader& search) {
  SpaceConfig out;
  out.doc = config.doc;
  const auto ss = search.get_table("search_space");
  if (!ss) throw search.error("", "[search] needs a `search_space` table");
  out.where = ss->where();
  ss->check_keys({"name", "setup", "seed", "calibration"});
  const std::string name = ss->string_or("name", "graph/quantize/mixed_precision_ptq");
  if (name != "graph/quantize/mixed_precision_ptq")
    throw ss->error("name", "search space `" + name +
                                "` is not supported; qdse searches \"graph/quantize/mixed_precision_ptq\"");
  if (auto setup = ss->get_table("setup")) {
    setup->check_keys({"by", "per_node"});
    out.by = io::parse_by(*setup, "by");
    out.per_node = setup->bool_or("per_node", false);
    if (out.per_node && out.by != io::QuantizeBy::Type)
      throw setup->error("per_node", "`per_node` applies to by = \"type\" (by = \"name\" is per node already)");
  }
  if (auto cal = ss->get_table("calibration")) out.calibration = io::parse_calibration(*cal);
  out.seed = ss->get_table("seed");
  if (!out.seed) throw ss->error("", "[search.search_space] needs `seed` tables (seed.default.config, ...)");
  return out;
}

// [search.strategy.sensitivity]: the sensitivity sampler's model and budget (the cost
// table itself needs the space: fill_sensitivity_tables, sensitivity_sampler_setup.hpp).
void read_sensitivity_sampler(const io::TableReader& t, search::SensitivitySamplerOptions& o) {
  t.check_keys({"interactions", "cost", "budget"});
  o.interactions = t.bool_or("interactions", o.interactions);
  if (auto cost = t.get_string("cost")) {
    const auto kind = metrics::find_metric(*cost);
    if (!kind || !metrics::info_of(*kind).sum_over_layers) {
      std::string sums;
      for (const auto& row : metrics::metric_table())
        if (row.sum_over_layers) sums += (sums.empty() ? "" : ", ") + std::string(row.name);
      throw t.error("cost", "`cost` must be a metric that is a sum over layers (" + sums + "), got \"" + *cost + "\"");
    }
    o.cost_name = *cost;
  }
  if (t.has("budget")) {
    if (o.cost_name.empty()) throw t.error("budget", "`budget` needs `cost`, the sum-over-layers metric it bounds");
    o.budget = finite_key(t, "budget", 0);
  }
}

// `warm_start` / `warm_start_table` of [search.strategy.tpe] or [search.strategy.nsgaii].
void read_warm_start(const io::TableReader& t, search::WarmStartOptions& w, bool& enabled) {
  enabled = t.bool_or("warm_start", false);
  if (auto table = t.get_string("warm_start_table")) {
    if (!enabled) throw t.error("warm_start_table", "`warm_start_table` needs `warm_start = true`");
    if (table->empty()) throw t.error("warm_start_table", "`warm_start_table` is empty (a sensitivity.json)");
    w.table = *table;
  }
}

// [search.strategy.multi_fidelity]: enabled, rungs (increasing fractions ending at 1.0), margin.
FidelitySchedule read_multi_fidelity(const io::TableReader& t) {
  t.check_keys({"enabled", "rungs", "margin"});
  FidelitySchedule f;
  f.enabled = t.bool_or("enabled", false);
  if (const toml::node* node = t.node("rungs")) {
    const auto* arr = node->as_array();
    if (!arr || arr->empty())
      throw t.error("rungs", "`rungs` must be a non-empty array of sample fractions such as [0.125, 0.5, 1.0], got " +
                                 io::describe_node(*node));
    f.rungs.clear();
    for (const auto& v : *arr) {
      const auto x = v.value<double>();
      if (!x || !std::isfinite(*x) || *x <= 0 || *x > 1)
        throw t.error("rungs", "`rungs` holds " + io::describe_node(v) + ": each rung is a fraction in (0, 1]");
      if (!f.rungs.empty() && *x <= f.rungs.back())
        throw t.error("rungs", "`rungs` must be strictly increasing, got " + io::describe_node(*node));
      f.rungs.push_back(*x);
    }
    if (f.rungs.back() != 1.0)
      throw t.error("rungs", "`rungs` must end at 1.0 (the last rung evaluates every sample), got " +
                                 io::describe_node(*node));
  }
  if (t.has("margin")) {
    f.margin = finite_key(t, "margin", 0);
    if (*f.margin < 0)
      throw t.error("margin", "`margin` must be >= 0 (leave it out for the safe bound), got " +
                                  io::describe_node(*t.node("margin")));
  }
  return f;
}

// [search.strategy] with its setup table's sampler keys; `s` starts from the defaults.
void read_strategy(const io::TableReader& st, StrategyConfig& s) {
  st.check_keys({"name", "eval_mode", "sw_runner", "hw_runner", "setup", "metrics", "constraints",
                 "memo_budget_mb", "latency_repeats", "tpe", "nsgaii", "sensitivity", "multi_fidelity"});
  if (auto name = st.get_string("name"); name && *name != "optuna" && *name != "qdse")
    throw st.error("name", "strategy `" + *name + "` is not supported; use \"optuna\" (MASE's name) or \"qdse\"");
  if (auto sw = st.get_table("sw_runner")) {
    sw->check_keys({"basic_evaluation"});
    if (auto be = sw->get_table("basic_evaluation")) {
      be->check_keys({"data_loader", "num_samples"});
      const std::string dl = be->string_or("data_loader", "val_dataloader");
      if (dl == "val_dataloader") s.split = data::SplitKind::Validation;
      else if (dl == "test_dataloader") s.split = data::SplitKind::Test;
      else if (dl == "train_dataloader") s.split = data::SplitKind::Train;
      else throw be->error("data_loader", "`data_loader` must be train_dataloader, val_dataloader or test_dataloader, got \"" + dl + "\"");
      s.eval.num_samples = be->int_or("num_samples", 0);
      if (s.eval.num_samples < 0) throw be->error("num_samples", "`num_samples` must be >= 0 (0 = all)");
    }
  }
  if (auto hw = st.get_table("hw_runner")) {
    hw->check_keys({"average_bitwidth", "fpga"});
    if (auto fpga = hw->get_table("fpga")) s.eval.hw = read_hw_target(*fpga);
    if (auto ab = hw->get_table("average_bitwidth")) {
      ab->check_keys({"compare_to"});
      s.eval.compare_to = finite_key(*ab, "compare_to", 32);
      // memory_density = compare_to / average_bitwidth: 0 or less makes it meaningless.
      if (!(s.eval.compare_to > 0))
        throw ab->error("compare_to", "`compare_to` must be a positive bit width (e.g. 32 for FP32), got " +
                                          io::describe_node(*ab->node("compare_to")));
    }
  }
  if (auto setup = st.get_table("setup")) {
    // storage, study_name, heartbeat: the study's place, read by read_study_setup.
    setup->check_keys({"n_jobs", "n_trials", "timeout", "sampler", "sum_scaled_metrics", "direction", "seed",
                       "storage", "study_name", "heartbeat"});
    const int64_t jobs = setup->int_or("n_jobs", 1);
    if (auto problem = n_jobs_problem(jobs)) throw setup->error("n_jobs", *problem);  // thread_budget.hpp
    s.n_jobs = static_cast<int>(jobs);
    const int64_t n = setup->int_or("n_trials", s.n_trials);
    if (n < 1 || n > 100000000) throw setup->error("n_trials", "`n_trials` must be in [1, 1e8], got " + std::to_string(n));
    s.n_trials = static_cast<int>(n);
    s.timeout_seconds = finite_key(*setup, "timeout", 0);  // NaN would silently mean "no timeout"
    if (s.timeout_seconds < 0)
      throw setup->error("timeout", "`timeout` must be >= 0 seconds (0 = none), got " + io::describe_node(*setup->node("timeout")));
    try {  // stored under its canonical name ("Brute_Force" -> "bruteforce"), as outputs show it
      s.sampler = search::name_of(search::parse_sampler_kind(setup->string_or("sampler", s.sampler)));
    } catch (const Error& e) {
      throw setup->error("sampler", e.what());
    }
    s.sum_scaled_metrics = setup->bool_or("sum_scaled_metrics", true);
    s.direction = direction_key(*setup, "direction", search::Direction::Maximize);
    if (auto seed = setup->get_int("seed")) {
      if (*seed < 0) throw setup->error("seed", "`seed` must be >= 0, got " + std::to_string(*seed));
      s.sampler_options.seed = static_cast<uint64_t>(*seed);
    }
  }
  if (auto tpe = st.get_table("tpe")) {
    tpe->check_keys({"n_startup_trials", "n_ei_candidates", "multivariate", "avoid_duplicates",
                     "ordered_categoricals", "prior_weight", "consider_endpoints", "warm_start", "warm_start_table"});
    auto& o = s.sampler_options.tpe;
    // Checked here so errors name the file and key; the sampler checks again for library users.
    o.n_startup_trials = static_cast<int>(int_key_in(*tpe, "n_startup_trials", o.n_startup_trials, 0, 100000000));
    o.n_ei_candidates = static_cast<int>(int_key_in(*tpe, "n_ei_candidates", o.n_ei_candidates, 1, 100000));
    o.multivariate = tpe->bool_or("multivariate", o.multivariate);
    o.avoid_duplicates = tpe->bool_or("avoid_duplicates", o.avoid_duplicates);
    o.ordered_categoricals = tpe->bool_or("ordered_categoricals", o.ordered_categoricals);
    o.prior_weight = finite_key(*tpe, "prior_weight", o.prior_weight);
    if (!(o.prior_weight > 0))
      throw tpe->error("prior_weight", "`prior_weight` must be > 0, got " + io::describe_node(*tpe->node("prior_weight")));
    o.consider_endpoints = tpe->bool_or("consider_endpoints", o.consider_endpoints);
    read_warm_start(*tpe, s.sampler_options.warm_start, s.sampler_options.warm_start.tpe);
  }
  if (auto ns = st.get_table("nsgaii")) {
    ns->check_keys({"population_size", "crossover_prob", "swapping_prob", "avoid_duplicates", "warm_start",
                    "warm_start_table"});
    auto& o = s.sampler_options.nsgaii;
    o.population_size = static_cast<int>(int_key_in(*ns, "population_size", o.population_size, 2, 1000000));
    o.crossover_prob = probability_key(*ns, "crossover_prob", o.crossover_prob);
    o.swapping_prob = probability_key(*ns, "swapping_prob", o.swapping_prob);
    o.avoid_duplicates = ns->bool_or("avoid_duplicates", o.avoid_duplicates);
    read_warm_start(*ns, s.sampler_options.warm_start, s.sampler_options.warm_start.nsgaii);
  }
  if (auto sens = st.get_table("sensitivity")) read_sensitivity_sampler(*sens, s.sampler_options.sensitivity);
  if (auto mf = st.get_table("multi_fidelity")) s.eval.fidelity = read_multi_fidelity(*mf);
  // 0 disables the memo; the bound (1 TiB) keeps memo_mb << 20 from overflowing.
  const int64_t memo_mb = int_key_in(st, "memo_budget_mb", 384, 0, int64_t{1} << 20);
  s.eval.memo_budget_bytes = memo_mb << 20;
  s.eval.latency_repeats = static_cast<int>(int_key_in(st, "latency_repeats", 3, 1, 100000));
  const auto metrics = st.get_table("metrics");
  if (!metrics || metrics->keys().empty())
    throw st.error("", "[search.strategy.metrics] must name at least one metric, e.g. accuracy.scale = 1.0");
  for (const auto& name : metrics->keys()) {
    const auto& info = require_computed_metric(*metrics, name);
    const auto mt = metrics->get_table(name);
    if (!mt) throw metrics->error(name, "`" + name + "` must be a table with `scale` and `direction`");
    mt->check_keys({"scale", "direction"});
    // A NaN or infinite scale makes every objective value NaN: every trial would fail.
    MetricObjective m{name, finite_key(*mt, "scale", 1.0),
                      direction_key(*mt, "direction", search::Direction::Maximize)};
    if (!mt->has("direction") && !s.sum_scaled_metrics)
      throw mt->error("", "`" + name + ".direction` is required for a multi-objective search");
    check_hw_metric(*metrics, name, info, s.eval.hw);
    s.metrics.push_back(m);
    if (info.needs_latency) s.eval.measure_latency = true;
  }
  if (auto cons = st.get_table("constraints"))
    for (const auto& name : cons->keys()) {
      const auto& info = require_computed_metric(*cons, name);
      check_hw_metric(*cons, name, info, s.eval.hw);
      s.constraints.push_back(constraint_key(*cons, name));
      if (info.needs_latency) s.eval.measure_latency = true;
    }
}

// [search.strategy.setup] storage, study_name, heartbeat.
StudySetup read_study_setup(const io::TableReader& st) {
  StudySetup out;
  const auto setup = st.get_table("setup");
  if (!setup) return out;
  out.storage = setup->string_or("storage", "");
  out.study = setup->string_or("study_name", "");
  out.heartbeat = setup->double_or("heartbeat", out.heartbeat);
  if (!(out.heartbeat > 0)) throw setup->error("heartbeat", "`heartbeat` must be > 0 seconds");
  return out;
}

}  // namespace

SearchConfig parse_search_config(const io::RunConfig& config, SearchParts parts) {
  SearchConfig out;
  out.strategy.eval.batch_size = config.eval_batch_size;
  out.strategy.sampler_options.seed = config.seed;
  const io::TableReader root = config.root();
  const auto search = root.get_table("search");
  if (!search) throw Error(ErrorKind::Config, "no [search] table in " + config.file);
  search->check_keys({"search_space", "strategy"});
  // The strategy first: its errors come before any about the space, as they did when
  // the space was read only after the model was loaded.
  if (parts == SearchParts::All) {
    const auto st = search->get_table("strategy");
    if (!st) throw search->error("", "[search] needs a `strategy` table");
    read_strategy(*st, out.strategy);
    out.setup = read_study_setup(*st);
  }
  out.space = read_space(config, *search);
  return out;
}

void apply_overrides(SearchConfig& s, const SearchOverrides& o) {
  if (!o.storage.empty()) s.setup.storage = o.storage;
  if (!o.study.empty()) s.setup.study = o.study;
  if (o.heartbeat > 0) s.setup.heartbeat = o.heartbeat;
  if (o.n_jobs > 0) {  // the same bound as the config key (thread_budget.hpp)
    if (auto problem = n_jobs_problem(o.n_jobs)) throw Error(ErrorKind::Config, "--n-jobs: " + *problem);
    s.strategy.n_jobs = o.n_jobs;
  }
  if (!o.sampler.empty())  // an unknown name fails here, listing the valid ones
    s.strategy.sampler = search::name_of(search::parse_sampler_kind(o.sampler));
  if (o.n_trials > 0) s.strategy.n_trials = o.n_trials;
  if (o.timeout >= 0) s.strategy.timeout_seconds = o.timeout;
  if (o.seed >= 0) s.strategy.sampler_options.seed = static_cast<uint64_t>(o.seed);
}

}  // namespace qdse::pipeline
