// Issue 18, Done-when: a search directory that has fine-tuned trials can be resumed and
// fine-tuned again without losing any of them, and fine-tuning refuses a run whose
// weights are another model's, or a finetune.json it would have to overwrite blindly.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "../support/errors.hpp"
#include "../support/prerequisites.hpp"
#include "cli_runner.hpp"
#include "small_search.hpp"

namespace qdse::testing {
namespace {

namespace fs = std::filesystem;

std::set<int> finetuned_trials(const fs::path& run) {
  std::set<int> out;
  const auto doc = read_json(run / "finetuned" / "finetune.json");  // kept alive for the loop
  for (const auto& r : doc.at("trials")) out.insert(r.at("trial").get<int>());
  return out;
}

// The small search, 3 trials a run, fine-tuning its best trial after each run.
std::string resume_ft_config() {
  SmallSearch s;
  s.n_trials = 3;
  return s.toml() + "\n[finetune]\ntop_k = 1\nepochs = 1\nlimit_train = 200\n";
}

TEST(FinetuneResume, ResumedSearchAndLaterFinetunesKeepEveryFinetunedTrial) {
  QDSE_REQUIRE_SMALL_SEARCH();
  const auto dir = scratch_dir("finetune-resume");
  const fs::path run = dir / "run";
  write_text(dir / "c.toml", resume_ft_config());
  auto r = run_small_search(dir / "c.toml", "--out " + shell_quote(run), dir);
  ASSERT_EQ(r.status, 0) << r.err;
  const std::set<int> first = finetuned_trials(run);
  ASSERT_EQ(first.size(), 1u);

  // Resumed: three more trials, then its (possibly new) best trial fine-tuned.
  r = run_small_search(dir / "c.toml", "--out " + shell_quote(run), dir);
  ASSERT_EQ(r.status, 0) << r.err;
  const auto trials = read_json(run / "trials.json");
  ASSERT_EQ(trials.size(), 6u);
  const int best = read_json(run / "best.json").at("trials").at(0).at("number").get<int>();
  std::set<int> after_resume = finetuned_trials(run);
  EXPECT_TRUE(after_resume.count(best)) << "the resumed study's best trial is fine-tuned";
  EXPECT_TRUE(after_resume.count(*first.begin())) << "the first run's fine-tuned trial is still recorded";
  EXPECT_EQ(read_json(run / "finetuned" / "finetune.json").at("trials").at(0).at("trial").get<int>(), best);

  // A later `qdse finetune` of another trial adds it and keeps the others.
  int other = -1;
  for (const auto& t : trials)
    if (t.at("state") == "COMPLETE" && !after_resume.count(t.at("number").get<int>())) other = t.at("number").get<int>();
  ASSERT_GE(other, 0);
  r = run_qdse("-q finetune --run " + shell_quote(run) + " --trial " + std::to_string(other) +
                   " --epochs 1 --limit-train 200",
               dir);
  ASSERT_EQ(r.status, 0) << r.err;
  std::set<int> expected = after_resume;
  expected.insert(other);
  EXPECT_EQ(finetuned_trials(run), expected);
  for (int n : expected)
    EXPECT_TRUE(fs::exists(run / "finetuned" / ("trial_" + std::to_string(n) + ".qdse"))) << n;
  // Each of them can be exported with its weights.
  for (int n : expected) {
    const auto e = run_qdse("-q export --run " + shell_quote(run) + " --finetuned --trial " + std::to_string(n) +
                                " --out " + shell_quote(dir / ("export-" + std::to_string(n))),
                            dir);
    EXPECT_EQ(e.status, 0) << n << ": " << e.err;
  }
  fs::remove_all(dir);
}

// Bad input: weights of another model behind the run, a finetune.json that is not one or
// belongs to another model. One line, exit 1, and the files are left as they were.
TEST(FinetuneResume, AnotherModelsWeightsOrFinetuneJsonAreRefused) {
  QDSE_REQUIRE_SMALL_SEARCH();
  const auto dir = scratch_dir("finetune-resume-bad");
  const fs::path run = dir / "run";
  SmallSearch s;
  s.n_trials = 2;
  write_text(dir / "c.toml", s.toml());
  ASSERT_EQ(run_small_search(dir / "c.toml", "--out " + shell_quote(run), dir).status, 0);

  auto expect_refused = [&](const fs::path& r, const std::string& says) {
    const auto out = run_qdse("-q finetune --run " + shell_quote(r) + " --epochs 1 --limit-train 100", dir);
    EXPECT_EQ(out.status, 1) << out.err;
    EXPECT_EQ(line_count(out.err), 1) << out.err;
    EXPECT_CONTAINS(out.err, says);
  };
  // The run's weights replaced by fmnist-cnn's (the file its provenance names).
  const fs::path other = dir / "other-run";
  fs::copy(run, other, fs::copy_options::recursive);
  auto best = read_json(other / "best.json");
  const std::string weights = best.at("provenance").at("weights").get<std::string>();
  const auto at = weights.find("fmnist-mlp");
  ASSERT_NE(at, std::string::npos) << weights;
  best["provenance"]["weights"] = std::string(weights).replace(at, 10, "fmnist-cnn");
  write_text(other / "best.json", best.dump(1));
  expect_refused(other, "checkpoint of another model");
  EXPECT_FALSE(fs::exists(other / "finetuned" / "finetune.json"));

  fs::create_directories(run / "finetuned");
  write_text(run / "finetuned" / "finetune.json", "{\"not\": \"ours\"}\n");
  expect_refused(run, "is not a finetune.json");
  EXPECT_EQ(read_text(run / "finetuned" / "finetune.json"), "{\"not\": \"ours\"}\n");
  const std::string foreign = "{\"model\": \"fmnist-cnn\", \"trials\": []}\n";
  write_text(run / "finetuned" / "finetune.json", foreign);
  expect_refused(run, "of model `fmnist-cnn`");
  EXPECT_EQ(read_text(run / "finetuned" / "finetune.json"), foreign);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace qdse::testing
