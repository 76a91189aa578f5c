// The report's "Fine-tuned trials" section (issue 18; docs/report.md): read from
// RUN_DIR/finetuned/finetune.json (written by `qdse finetune`, or by `qdse search` with
// [finetune] top_k / front), each fine-tuned trial's metrics after post-training
// quantization beside the same metrics after quantization-aware fine-tuning.
// Thread-safety: reads files only.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

#include "qdse/report/gnuplot.hpp"

namespace qdse::report {

struct FinetuneFigure {
  FigureSpec spec;  // pareto_finetuned.{dat,gp,png,svg}
  std::string caption;
};

// The figure with both fronts, on the run's objectives (two objectives: best.json's pair;
// one: the report's first Pareto plot, accuracy vs model size): the post-training Pareto
// front of the search, each fine-tuned trial's point before and after fine-tuning (an arrow
// between them) and the front of the fine-tuned points. `report_data` is run_report_data()'s
// document (its "pareto" plots and "directions"). nullopt when the run has no readable
// finetune.json or no Pareto plot.
std::optional<FinetuneFigure> finetune_front_figure(const std::string& run_dir, const nlohmann::json& report_data);

// HTML (a heading, a note and a table); "" when the run has no finetune.json. A
// finetune.json that cannot be read gives a note saying why, never a failed report.
std::string finetune_section(const std::string& run_dir);

}  // namespace qdse::report
