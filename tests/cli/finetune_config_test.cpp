// Issue 18 items 1-2 through the binary: the [finetune] table (read by `qdse finetune`,
// flags override it), `top_k` in a search (the k best trials fine-tuned after the search,
// finetune.json and the report show post-training and fine-tuned metrics), bad keys.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "../support/errors.hpp"
#include "../support/prerequisites.hpp"
#include "cli_runner.hpp"
#include "small_search.hpp"

namespace qdse::testing {
namespace {

namespace fs = std::filesystem;

// The small 3-trial search with a [finetune] table (lines as given).
std::string ftc_config(const std::string& finetune_lines) {
  SmallSearch s;
  s.n_trials = 3;
  return s.toml() + "\n[finetune]\n" + finetune_lines;
}

TEST(FinetuneConfig, TableKeysAreHonouredAndFlagsOverrideThem) {
  QDSE_REQUIRE_SMALL_SEARCH();
  const auto dir = scratch_dir("finetune-config");
  write_text(dir / "c.toml", ftc_config("epochs = 2\nlimit_train = 200\noptimizer = \"sgd\"\n"
                                        "schedule = \"constant\"\nbatch_size = 50\nlearning_rate = 0.002\n"));
  const auto s = run_small_search(dir / "c.toml", "--out " + shell_quote(dir / "run"), dir);
  ASSERT_EQ(s.status, 0) << s.err;
  EXPECT_FALSE(fs::exists(dir / "run" / "finetuned"));  // no top_k / front: the search fine-tunes nothing
  if (fs::exists(dir / "run" / "report" / "index.html"))  // no fine-tuned trials: no figure of both fronts
    EXPECT_EQ(read_text(dir / "run" / "report" / "index.html").find("pareto_finetuned"), std::string::npos);

  const auto r = run_qdse("-q finetune --run " + shell_quote(dir / "run"), dir);
  ASSERT_EQ(r.status, 0) << r.err;
  const auto rec = read_json(dir / "run" / "finetuned" / "finetune.json").at("trials").at(0);
  EXPECT_EQ(rec.at("epochs"), 2);
  EXPECT_EQ(rec.at("history").size(), 2u);
  EXPECT_EQ(rec.at("train_samples"), 200);
  EXPECT_EQ(rec.at("optimizer"), "sgd");
  EXPECT_EQ(rec.at("schedule"), "constant");
  EXPECT_EQ(rec.at("batch_size"), 50);
  EXPECT_DOUBLE_EQ(rec.at("learning_rate").get<double>(), 0.002);

  // Each flag given wins over its key; the others still come from the table.
  const auto f = run_qdse("-q finetune --run " + shell_quote(dir / "run") + " --epochs 1 --optimizer adam --out " +
                              shell_quote(dir / "flags"),
                          dir);
  ASSERT_EQ(f.status, 0) << f.err;
  const auto rf = read_json(dir / "flags" / "finetune.json").at("trials").at(0);
  EXPECT_EQ(rf.at("epochs"), 1);
  EXPECT_EQ(rf.at("history").size(), 1u);
  EXPECT_EQ(rf.at("optimizer"), "adam");
  EXPECT_EQ(rf.at("train_samples"), 200);
  EXPECT_EQ(rf.at("batch_size"), 50);
  fs::remove_all(dir);
}

TEST(FinetuneConfig, SearchWithTopKFinetunesItsKBestTrials) {
  QDSE_REQUIRE_SMALL_SEARCH();
  const auto dir = scratch_dir("finetune-top-k");
  write_text(dir / "c.toml", ftc_config("top_k = 2\nepochs = 1\nlimit_train = 200\n"));
  const auto s = run_small_search(dir / "c.toml", "--out " + shell_quote(dir / "run"), dir);
  ASSERT_EQ(s.status, 0) << s.err;
  EXPECT_CONTAINS(s.out, "->");  // the before -> after table on stdout

  // The two best trials by the objective (maximized), best first.
  auto trials = read_json(dir / "run" / "trials.json");
  std::vector<std::pair<double, int>> ranked;
  for (const auto& t : trials)
    if (t.at("state") == "COMPLETE") ranked.emplace_back(-t.at("values")[0].get<double>(), t.at("number").get<int>());
  std::stable_sort(ranked.begin(), ranked.end());
  ASSERT_GE(ranked.size(), 3u);
  const auto doc = read_json(dir / "run" / "finetuned" / "finetune.json");
  ASSERT_EQ(doc.at("trials").size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    const auto& rec = doc.at("trials")[i];
    EXPECT_EQ(rec.at("trial").get<int>(), ranked[i].second) << i;
    EXPECT_EQ(rec.at("epochs"), 1);
    for (const char* when : {"before", "after"})
      for (const char* where : {"split", "test"}) EXPECT_TRUE(rec.at(when).at(where).contains("accuracy")) << when;
    EXPECT_TRUE(fs::exists(dir / "run" / "finetuned" / ("trial_" + std::to_string(ranked[i].second) + ".qdse")));
  }
  EXPECT_EQ(doc.at("trials")[0].at("trial").get<int>(), read_json(dir / "run" / "best.json").at("trials")[0].at("number").get<int>());
  // The report (it needs gnuplot, which CI has) shows both metrics of each fine-tuned trial.
  if (fs::exists(dir / "run" / "report" / "index.html")) {
    const std::string html = read_text(dir / "run" / "report" / "index.html");
    EXPECT_CONTAINS(html, "<h2>Fine-tuned trials</h2>");
    for (std::size_t i = 0; i < 2; ++i) EXPECT_CONTAINS(html, "<td>trial " + std::to_string(ranked[i].second) + "</td>");
    EXPECT_CONTAINS(html, " -&gt; ");
    // The figure with both fronts, drawn from finetune.json.
    EXPECT_CONTAINS(html, "<figure id=\"fig-pareto_finetuned\">");
    EXPECT_TRUE(fs::exists(dir / "run" / "report" / "pareto_finetuned.png"));
    const std::string dat = read_text(dir / "run" / "report" / "pareto_finetuned.dat");
    for (std::size_t i = 0; i < 2; ++i) EXPECT_CONTAINS(dat, " " + std::to_string(ranked[i].second) + "\n");
  }

  // --json: one document on stdout, best.json's content with finetune.json under "finetune".
  const auto js = run_qdse("--json -q search --config " + shell_quote(dir / "c.toml") + " --load " +
                               shell_quote(small_search_weights()) + " --out " + shell_quote(dir / "run-json2"),
                           dir);
  ASSERT_EQ(js.status, 0) << js.err;
  const auto parsed = nlohmann::json::parse(js.out);
  EXPECT_TRUE(parsed.contains("trials"));
  EXPECT_EQ(parsed.at("finetune").at("trials").size(), 2u);
  fs::remove_all(dir);
}

// Item 2's export: a fine-tuned trial that best.json lacks (the second of top_k = 2) exports
// its formats and, with --weights-out, its fine-tuned checkpoint; bad requests are one line.
TEST(FinetuneConfig, ExportOfAFinetunedTrialCarriesItsWeights) {
  QDSE_REQUIRE_SMALL_SEARCH();
  const auto dir = scratch_dir("finetune-export");
  write_text(dir / "c.toml", ftc_config("top_k = 2\nepochs = 1\nlimit_train = 200\n"));
  const fs::path run = dir / "run";
  const auto s = run_small_search(dir / "c.toml", "--out " + shell_quote(run), dir);
  ASSERT_EQ(s.status, 0) << s.err;
  const int second = read_json(run / "finetuned" / "finetune.json").at("trials")[1].at("trial").get<int>();
  const std::string n = std::to_string(second);

  // Without --finetuned the trial is not exportable: best.json holds only the best.
  const auto plain = run_qdse("-q export --run " + shell_quote(run) + " --trial " + n, dir);
  EXPECT_EQ(plain.status, 1) << plain.err;
  const auto e = run_qdse("-q export --run " + shell_quote(run) + " --finetuned --trial " + n + " -o " +
                              shell_quote(dir / "t.yml") + " --weights-out " + shell_quote(dir / "w.qdse"),
                          dir);
  ASSERT_EQ(e.status, 0) << e.err;
  EXPECT_CONTAINS(read_text(dir / "t.yml"), "seq_blocks_1");
  EXPECT_EQ(read_text(dir / "w.qdse"), read_text(run / "finetuned" / ("trial_" + n + ".qdse")));

  const auto bare = run_small_search(dir / "c.toml", "--out " + shell_quote(dir / "bare-run") + " --n-trials 1", dir);
  ASSERT_EQ(bare.status, 0) << bare.err;
  fs::remove_all(dir / "bare-run" / "finetuned");  // a run without fine-tuned trials
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"--run " + shell_quote(run) + " --finetuned --trial 99", "not among the fine-tuned trials"},
      {"--run " + shell_quote(dir / "bare-run") + " --finetuned", "qdse finetune --run"},
  };
  int clean = 0;
  for (const auto& [args, expect] : cases) {
    const auto r = run_qdse("-q export " + args, dir);
    EXPECT_EQ(r.status, 1) << args << r.err;
    EXPECT_EQ(line_count(r.err), 1) << args << r.err;
    EXPECT_CONTAINS(r.err, expect);
    clean += r.status == 1 && line_count(r.err) == 1 && r.err.find(expect) != std::string::npos;
  }
  EXPECT_EQ(clean, static_cast<int>(cases.size()));
  fs::remove_all(dir);
}

