// Run directories (issue 13, item 5): nothing in a run directory changes before the
// run is accepted; an existing directory that is not a run directory needs --force;
// `--out` naming the directory of the config being run works. Through the binary.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "small_search.hpp"

namespace qdse::cli {
namespace {

namespace fs = std::filesystem;
using namespace qdse::testing;

TEST(RunDirectory, RefusedResumeLeavesTheRunDirectoryUntouched) {
  QDSE_REQUIRE_SMALL_SEARCH();
  const auto dir = scratch_dir("rundir-refused");
  const auto a = dir / "a.toml", b = dir / "b.toml", run = dir / "run";
  write_text(a, SmallSearch{}.toml());
  SmallSearch other;
  other.num_samples = 128;  // another scoring: the study cannot take these trials
  write_text(b, other.toml());
  const auto first = run_small_search(a, "--study s --n-trials 3 --out '" + run.string() + "'", dir);
  ASSERT_EQ(first.status, 0) << first.err;
  const std::string config = read_text(run / "config.toml"), trials = read_text(run / "trials.json"),
                    best = read_text(run / "best.json");
  ASSERT_EQ(config, read_text(a));
  const auto refused = run_small_search(b, "--study s --n-trials 3 --out '" + run.string() + "'", dir);
  EXPECT_EQ(refused.status, 1);
  EXPECT_EQ(line_count(refused.err), 1) << refused.err;
  EXPECT_EQ(read_text(run / "config.toml"), config) << "a refused resume replaced the run's config.toml";
  EXPECT_EQ(read_text(run / "trials.json"), trials);
  EXPECT_EQ(read_text(run / "best.json"), best);
  fs::remove_all(dir);
}

TEST(RunDirectory, ExistingNonRunDirectoryNeedsForce) {
  QDSE_REQUIRE_SMALL_SEARCH();
  const auto dir = scratch_dir("rundir-foreign");
  const auto cfg = dir / "search.toml", mine = dir / "mine";
  write_text(cfg, SmallSearch{}.toml());
  write_text(mine / "config.toml", "# the user's own file\n");
  write_text(mine / "notes.txt", "keep me\n");
  const auto refused = run_small_search(cfg, "--n-trials 2 --out '" + mine.string() + "'", dir);
  EXPECT_EQ(refused.status, 1);
  EXPECT_EQ(line_count(refused.err), 1) << refused.err;
  EXPECT_NE(refused.err.find("--force"), std::string::npos) << refused.err;
  EXPECT_EQ(read_text(mine / "config.toml"), "# the user's own file\n");
  EXPECT_FALSE(fs::exists(mine / "study.db"));
  EXPECT_FALSE(fs::exists(mine / "trials.json"));
  const auto forced = run_small_search(cfg, "--n-trials 2 --force --out '" + mine.string() + "'", dir);
  ASSERT_EQ(forced.status, 0) << forced.err;
  EXPECT_TRUE(fs::exists(mine / "best.json"));
  EXPECT_EQ(read_text(mine / "config.toml"), read_text(cfg));
  // Now a run directory: running again resumes without --force.
  const auto again = run_small_search(cfg, "--n-trials 2 --out '" + mine.string() + "'", dir);
  EXPECT_EQ(again.status, 0) << again.err;
  EXPECT_NE(again.err.find("resuming study"), std::string::npos) << again.err;
  fs::remove_all(dir);
}

TEST(RunDirectory, OutIsAFileIsAClearError) {
  QDSE_REQUIRE_SMALL_SEARCH();
  const auto dir = scratch_dir("rundir-file");
  const auto cfg = dir / "search.toml";
  write_text(cfg, SmallSearch{}.toml());
  write_text(dir / "plain", "x\n");
  const auto r = run_small_search(cfg, "--n-trials 2 --out '" + (dir / "plain").string() + "'", dir);
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(line_count(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("not a directory"), std::string::npos) << r.err;
  EXPECT_EQ(read_text(dir / "plain"), "x\n");
  fs::remove_all(dir);
}

TEST(RunDirectory, OutDotBesideItsOwnConfig) {
  QDSE_REQUIRE_SMALL_SEARCH();
  const auto dir = scratch_dir("rundir-dot");
  const auto here = dir / "here";
  write_text(here / "config.toml", SmallSearch{}.toml());
  const auto r = run_small_search(here / "config.toml", "--n-trials 2 --out '" + (here / ".").string() + "'", dir);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(fs::exists(here / "best.json"));
  EXPECT_EQ(read_text(here / "config.toml"), SmallSearch{}.toml());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace qdse::cli
