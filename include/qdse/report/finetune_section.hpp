// The report's "Fine-tuned trials" section (issue 18; docs/report.md): read from
// RUN_DIR/finetuned/finetune.json (written by `qdse finetune`, or by `qdse search` with
// [finetune] top_k / front), each fine-tuned trial's metrics after post-training
// quantization beside the same metrics after quantization-aware fine-tuning.
// Thread-safety: reads files only.
#pragma once

#include <string>

namespace qdse::report {

// HTML (a heading, a note and a table); "" when the run has no finetune.json. A
// finetune.json that cannot be read gives a note saying why, never a failed report.
std::string finetune_section(const std::string& run_dir);

}  // namespace qdse::report
