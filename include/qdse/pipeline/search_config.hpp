// SearchConfig: everything the `[search]` tables of a config say, parsed once by
// parse_search_config() -- the one reader of those tables -- into typed values:
//
//   space     [search.search_space]: `by`, calibration, and the `seed` tables (kept as
//             located readers: which table applies to which layer depends on the graph,
//             QuantSpace resolves them)
//   strategy  [search.strategy]: sampler and its options, n_trials, timeout, n_jobs,
//             metrics (objectives), constraints, evaluation settings (strategy_config.hpp)
//   setup     [search.strategy.setup] storage, study_name, heartbeat: where the study lives
//
// Command-line flags are applied afterwards by apply_overrides(), the one place where
// flags meet keys. Errors are qdse::Error(Config) naming the file, line and key path
// (io/toml_reader.hpp). Every key is documented in docs/config.md.
// Ownership: keeps the parsed document alive (the seed readers point into it).
// Thread-safety: plain values, read-only after parsing.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "qdse/io/quantize_config.hpp"
#include "qdse/io/run_config.hpp"
#include "qdse/lower/calibration.hpp"
#include "qdse/pipeline/strategy_config.hpp"

namespace qdse::pipeline {

// [search.search_space]: the space before it meets a graph.
struct SpaceConfig {
  std::shared_ptr<toml::table> doc;       // keeps `seed` valid
  std::string where;                      // "file:line (search.search_space)", for messages
  io::QuantizeBy by = io::QuantizeBy::Type;
  // by = "type" with per_node = true: each node takes its type's seed table but gets its own
  // independent choices (MASE's build_search_space semantics; a per-layer space of a big
  // network without a table per layer). Default false: a type's nodes share one choice.
  bool per_node = false;
  quant::CalibrationOptions calibration;  // for frac_width = "auto"
  std::optional<io::TableReader> seed;    // [search.search_space.seed]; set by the parser
};

// Where the study lives: `[search.strategy.setup]` keys storage, study_name, heartbeat.
struct StudySetup {
  std::string storage;     // URL; "" = <run dir>/study.db
  std::string study;       // "" = the config file's stem, else the model
  double heartbeat = 120;  // seconds without a heartbeat before a Running trial counts as dead
};

struct SearchConfig {
  SpaceConfig space;
  StrategyConfig strategy;
  StudySetup setup;
};

// What the command line may override; the defaults mean "keep the config's value".
struct SearchOverrides {
  std::string load;     // weights (--load; overrides `load_name`)
  std::string out;      // run directory (--out); "" = runs/<model>-<time>
  bool force = false;   // --force: write into an existing directory that is not a run directory
  std::string sampler;  // --sampler
  std::string storage;  // --storage
  std::string study;    // --study
  int n_trials = 0;     // --n-trials (> 0)
  int n_jobs = 0;       // --n-jobs (> 0)
  double timeout = -1;  // --timeout (>= 0)
  double heartbeat = -1;  // --heartbeat (> 0)
  int64_t seed = -1;    // --seed (>= 0)
};

// Which tables a caller needs. `Space` (qdse space, hls4ml export of a run) reads
// [search.search_space] only: strategy and setup keep their defaults, so a config
// without [search.strategy] -- or one whose n_jobs suits another machine -- still works.
enum class SearchParts { All, Space };

// Reads [search] (and the top-level `seed` and `eval_batch_size` it defaults to).
// Throws qdse::Error(Config) for a missing table, an unknown key, a bad value, an
// unknown sampler or metric, or an n_jobs this machine cannot run.
SearchConfig parse_search_config(const io::RunConfig& config, SearchParts parts = SearchParts::All);

// Applies the [search]-related flags of `overrides` (sampler, n_trials, n_jobs, timeout,
// seed, storage, study, heartbeat) with the same checks as their keys; load, out and
// force are the session's. Throws qdse::Error(Config) naming the flag.
void apply_overrides(SearchConfig& config, const SearchOverrides& overrides);

}  // namespace qdse::pipeline
