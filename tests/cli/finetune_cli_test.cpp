// `qdse finetune` through the binary: a small search, then fine-tuning its best trial
// (zoo model with the peer's weights, and the peer's ONNX file), and the bad inputs.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "../support/prerequisites.hpp"
#include "../support/search_toml.hpp"
#include "cli_runner.hpp"
#include "small_search.hpp"

namespace qdse::testing {
namespace {

namespace fs = std::filesystem;

// A 3-trial search of the small space (single objective), run once for these tests.
const fs::path& finetune_run() {
  static const fs::path run = [] {
    const auto dir = scratch_dir("finetune-search");
    SmallSearch s;
    s.n_trials = 3;
    write_text(dir / "c.toml", s.toml());
    const auto r = run_small_search(dir / "c.toml", "--out " + shell_quote(dir / "run"), dir);
    EXPECT_EQ(r.status, 0) << r.err;
    return dir / "run";
  }();
  return run;
}

// One trial of an ONNX model: seq_blocks_1 at 4-bit weights and inputs, 256 validation samples.
std::string ft_onnx_search(const std::string& model) {
  return SearchToml{.model = model, .dataset = "fashion_mnist", .preprocess = "normalize", .space_name = "",
                    .layers = {{"seq_blocks_1", integer_layer("[4]", "[4]")}}, .data_loader = "val_dataloader",
                    .num_samples = 256, .n_trials = 1}
      .toml();
}

// The checks every successful run passes: finetune.json names the trial, its "before"
// metrics on the search's split are the ones the search recorded, the checkpoint exists.
void expect_finetuned(const fs::path& run, const nlohmann::json& trial) {
  const auto doc = read_json(run / "finetuned" / "finetune.json");
  ASSERT_EQ(doc.at("trials").size(), 1u);
  const auto& rec = doc.at("trials")[0];
  EXPECT_EQ(rec.at("trial"), trial.at("number"));
  for (const char* m : {"accuracy", "loss", "model_size", "bitops"})
    EXPECT_DOUBLE_EQ(rec.at("before").at("split").at(m).get<double>(), trial.at("metrics").at(m).get<double>()) << m;
  for (const char* when : {"before", "after"})
    for (const char* where : {"split", "test"}) EXPECT_TRUE(rec.at(when).at(where).contains("accuracy"));
  // The configuration (formats, so size) is the searched one: only the weights changed.
  EXPECT_EQ(rec.at("after").at("split").at("model_size"), rec.at("before").at("split").at("model_size"));
  EXPECT_EQ(rec.at("config"), rec.at("config_before"));
  EXPECT_EQ(rec.at("history").size(), 1u);
  const fs::path ckpt = run / "finetuned" / ("trial_" + trial.at("number").dump() + ".qdse");
  ASSERT_TRUE(fs::exists(ckpt));
  EXPECT_EQ(read_text(ckpt).substr(0, 8), "QDSECKP1");
}

TEST(FinetuneCli, BestTrialOfASearchIsFinetunedAndReevaluated) {
  QDSE_REQUIRE_SMALL_SEARCH();
  const fs::path& run = finetune_run();
  ASSERT_TRUE(fs::exists(run / "best.json"));
  const auto best = read_json(run / "best.json");
  const auto r = run_qdse("-q finetune --run " + shell_quote(run) + " --epochs 1 --limit-train 300",
                          run.parent_path() / "ft-io");
  ASSERT_EQ(r.status, 0) << r.err;
  expect_finetuned(run, best.at("trials")[0]);
  EXPECT_NE(r.out.find("->"), std::string::npos) << r.out;  // the before -> after table

  // The checkpoint loads as weights of the run's model (`qdse eval --load`), and they are
  // not the searched ones: their float test accuracy differs.
  const std::string ckpt = (run / "finetuned" / ("trial_" + best.at("trials")[0].at("number").dump() + ".qdse")).string();
  const auto e = run_qdse("--json eval --config " + shell_quote(run / "config.toml") + " --load " + shell_quote(ckpt),
                          run.parent_path() / "ft-eval-io");
  ASSERT_EQ(e.status, 0) << e.err;
  const auto e0 = run_qdse("--json eval --config " + shell_quote(run / "config.toml") + " --load " +
                               shell_quote(small_search_weights()),
                           run.parent_path() / "ft-eval0-io");
  ASSERT_EQ(e0.status, 0) << e0.err;
  EXPECT_NE(nlohmann::json::parse(e.out).at("float").at("loss"), nlohmann::json::parse(e0.out).at("float").at("loss"));
}

TEST(FinetuneCli, OnnxModelIsFinetunedFromItsInitializers) {
  QDSE_REQUIRE(fs::exists(peer_model("fmnist-mlp.onnx")), peer_model("fmnist-mlp.onnx") << " is absent");
  QDSE_REQUIRE(fs::exists(fashion_mnist_dir()), "Fashion-MNIST is not installed");
  const auto dir = scratch_dir("finetune-onnx");
  fs::create_directories(dir / "models");
  fs::copy_file(peer_model("fmnist-mlp.onnx"), dir / "models/fmnist-mlp.onnx");
  write_text(dir / "c.toml", ft_onnx_search("models/fmnist-mlp.onnx"));
  const auto s = run_qdse("-q search --config " + shell_quote(dir / "c.toml") + " --out " + shell_quote(dir / "run"), dir);
  ASSERT_EQ(s.status, 0) << s.err;
  const auto r = run_qdse("-q finetune --run " + shell_quote(dir / "run") + " --epochs 1 --limit-train 300", dir / "ft-io");
  ASSERT_EQ(r.status, 0) << r.err;
  expect_finetuned(dir / "run", read_json(dir / "run" / "best.json").at("trials")[0]);

  // Write-back: a copy of the ONNX file with the fine-tuned weights as its initializers.
  const auto w = run_qdse("-q export --run " + shell_quote(dir / "run") + " --finetuned --onnx-out " +
                              shell_quote(dir / "models/tuned.onnx") + " -o " + shell_quote(dir / "t.yml"),
                          dir / "wb-io");
  ASSERT_EQ(w.status, 0) << w.err;
  // Same size (float32 raw data of the same shapes, in place) and some bytes changed.
  const std::string src = read_text(dir / "models/fmnist-mlp.onnx"), out = read_text(dir / "models/tuned.onnx");
  ASSERT_EQ(out.size(), src.size());
  std::size_t changed = 0;
  for (std::size_t i = 0; i < src.size(); ++i) changed += src[i] != out[i];
  EXPECT_GT(changed, 0u);
  // Re-imported by qdse, the trial's configuration measures what fine-tuning measured.
  write_text(dir / "tuned.toml", ft_onnx_search("models/tuned.onnx"));
  const auto again = run_qdse("-q search --config " + shell_quote(dir / "tuned.toml") + " --out " + shell_quote(dir / "run2"), dir);
  ASSERT_EQ(again.status, 0) << again.err;
  const auto after = read_json(dir / "run" / "finetuned" / "finetune.json").at("trials")[0].at("after").at("split");
  const auto metrics = read_json(dir / "run2" / "best.json").at("trials")[0].at("metrics");
  for (const char* m : {"accuracy", "loss"})
    EXPECT_DOUBLE_EQ(metrics.at(m).get<double>(), after.at(m).get<double>()) << m;
}

TEST(FinetuneCli, BadInputsAreOneLineErrors) {
  QDSE_REQUIRE_SMALL_SEARCH();
  const fs::path& run = finetune_run();
  const fs::path io = run.parent_path() / "bad-io";
  // A copy whose trial 1 failed (as trials.json records a failed trial).
  const fs::path failed = run.parent_path() / "failed-run";
  fs::remove_all(failed);
  fs::copy(run, failed, fs::copy_options::recursive);
  fs::remove_all(failed / "finetuned");  // left by the test above, when it ran first
  auto trials = read_json(failed / "trials.json");
  trials[1]["state"] = "FAIL";
  write_text(failed / "trials.json", trials.dump(2));
  fs::create_directories(run.parent_path() / "empty");

  struct Case {
    std::string args, expect;
  };
  const std::vector<Case> cases = {
      {"--run " + shell_quote(run) + " --trial 99", "trial 99 is not in"},
      {"--run " + shell_quote(run.parent_path() / "empty"), "is not a run directory"},
      {"--run " + shell_quote(run.parent_path() / "absent"), "is not a run directory"},
      {"--run " + shell_quote(failed) + " --trial 1", "is FAIL, not COMPLETE"},
      {"--run " + shell_quote(run) + " --epochs 0", "--epochs"},
      {"--run " + shell_quote(run) + " --epochs 1000", "--epochs"},
      {"--run " + shell_quote(run) + " --lr -1", "--lr"},
      {"--run " + shell_quote(run) + " --learn-scale --rederive-auto", "both choose the quantization step"},
  };
  int clean = 0;
  for (const auto& c : cases) {
    const auto r = run_qdse("-q finetune " + c.args, io);
    EXPECT_EQ(r.status, 1) << c.args << "\n" << r.err;
    EXPECT_EQ(line_count(r.err), 1) << c.args << "\n" << r.err;
    EXPECT_NE(r.err.find(c.expect), std::string::npos) << c.args << "\n" << r.err;
    clean += r.status == 1 && line_count(r.err) == 1 && r.err.find(c.expect) != std::string::npos;
  }
  EXPECT_EQ(clean, static_cast<int>(cases.size()));
  // Nothing was written into the run directories by the refused runs.
  EXPECT_FALSE(fs::exists(failed / "finetuned"));
}

TEST(FinetuneCli, FormatWithoutStraightThroughGradientIsRefusedNamingTheLayer) {
  QDSE_REQUIRE_SMALL_SEARCH();
  const auto dir = scratch_dir("finetune-wrap");
  // seq_blocks_3 wraps on overflow: a format without a straight-through gradient.
  SearchToml t{.dataset = "fashion_mnist", .preprocess = "normalize", .calibration_samples = 64,
               .data_loader = "val_dataloader", .num_samples = 256, .n_trials = 1};
  t.layers = {{"seq_blocks_1", integer_layer("[8]", "[4]")},
              {"seq_blocks_3", integer_layer("[8]", "[4]", "overflow = [\"wrap\"]\n")}};
  write_text(dir / "c.toml", t.toml());
  const auto s = run_small_search(dir / "c.toml", "--out " + shell_quote(dir / "run"), dir);
  ASSERT_EQ(s.status, 0) << s.err;
  const auto r = run_qdse("-q finetune --run " + shell_quote(dir / "run") + " --epochs 1 --limit-train 100", dir);
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_EQ(line_count(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("layer 'seq_blocks_3'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("no straight-through gradient"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir / "run" / "finetuned"));  // nothing written
}

TEST(FinetuneCli, LearnedStepsAreReportedWithTheFormatTheyDeployAs) {
  QDSE_REQUIRE_SMALL_SEARCH();
  const auto dir = scratch_dir("finetune-lsq");
  SmallSearch s;
  s.n_trials = 1;
  write_text(dir / "c.toml", s.toml());
  ASSERT_EQ(run_small_search(dir / "c.toml", "--out " + shell_quote(dir / "run"), dir).status, 0);
  const auto r = run_qdse("-q finetune --run " + shell_quote(dir / "run") +
                              " --epochs 1 --limit-train 300 --lr 1e-3 --learn-scale",
                          dir);
  ASSERT_EQ(r.status, 0) << r.err;
  const auto rec = read_json(dir / "run" / "finetuned" / "finetune.json").at("trials").at(0);
  EXPECT_TRUE(rec.at("learn_scale").get<bool>());
  // Both layers' weight and data_in slots are integer: four learned steps.
  ASSERT_EQ(rec.at("learned_steps").size(), 4u) << rec.at("learned_steps");
  bool moved = false;
  for (const auto& st : rec.at("learned_steps")) {
    const double learned = st.at("learned").get<double>();
    moved = moved || learned != st.at("initial").get<double>();
    // The deployed step is the learned one's nearest power of two, and the configuration
    // evaluated as "after" (finetune.json's `config`) carries its frac width.
    EXPECT_NEAR(std::log2(st.at("deployed").get<double>()), std::round(std::log2(learned)), 1e-9) << st;
    EXPECT_EQ(st.at("power_of_two").get<bool>(), learned == st.at("deployed").get<double>()) << st;
  }
  EXPECT_TRUE(moved) << rec.at("learned_steps");
  for (const char* where : {"split", "test"}) EXPECT_TRUE(rec.at("after_learned_steps").at(where).contains("accuracy"));
  // --onnx-out needs a model imported from ONNX: this one is a zoo model, nothing written.
  const auto z = run_qdse("-q export --run " + shell_quote(dir / "run") + " --finetuned --onnx-out " +
                              shell_quote(dir / "x.onnx"),
                          dir);
  EXPECT_EQ(z.status, 1) << z.err;
  EXPECT_EQ(line_count(z.err), 1) << z.err;
  EXPECT_NE(z.err.find("zoo model `fmnist-mlp`"), std::string::npos) << z.err;
  EXPECT_FALSE(fs::exists(dir / "x.onnx"));
  // Export of the trial: the table holds the searched formats, so it is written only when
  // every learned step deploys as the searched one; else a one-line error naming the layer.
  bool same = true;
  for (const auto& st : rec.at("learned_steps")) same = same && st.at("deployed") == st.at("initial");
  const auto x = run_qdse("-q export --run " + shell_quote(dir / "run") + " --finetuned -o " + shell_quote(dir / "t.yml"), dir);
  EXPECT_EQ(x.status, same ? 0 : 1) << x.err;
  EXPECT_EQ(fs::exists(dir / "t.yml"), same);
  if (!same) EXPECT_NE(x.err.find("deploys as"), std::string::npos) << x.err;
}

}  // namespace
}  // namespace qdse::testing
