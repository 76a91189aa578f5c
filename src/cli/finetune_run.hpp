// Fine-tuning the trials of a finished search (issue 18; docs/finetune.md): what
// `qdse finetune` runs, and what `qdse search` runs after the search when its config's
// [finetune] table has `top_k` or `front = true`. The CLI orchestrates: the search
// (pipeline) is done, train fine-tunes, the report layer later reads finetune.json.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "commands.hpp"
#include "qdse/io/finetune_config.hpp"

namespace qdse::cli {

// `qdse finetune`'s flags: each one given overrides its key of the run's [finetune] table.
struct FinetuneRequest {
  std::optional<int> epochs;
  std::optional<double> learning_rate;
  std::optional<std::string> optimizer;
  std::optional<int64_t> batch_size, limit_train;
  bool rederive_auto = false;   // --rederive-auto (else the table's auto_frac)
  std::vector<int> trials;      // explicit trial numbers; else the table's top_k / front / the default
  std::string out;              // default RUN_DIR/finetuned
};

// The run's [finetune] table (its config.toml) with the request's flags applied.
io::FinetuneTable finetune_settings(const io::RunConfig& config, const FinetuneRequest& request);

// Fine-tunes the chosen trials of `run`, writes the checkpoints and finetune.json, prints
// (when `print`) the before -> after table, or finetune.json with global.json, and
// returns finetune.json's content. Errors: qdse::Error, one line.
nlohmann::json run_finetune(const std::string& run, const FinetuneRequest& request, const GlobalOptions& global,
                            bool print = true);

// [finetune] top_k / front after `qdse search`: fine-tunes the best trials of the finished
// search into RUN_DIR/finetuned/ and, when the search wrote its report, renders it again with
// the fine-tuned metrics beside the post-training ones. With --json, stdout holds one
// document: `best` (best.json) with finetune.json under "finetune".
void finetune_after_search(const std::string& run_dir, const nlohmann::json& best, bool write_report,
                           const GlobalOptions& global);

}  // namespace qdse::cli
