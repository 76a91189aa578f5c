// Reads [finetune]; see include/qdse/io/finetune_config.hpp.
#include "qdse/io/finetune_config.hpp"

#include <cmath>

namespace qdse::io {

FinetuneTable read_finetune_table(const RunConfig& config) {
  FinetuneTable f;
  const auto t = config.root().get_table("finetune");
  if (!t) return f;
  f.present = true;
  t->check_keys({"epochs", "learning_rate", "optimizer", "schedule", "batch_size", "limit_train", "auto_frac",
                 "top_k", "front", "learn_scale"});
  const int64_t epochs = t->int_or("epochs", f.epochs);
  if (epochs < 1 || epochs > 100) throw t->error("epochs", "`epochs` must be in [1, 100], got " + std::to_string(epochs));
  f.epochs = static_cast<int>(epochs);
  f.learning_rate = t->double_or("learning_rate", f.learning_rate);
  if (!(f.learning_rate > 0) || !std::isfinite(f.learning_rate))
    throw t->error("learning_rate", "`learning_rate` must be a finite positive number, got " +
                                        describe_node(*t->node("learning_rate")));
  f.optimizer = t->string_or("optimizer", f.optimizer);
  if (f.optimizer != "adam" && f.optimizer != "sgd")
    throw t->error("optimizer", "`optimizer` must be \"adam\" or \"sgd\", got \"" + one_line_text(f.optimizer) + "\"");
  const std::string schedule = t->string_or("schedule", "cosine");
  if (schedule != "cosine" && schedule != "constant")
    throw t->error("schedule", "`schedule` must be \"cosine\" or \"constant\", got \"" + one_line_text(schedule) + "\"");
  f.cosine = schedule == "cosine";
  f.batch_size = t->int_or("batch_size", 0);
  if (t->has("batch_size") && (f.batch_size < 1 || f.batch_size > (1 << 20)))
    throw t->error("batch_size", "`batch_size` must be in [1, 1048576], got " + std::to_string(f.batch_size));
  f.limit_train = t->int_or("limit_train", 0);
  if (t->has("limit_train") && f.limit_train < 1)
    throw t->error("limit_train", "`limit_train` must be >= 1 (omit it to train on every sample), got " +
                                      std::to_string(f.limit_train));
  const std::string auto_frac = t->string_or("auto_frac", "keep");
  if (auto_frac != "keep" && auto_frac != "rederive")
    throw t->error("auto_frac", "`auto_frac` must be \"keep\" or \"rederive\", got \"" + one_line_text(auto_frac) + "\"");
  f.rederive_auto = auto_frac == "rederive";
  f.learn_scale = t->bool_or("learn_scale", false);
  if (f.learn_scale && f.rederive_auto)
    throw t->error("learn_scale", "`learn_scale = true` and `auto_frac = \"rederive\"` both choose the quantization "
                                  "step; keep one");
  const int64_t top_k = t->int_or("top_k", 0);
  if (t->has("top_k") && (top_k < 1 || top_k > 1000))
    throw t->error("top_k", "`top_k` must be in [1, 1000] (omit it to fine-tune nothing after the search), got " +
                                std::to_string(top_k));
  f.top_k = static_cast<int>(top_k);
  f.front = t->bool_or("front", false);
  if (f.front && f.top_k > 0)
    throw t->error("front", "`front = true` and `top_k` both choose the trials to fine-tune after the search; keep one");
  return f;
}

}  // namespace qdse::io
