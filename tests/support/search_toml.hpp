// SearchToml: the text of a search config (docs/config.md) for tests, so that each test
// states only what differs from one default instead of hand-writing the whole file.
// The default: fmnist-mlp searched by name, every layer float unless `layers` says
// otherwise, brute force over at most 1000 trials, accuracy maximized.
//
// Tables come in the order users write them, each one left out when its fields are
// empty; fields hold TOML values and lines exactly as they go into the file (a line
// field ends in "\n"), so a test that checks an error's line number can count lines.
// Written with designated initializers, e.g.
//   SearchToml{.model = "jsc-toy", .layers = {{"seq_blocks_5", integer_layer("[4, 8]", "[2, 4, 8]")}}}.toml()
// (every member has a default initializer, so -Wextra stays quiet about the others).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace qdse::testing {

// Lines of [search.strategy.metrics]: accuracy maximized (scale 1).
inline std::string accuracy_metric() { return "accuracy.scale = 1.0\naccuracy.direction = \"maximize\"\n"; }

// Lines of [search.strategy.metrics]: `name` minimized with `scale` (a TOML number).
inline std::string minimized_metric(const std::string& name, const std::string& scale) {
  return name + ".scale = " + scale + "\n" + name + ".direction = \"minimize\"\n";
}

// Lines of a seed table: an integer layer with these data_in and weight width choices
// (TOML lists, e.g. "[4, 8]"), then `more` lines.
inline std::string integer_layer(const std::string& data_in_widths, const std::string& weight_widths,
                                 const std::string& more = "") {
  return "name = [\"integer\"]\ndata_in_width = " + data_in_widths + "\nweight_width = " + weight_widths + "\n" + more;
}

struct SearchToml {
  // Top level: `head` lines, model, dataset and preprocess (each unless empty), `top` lines.
  std::string head{};
  std::string model = "fmnist-mlp";
  std::string dataset{};
  std::string preprocess{};
  std::string top{};
  // [search.search_space]: its `name` unless empty, setup.by, the `default` seed table
  // (float), then one seed table per `layers` entry (key, lines) and, unless 0,
  // [search.search_space.calibration] with num_samples.
  std::string space_name = "graph/quantize/mixed_precision_ptq";
  std::string by = "name";
  std::vector<std::pair<std::string, std::string>> layers{};
  int calibration_samples = 0;
  // [search.strategy] with `strategy` lines when set; [search.strategy.sw_runner.
  // basic_evaluation] with data_loader and num_samples unless empty and 0.
  std::optional<std::string> strategy{};
  std::string data_loader{};
  int num_samples = 0;
  // [search.strategy.setup] unless `sampler` is empty: sampler, n_trials, `setup` lines.
  std::string sampler = "bruteforce";
  int n_trials = 1000;
  std::string setup{};
  // [search.strategy.metrics] with these lines when set; [search.strategy.constraints]
  // unless empty.
  std::optional<std::string> metrics = accuracy_metric();
  std::string constraints{};

  // Only the space: no strategy tables (for `qdse space`, or a test that adds its own).
  SearchToml& space_only() {
    sampler.clear();
    metrics.reset();
    return *this;
  }

  std::string toml() const {
    std::string t = head + "model = \"" + model + "\"\n";
    if (!dataset.empty()) t += "dataset = \"" + dataset + "\"\n";
    if (!preprocess.empty()) t += "preprocess = \"" + preprocess + "\"\n";
    t += top + "[search.search_space]\n";
    if (!space_name.empty()) t += "name = \"" + space_name + "\"\n";
    t += "setup.by = \"" + by + "\"\n[search.search_space.seed.default.config]\nname = [\"NA\"]\n";
    for (const auto& [key, lines] : layers) t += "[search.search_space.seed." + key + ".config]\n" + lines;
    if (calibration_samples > 0)
      t += "[search.search_space.calibration]\nnum_samples = " + std::to_string(calibration_samples) + "\n";
    if (strategy) t += "[search.strategy]\n" + *strategy;
    if (!data_loader.empty() || num_samples > 0) t += "[search.strategy.sw_runner.basic_evaluation]\n";
    if (!data_loader.empty()) t += "data_loader = \"" + data_loader + "\"\n";
    if (num_samples > 0) t += "num_samples = " + std::to_string(num_samples) + "\n";
    if (!sampler.empty())
      t += "[search.strategy.setup]\nsampler = \"" + sampler + "\"\nn_trials = " + std::to_string(n_trials) + "\n" +
           setup;
    if (metrics) t += "[search.strategy.metrics]\n" + *metrics;
    if (!constraints.empty()) t += "[search.strategy.constraints]\n" + constraints;
    return t;
  }
};

}  // namespace qdse::testing
