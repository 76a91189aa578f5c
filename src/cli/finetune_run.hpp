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
  bool learn_scale = false;     // --learn-scale (else the table's learn_scale)
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

// `qdse export --finetuned --onnx-out FILE`: a copy of the run's ONNX model with the
// checkpoint's (a fine-tuned trial's) weights as initializers (io/onnx_writeback.hpp).
// A zoo model, or a parameter the file does not hold as imported, is a one-line error.
void write_finetuned_onnx(const std::string& run, const std::string& checkpoint, const std::string& out);
// The zoo-model error of write_finetuned_onnx() alone, for a check before anything runs.
void require_onnx_run(const std::string& run);

// `qdse export --finetuned` of a trial fine-tuned with learned steps (learn_scale): the
// hls4ml table holds the searched formats, so each learned step must deploy (nearest power
// of two) as the searched step, else a one-line error naming the layer. Returns a note
// listing the learned steps that are not powers of two and what they are exported as ("" when
// none, or the trial has no learned steps).
std::string finetuned_steps_note(const std::string& run, int trial);

}  // namespace qdse::cli