TEST(FinetuneConfig, BadKeysAreOneLineErrorsBeforeTheSearch) {
  QDSE_REQUIRE_SMALL_SEARCH();
  const auto dir = scratch_dir("finetune-bad-keys");
  struct Case {
    std::string lines, expect;
  };
  const std::vector<Case> cases = {
      {"epoch = 2\n", "unknown key `epoch`"},
      {"top_k = 0\n", "finetune.top_k"},
      {"top_k = -3\n", "`top_k` must be in [1, 1000]"},
      {"optimizer = \"rmsprop\"\n", "`optimizer` must be \"adam\" or \"sgd\""},
      {"schedule = \"linear\"\n", "`schedule` must be"},
      {"auto_frac = \"auto\"\n", "`auto_frac` must be"},
      {"epochs = 0\n", "`epochs` must be in [1, 100]"},
      {"learning_rate = -1.0\n", "`learning_rate` must be"},
      {"limit_train = 0\n", "`limit_train` must be"},
      {"top_k = 2\nfront = true\n", "keep one"},
      {"front = \"yes\"\n", "finetune.front"},
  };
  int clean = 0;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const auto& c = cases[i];
    const std::string index = std::to_string(i);
    const fs::path cfg = dir / (index + ".toml");
    write_text(cfg, ftc_config(c.lines));
    const fs::path out = dir / (index + "-run");
    const auto r = run_small_search(cfg, "--out " + shell_quote(out), dir);
    EXPECT_EQ(r.status, 1) << c.lines << r.err;
    EXPECT_EQ(line_count(r.err), 1) << c.lines << r.err;
    EXPECT_CONTAINS(r.err, c.expect);
    const std::string located = cfg.filename().string() + ":";  // file:line
    EXPECT_CONTAINS(r.err, located);
    EXPECT_FALSE(fs::exists(out / "trials.json")) << c.lines;  // refused before any trial
    clean += r.status == 1 && line_count(r.err) == 1 && r.err.find(c.expect) != std::string::npos;
  }
  EXPECT_EQ(clean, static_cast<int>(cases.size()));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace qdse::testing
