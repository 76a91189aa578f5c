// The study identity's pure parts: differences() names each differing item with both
// values, and resumable_description() accepts the same description, resumes a study
// from before fingerprints with a warning, and otherwise refuses naming the items.
#include "qdse/pipeline/study_fingerprint.hpp"

#include <gtest/gtest.h>

#include <string>

#include "qdse/core/error.hpp"

namespace qdse::pipeline {
namespace {

using nlohmann::json;

json description(const std::string& weights, int num_samples) {
  return {{"kind", "qdse mixed_precision_ptq"},
          {"model", "fmnist-mlp"},
          {"params", json::array({{{"name", "a/config/weight_width"}, {"choices", {2, 4, 8}}}})},
          {"evaluation", {{"split", "validation"}, {"num_samples", num_samples}}},
          {"fingerprint", {{"weights", weights}, {"quantizer_semantics", 1}}}};
}

std::string error_of(const json& stored, const json& given) {
  try {
    resumable_description(stored, given, "study `s` in `x.db`", nullptr);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(StudyFingerprint, DifferencesNameThePathAndBothValues) {
  const auto d = differences(description("w1", 256), description("w2", 128));
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0], "evaluation.num_samples: stored 256, now 128");
  EXPECT_EQ(d[1], "fingerprint.weights: stored \"w1\", now \"w2\"");
  EXPECT_TRUE(differences(description("w", 1), description("w", 1)).empty());
}

TEST(StudyFingerprint, DifferencesOfListsAndMissingKeys) {
  auto stored = description("w", 1), given = description("w", 1);
  given["params"][0]["choices"] = {2, 4};
  given["evaluation"].erase("split");
  const auto d = differences(stored, given);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0], "evaluation.split: stored \"validation\", now (absent)");
  EXPECT_EQ(d[1], "params[0].choices: stored 3 entries [2,4,8], now 2 entries [2,4]");
}

TEST(StudyFingerprint, DifferencesAreCappedAndLongValuesShortened) {
  json a = json::object(), b = json::object();
  for (int i = 0; i < 10; ++i) a["k" + std::to_string(i)] = i, b["k" + std::to_string(i)] = -i - 1;
  a["k0"] = std::string(200, 'x');
  const auto d = differences(a, b, 3);
  ASSERT_EQ(d.size(), 4u);
  EXPECT_LT(d[0].size(), 120u) << d[0];
  EXPECT_NE(d[0].find("..."), std::string::npos) << d[0];
  EXPECT_EQ(d[3], "and 7 more");
}

TEST(StudyFingerprint, SameDescriptionResumes) {
  std::string warning;
  EXPECT_EQ(resumable_description(description("w", 1), description("w", 1), "s", &warning), description("w", 1).dump());
  EXPECT_TRUE(warning.empty());
}

TEST(StudyFingerprint, OtherInputsAreRefusedNamingThem) {
  const std::string e = error_of(description("w1", 1), description("w2", 1));
  EXPECT_NE(e.find("study `s` in `x.db` was created with other inputs"), std::string::npos) << e;
  EXPECT_NE(e.find("weights: stored \"w1\", now \"w2\""), std::string::npos) << e;
  EXPECT_EQ(e.find("fingerprint."), std::string::npos) << e;
  EXPECT_EQ(e.find('\n'), std::string::npos) << e;
}

TEST(StudyFingerprint, OtherScoringIsAnotherSearchSpace) {
  const std::string e = error_of(description("w", 256), description("w", 128));
  EXPECT_NE(e.find("another search space"), std::string::npos) << e;
  EXPECT_NE(e.find("evaluation.num_samples: stored 256, now 128"), std::string::npos) << e;
}

TEST(StudyFingerprint, StudyFromBeforeFingerprintsResumesWithAWarning) {
  json old = description("w", 1);
  old.erase("fingerprint");
  std::string warning;
  EXPECT_EQ(resumable_description(old, description("w", 1), "study `s`", &warning), old.dump());
  EXPECT_NE(warning.find("did not store the fingerprint"), std::string::npos) << warning;
  // Its space and scoring are still checked.
  const std::string e = error_of(old, description("w", 2));
  EXPECT_NE(e.find("evaluation.num_samples: stored 1, now 2"), std::string::npos) << e;
}

}  // namespace
}  // namespace qdse::pipeline
