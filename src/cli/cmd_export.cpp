// `qdse export`: turns a search's best configuration (a run directory) into a
// deployment config; hls4ml's per-layer precision table for now.
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "finetune_run.hpp"
#include "qdse/core/error.hpp"
#include "qdse/pipeline/hls4ml_certified_export.hpp"
#include "qdse/pipeline/run_export.hpp"
#include "qdse/report/run_outputs.hpp"

namespace qdse::cli {

void add_export_command(CLI::App& app, GlobalOptions& global) {
  auto* cmd = app.add_subcommand("export", "export a search's best configuration (hls4ml precision table)");
  static std::string run, format = "hls4ml", out, data, load;
  static int trial = -1;
  static bool finetuned = false;
  static std::string weights_out, onnx_out;
  cmd->add_option("-r,--run", run, "run directory of `qdse search` (best.json, config.toml)")->required();
  cmd->add_option("--format", format, "output format (hls4ml)")->check(CLI::IsMember({"hls4ml"}));
  cmd->add_option("-o,--out", out, "output file (default: stdout)");
  cmd->add_option("--trial", trial, "trial number among best.json's trials (default: the first, the best)")
      ->check(whole_number(0));
  cmd->add_option("--data", data, "dataset file or directory (for \"auto\" widths); overrides `dataset_path`");
  cmd->add_option("--load", load, "weights (for \"auto\" widths); overrides the weights the run recorded");
  cmd->add_flag("--finetuned", finetuned,
                "export a fine-tuned trial (RUN_DIR/finetuned/finetune.json; --trial among its trials, default the "
                "first) with the formats it was fine-tuned with");
  cmd->add_option("--weights-out", weights_out, "with --finetuned: also write the trial's fine-tuned weights "
                                                "(its qdse checkpoint) to this file")
      ->needs("--finetuned");
  cmd->add_option("--onnx-out", onnx_out, "with --finetuned, for a model imported from ONNX: a copy of the ONNX file "
                                          "with the trial's fine-tuned weights as its initializers")
      ->needs("--finetuned");
  // hls4ml: the input layer's name, the emulation-check files (scripts/hls4ml_check.py).
  static std::string input_layer = "input", check_dir;
  cmd->add_option("--input-layer", input_layer,
                  "hls4ml's name of the input layer (PyTorch converter: the forward() argument, e.g. x; "
                  "default input)");
  cmd->add_option("--check-dir", check_dir,
                  "also write the files an hls4ml emulation check needs (quantized weights, test split, qdse's "
                  "logits, the config dict) into this directory");
  cmd->callback([&global] {
    if (!onnx_out.empty()) require_onnx_run(run);  // a zoo model: refused before anything runs
    pipeline::RunExportOptions o;
    o.finetuned = finetuned;
    o.run_dir = run;
    if (trial >= 0) o.trial = trial;
    o.data_path = data;
    o.weights = load;
    pipeline::CertifiedExportOptions co;
    co.run = o;
    co.table.input_layer = input_layer;
    co.check_dir = check_dir;
    const pipeline::CertifiedExport ce = pipeline::export_run_hls4ml_certified(co);
    const pipeline::RunExport& e = ce.run;
    const std::string steps_note = finetuned ? finetuned_steps_note(run, e.trial) : "";  // learned steps
    // Overflow certification: a data_in format that clips calibration values is flagged.
    nlohmann::json clipping = nlohmann::json::array();
    for (const auto& c : ce.clipping) {
      clipping.push_back({{"layer", c.layer}, {"format", c.format}, {"values", c.values}, {"clipped", c.clipped},
                          {"fraction", c.fraction()}});
      if (c.clipped > 0 && !global.json)
        std::fprintf(stderr, "qdse export: warning: %s data_in %s clips %.4f%% of its %lld values on %lld calibration "
                             "samples\n",
                     c.layer.c_str(), c.format.c_str(), 100.0 * c.fraction(), static_cast<long long>(c.values),
                     static_cast<long long>(ce.calibration_samples));
    }
    if (!check_dir.empty() && !global.json)
      std::fprintf(stderr, "qdse export: hls4ml check files (%lld test samples) -> %s\n",
                   static_cast<long long>(ce.check_samples), check_dir.c_str());
    if (!onnx_out.empty()) write_finetuned_onnx(run, e.weights, onnx_out);  // refused for a zoo model: first
    if (!weights_out.empty()) {  // the weights first: a failure leaves no table without them
      std::error_code ec;
      std::filesystem::copy_file(e.weights, weights_out, std::filesystem::copy_options::overwrite_existing, ec);
      if (ec) throw Error(ErrorKind::Io, "cannot write " + weights_out + ": " + ec.message());
    }
    if (!out.empty()) report::write_file_atomic(out, e.yaml);
    if (!steps_note.empty() && !global.quiet) std::fprintf(stderr, "note: %s\n", steps_note.c_str());
    if (global.json) {
      nlohmann::json j = {{"run", run},     {"format", format}, {"trial", e.trial},
                                {"model", e.model}, {"out", out},     {"content", e.yaml},
                                {"finetuned", finetuned}, {"weights", weights_out.empty() ? e.weights : weights_out},
                                {"onnx", onnx_out}};
      j["clipping"] = clipping;
      j["calibration_samples"] = ce.calibration_samples;
      j["config_dict"] = nlohmann::json::parse(ce.config_json);
      if (!check_dir.empty()) j["check_dir"] = {{"path", check_dir}, {"samples", ce.check_samples}};
      std::printf("%s\n", j.dump(2).c_str());
    } else if (out.empty()) {
      std::printf("%s", e.yaml.c_str());
    } else {
      std::printf("%strial %d of %s -> %s (%s)%s%s%s%s\n", finetuned ? "fine-tuned " : "", e.trial, run.c_str(),
                  out.c_str(), format.c_str(), weights_out.empty() ? "" : ", weights -> ", weights_out.c_str(),
                  onnx_out.empty() ? "" : ", ONNX -> ", onnx_out.c_str());
    }
  });
}

}  // namespace qdse::cli
