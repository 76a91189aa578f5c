// The report's fine-tuned trials table; see include/qdse/report/finetune_section.hpp.
#include "qdse/report/finetune_section.hpp"

#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <vector>

#include "qdse/report/html.hpp"

namespace qdse::report {
namespace {

double finetune_metric_of(const nlohmann::json& rec, const char* when, const char* where, const char* key) {
  const auto* j = &rec;
  for (const char* k : {when, where}) {
    if (!j->is_object() || !j->contains(k)) return std::numeric_limits<double>::quiet_NaN();
    j = &j->at(k);
  }
  const auto it = j->find(key);
  return it != j->end() && it->is_number() ? it->get<double>() : std::numeric_limits<double>::quiet_NaN();
}

std::string finetune_pair(double before, double after, int digits) {
  return fmt_num(before, digits) + " -> " + fmt_num(after, digits);  // html_table escapes cells
}

}  // namespace

std::string finetune_section(const std::string& run_dir) {
  const std::string path = (std::filesystem::path(run_dir) / "finetuned" / "finetune.json").string();
  std::ifstream in(path);
  if (!in) return "";
  const nlohmann::json doc = nlohmann::json::parse(in, nullptr, false);
  const std::string head = "<h2>Fine-tuned trials</h2>\n";
  if (!doc.is_object() || !doc.contains("trials") || !doc.at("trials").is_array())
    return head + "<p class=\"note\">finetuned/finetune.json is not a finetune.json of <code>qdse finetune</code>; "
                  "no table.</p>\n";
  std::vector<std::vector<std::string>> rows;
  const auto& fl = doc.value("float", nlohmann::json::object());
  const auto float_acc = [&](const char* where) {
    const auto it = fl.find(where);
    return it != fl.end() && it->is_object() && it->contains("accuracy") && it->at("accuracy").is_number()
               ? it->at("accuracy").get<double>()
               : std::numeric_limits<double>::quiet_NaN();
  };
  rows.push_back({"float", "-", fmt_num(float_acc("split"), 5), fmt_num(float_acc("test"), 5), "-", "-", "-", "-"});
  std::string split = "split";
  for (const auto& r : doc.at("trials")) {
    if (!r.is_object()) continue;
    split = r.value("split", split);
    rows.push_back({"trial " + std::to_string(r.value("trial", -1)), r.value("optimizer", std::string("?")) +
                        ", lr " + fmt_num(r.value("learning_rate", 0.0), 3) + ", " + std::to_string(r.value("epochs", 0)) +
                        " epoch(s)",
                    finetune_pair(finetune_metric_of(r, "before", "split", "accuracy"),
                                  finetune_metric_of(r, "after", "split", "accuracy"), 5),
                    finetune_pair(finetune_metric_of(r, "before", "test", "accuracy"),
                                  finetune_metric_of(r, "after", "test", "accuracy"), 5),
                    finetune_pair(finetune_metric_of(r, "before", "split", "loss"),
                                  finetune_metric_of(r, "after", "split", "loss"), 5),
                    fmt_num(finetune_metric_of(r, "after", "split", "model_size"), 8),
                    fmt_num(r.value("seconds", 0.0), 3),
                    std::filesystem::path(r.value("checkpoint", std::string())).filename().string()});
  }
  return head +
         "<p class=\"note\">Each trial's metrics after post-training quantization (the search's) &rarr; after "
         "quantization-aware fine-tuning with the same formats (<a href=\"../finetuned/finetune.json\">finetune.json</a>, "
         "docs/finetune.md); <i>" + html_escape(split) +
         "</i>: the search's evaluation split, test: the whole test split. The checkpoints hold the fine-tuned "
         "weights.</p>\n" +
         html_table({"", "fine-tuning", "accuracy (" + split + ")", "accuracy (test)", "loss (" + split + ")",
                     "model size", "seconds", "checkpoint"},
                    rows);
}

}  // namespace qdse::report
