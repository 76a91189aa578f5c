// `qdse finetune` through the binary: a small search, then fine-tuning its best trial
// (zoo model with the peer's weights, and the peer's ONNX file), and the bad inputs.
#include <gtest/gtest.h>

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

nlohmann::json ft_read_json(const fs::path& p) { return nlohmann::json::parse(read_text(p)); }

// The checks every successful run passes: finetune.json names the trial, its "before"
// metrics on the search's split are the ones the search recorded, the checkpoint exists.
void expect_finetuned(const fs::path& run, const nlohmann::json& trial) {
  const auto doc = ft_read_json(run / "finetuned" / "finetune.json");
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
  const auto best = ft_read_json(run / "best.json");
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
  write_text(dir / "c.toml",
             SearchToml{.model = "models/fmnist-mlp.onnx", .dataset = "fashion_mnist", .preprocess = "normalize",
                        .space_name = "", .layers = {{"seq_blocks_1", integer_layer("[4]", "[4]")}},
                        .data_loader = "val_dataloader", .num_samples = 256, .n_trials = 1}
                 .toml());
  const auto s = run_qdse("-q search --config " + shell_quote(dir / "c.toml") + " --out " + shell_quote(dir / "run"), dir);
  ASSERT_EQ(s.status, 0) << s.err;
  const auto r = run_qdse("-q finetune --run " + shell_quote(dir / "run") + " --epochs 1 --limit-train 300", dir / "ft-io");
  ASSERT_EQ(r.status, 0) << r.err;
  expect_finetuned(dir / "run", ft_read_json(dir / "run" / "best.json").at("trials")[0]);
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
  auto trials = ft_read_json(failed / "trials.json");
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

}  // namespace
}  // namespace qdse::testing
