// Resume fingerprint (issue 13, item 4): a study stores the fingerprint of every input
// that determines a trial's result (weights, dataset/split/samples, preprocessing,
// calibration, quantizer semantics); resuming it with other inputs is refused with the
// differing item named and both values shown, and nothing is added to the study. The
// same inputs (even the same weights from another file) resume; a study made before
// fingerprints resumes with a warning. Through the binary.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "qdse/search/trial.hpp"
#include "qdse/storage/open_storage.hpp"
#include "small_search.hpp"

namespace qdse::cli {
namespace {

namespace fs = std::filesystem;
using namespace qdse::testing;

struct Resume {
  fs::path dir, run;
  CliResult first, second;
};

// Searches 3 trials with `before`, then resumes the same study (same run directory)
// with `after` and `second_extra` (e.g. other weights).
Resume resume_with(const std::string& name, const SmallSearch& before, const SmallSearch& after,
                   const std::string& second_weights = "") {
  Resume r;
  r.dir = scratch_dir("fingerprint-" + name);
  r.run = r.dir / "run";
  write_text(r.dir / "before.toml", before.toml());
  write_text(r.dir / "after.toml", after.toml());
  const std::string args = "--study s --n-trials 3 --out '" + r.run.string() + "'";
  r.first = run_small_search(r.dir / "before.toml", args, r.dir / "1");
  r.second = run_small_search(r.dir / "after.toml", args, r.dir / "2", second_weights);
  return r;
}

int stored_trials(const Resume& r) {
  return storage::open_storage((r.run / "study.db").string(), "s")->n_trials();
}

// A refused resume: exit 1, one line naming `item` with both values, the study unchanged.
void expect_refused(const Resume& r, const std::string& item) {
  ASSERT_EQ(r.first.status, 0) << r.first.err;
  EXPECT_EQ(r.second.status, 1) << r.second.err;
  EXPECT_EQ(line_count(r.second.err), 1) << r.second.err;
  EXPECT_NE(r.second.err.find(item), std::string::npos) << "no `" << item << "` in: " << r.second.err;
  EXPECT_EQ(stored_trials(r), 3);
}

// Resuming the small search with one setting changed by `change` is refused naming `item`.
void expect_change_refused(const std::string& name, const std::function<void(SmallSearch&)>& change,
                           const std::string& item) {
  SmallSearch after;
  change(after);
  const auto r = resume_with(name, SmallSearch{}, after);
  expect_refused(r, item);
  fs::remove_all(r.dir);
}

TEST(ResumeFingerprint, OtherWeightsAreRefusedNamingTheWeights) {
  QDSE_REQUIRE_SMALL_SEARCH();
  const auto dir = scratch_dir("fingerprint-weights-file");
  // The peer's weights with one value changed.
  auto weights = nlohmann::json::parse(read_text(small_search_weights()));
  nlohmann::json* v = &weights.at("tensors").at(0).at("data");
  while (v->is_array()) v = &v->at(0);
  *v = v->get<double>() + 0.25;
  write_text(dir / "other.json", weights.dump());
  const auto r = resume_with("weights", SmallSearch{}, SmallSearch{}, (dir / "other.json").string());
  expect_refused(r, "weights: stored \"fnv1a64w:");
  EXPECT_NE(r.second.err.find("now \"fnv1a64w:"), std::string::npos) << r.second.err;
  fs::remove_all(r.dir);
  fs::remove_all(dir);
}

TEST(ResumeFingerprint, SameWeightsFromAnotherFileResume) {
  QDSE_REQUIRE_SMALL_SEARCH();
  const auto dir = scratch_dir("fingerprint-same-file");
  fs::copy_file(small_search_weights(), dir / "copy.json");
  const auto r = resume_with("same", SmallSearch{}, SmallSearch{}, (dir / "copy.json").string());
  ASSERT_EQ(r.first.status, 0) << r.first.err;
  EXPECT_EQ(r.second.status, 0) << r.second.err;
  EXPECT_EQ(stored_trials(r), 6);
  fs::remove_all(r.dir);
  fs::remove_all(dir);
}

TEST(ResumeFingerprint, OtherNumSamplesShowsBothValues) {
  QDSE_REQUIRE_SMALL_SEARCH();
  expect_change_refused("num-samples", [](SmallSearch& s) { s.num_samples = 128; }, "num_samples: stored 256, now 128");
}

TEST(ResumeFingerprint, OtherPreprocessingIsRefused) {
  QDSE_REQUIRE_SMALL_SEARCH();
  expect_change_refused("preprocess", [](SmallSearch& s) { s.preprocess = "scale"; },
                        "preprocessing.kind: stored \"normalize\", now \"scale\"");
}

TEST(ResumeFingerprint, OtherValidationSplitIsRefused) {
  QDSE_REQUIRE_SMALL_SEARCH();
  // Another shuffle: other samples in the validation split.
  expect_change_refused("split", [](SmallSearch& s) { s.head = "seed = 1\n"; }, "dataset.samples: stored \"fnv1a64w:");
}

TEST(ResumeFingerprint, OtherCalibrationIsRefusedWhenTrialsUseIt) {
  QDSE_REQUIRE_SMALL_SEARCH();
  SmallSearch before, after;
  before.auto_frac = after.auto_frac = true;
  after.calibration_samples = 16;
  const auto r = resume_with("calibration", before, after);
  expect_refused(r, "calibration.num_samples: stored 64, now 16");
  fs::remove_all(r.dir);
}

TEST(ResumeFingerprint, CalibrationThatNoTrialUsesDoesNotMatter) {
  QDSE_REQUIRE_SMALL_SEARCH();
  SmallSearch after;  // no frac_width = "auto": the ranges decide nothing
  after.calibration_samples = 16;
  const auto r = resume_with("calibration-unused", SmallSearch{}, after);
  ASSERT_EQ(r.first.status, 0) << r.first.err;
  EXPECT_EQ(r.second.status, 0) << r.second.err;
  EXPECT_EQ(stored_trials(r), 6);
  fs::remove_all(r.dir);
}

TEST(ResumeFingerprint, StudyFromBeforeFingerprintsResumesWithAWarning) {
  QDSE_REQUIRE_SMALL_SEARCH();
  const auto dir = scratch_dir("fingerprint-old");
  write_text(dir / "search.toml", SmallSearch{}.toml());
  // Today's description, less the fingerprint, is what an older qdse stored.
  const auto made = run_small_search(dir / "search.toml", "--study new --n-trials 1 --out '" + (dir / "a").string() + "'",
                                     dir / "1");
  ASSERT_EQ(made.status, 0) << made.err;
  std::string description;
  for (const auto& s : storage::list_studies((dir / "a" / "study.db").string()))
    if (s.name == "new") description = s.space_json;
  auto old = nlohmann::json::parse(description);
  ASSERT_TRUE(old.contains("fingerprint"));
  old.erase("fingerprint");
  const std::string db = (dir / "old.db").string();
  storage::open_storage(db, "old", old.dump(), {search::Direction::Maximize});
  const auto r = run_small_search(dir / "search.toml",
                                  "--storage '" + db + "' --study old --n-trials 2 --out '" + (dir / "b").string() + "'",
                                  dir / "2");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("did not store the fingerprint"), std::string::npos) << r.err;
  EXPECT_EQ(storage::open_storage(db, "old")->n_trials(), 2);
  // ... but its space and scoring are still checked.
  SmallSearch other;
  other.num_samples = 128;
  write_text(dir / "other.toml", other.toml());
  const auto refused = run_small_search(dir / "other.toml",
                                        "--storage '" + db + "' --study old --n-trials 2 --out '" + (dir / "c").string() + "'",
                                        dir / "3");
  EXPECT_EQ(refused.status, 1);
  EXPECT_NE(refused.err.find("evaluation.num_samples: stored 256, now 128"), std::string::npos) << refused.err;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace qdse::cli
