// FinetuneTable: the config's `[finetune]` table (issue 18; docs/config.md, docs/finetune.md),
// read in one place. `qdse finetune` starts from it (its flags override each key) and
// `qdse search` reads `top_k` / `front` to fine-tune its best trials once it finishes.
// Only keys the fine-tuning code honours are accepted; any other key is a located
// one-line error, as are values out of range.
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <string>

#include "qdse/io/run_config.hpp"

namespace qdse::io {

struct FinetuneTable {
  bool present = false;            // the config has a [finetune] table
  int epochs = 3;                  // 1..100
  double learning_rate = 1e-4;     // > 0, finite
  std::string optimizer = "adam";  // "adam" | "sgd" (momentum 0.9)
  bool cosine = true;              // schedule = "cosine" (default) | "constant"
  int64_t batch_size = 0;          // 0: the config's top-level batch_size
  int64_t limit_train = 0;         // 0: every training sample
  bool rederive_auto = false;      // auto_frac = "keep" (default) | "rederive"
  bool learn_scale = false;        // learned step sizes (LSQ) for integer weights / inputs
  // After `qdse search`: fine-tune the best top_k trials (0 = off) or the Pareto front.
  int top_k = 0;
  bool front = false;

  bool after_search() const { return top_k > 0 || front; }
};

// Reads `[finetune]` of `config` (defaults when the table is absent).
FinetuneTable read_finetune_table(const RunConfig& config);

}  // namespace qdse::io
