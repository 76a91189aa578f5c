// `qdse search` and `qdse compare` give the same results as before the search set-up moved
// into pipeline::SearchSession (issue 14): trials.json / best.json / compare.json of fixed-seed
// runs on the default example (configs/fmnist_mlp.toml, TPE) and on the peer's small space
// (configs/fmnist_mlp_peer_small.toml, brute force) are compared with golden files in
// tests/data/golden/, which were written by the binary BEFORE the refactor.
// What is compared: every field but wall-clock times, worker names and paths (see
// normalized()), as JSON values, so numbers exactly (the files hold doubles with
// round-trip precision). --threads 1 keeps libtorch's reductions in one order.
// Regenerate (only when a change of results is intended): QDSE_UPDATE_GOLDEN=1.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "../support/prerequisites.hpp"
#include "cli_runner.hpp"

namespace qdse::cli {
namespace {

namespace fs = std::filesystem;
using namespace qdse::testing;

const std::string kWeights = peer_model("fmnist-mlp.json");
const std::string kData = fashion_mnist_dir();
const std::string kGolden = QDSE_TEST_DATA_DIR "/golden";

// Drops what differs between two runs of the same search: times, memory, worker names, paths.
nlohmann::json normalized(nlohmann::json j) {
  static const std::set<std::string> drop = {
      "start_time", "end_time", "sample_seconds", "eval_seconds", "worker", "seconds", "sampler_seconds",
      "seconds_per_run", "sampler_seconds_per_run", "rss_after_first_trial_mb", "peak_rss_mb", "startup_seconds",
      "latency", "latency_per_sample_us", "config", "weights", "run_dir", "storage", "out"};
  if (j.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    for (auto& [k, v] : j.items())
      if (!drop.count(k)) out[k] = normalized(v);
    return out;
  }
  if (j.is_array())
    for (auto& v : j) v = normalized(v);
  return j;
}

// Compares <dir>/<file> (normalized) with the golden <name>/<file>, or writes the golden.
// Compared as JSON values: numbers exactly, key order and layout ignored.
void expect_golden(const fs::path& dir, const std::string& file, const std::string& name) {
  const auto actual = nlohmann::json::parse(read_text(dir / file), nullptr, false);
  ASSERT_FALSE(actual.is_discarded()) << (dir / file) << " is not JSON";
  const nlohmann::json now = normalized(actual);
  const fs::path golden = fs::path(kGolden) / name / file;
  if (std::getenv("QDSE_UPDATE_GOLDEN")) {
    write_text(golden, now.dump(1) + "\n");
    return;
  }
  ASSERT_TRUE(fs::exists(golden)) << golden << " is missing (QDSE_UPDATE_GOLDEN=1 writes it)";
  const auto expected = nlohmann::json::parse(read_text(golden), nullptr, false);
  ASSERT_FALSE(expected.is_discarded()) << golden << " is not JSON";
  if (expected == now) return;
  // The first few differences as JSON-patch operations (path and new value), not two documents.
  const auto patch = nlohmann::json::diff(expected, now);
  std::string shown;
  for (std::size_t i = 0; i < patch.size() && i < 5; ++i) {
    const auto& op = patch[i];
    const std::string path = op.at("path").get<std::string>();
    nlohmann::json was = nullptr;
    try {
      was = expected.at(nlohmann::json::json_pointer(path));
    } catch (const std::exception&) {
    }
    shown += "\n  " + op.at("op").get<std::string>() + " " + path + ": golden " + was.dump() +
             ", now " + (op.contains("value") ? op.at("value").dump() : std::string("(removed)"));
  }
  ADD_FAILURE() << file << " of " << name << " differs from " << golden << " in " << patch.size()
                << " places:" << shown;
}

bool have_inputs() { return fs::exists(kWeights) && fs::exists(kData); }

// `qdse search` of `config` with seed 0 on one thread: its trials.json and best.json
// against the golden files `name`.
void expect_search_golden(const std::string& config, const std::string& name) {
  const auto dir = scratch_dir("golden-" + name);
  const auto r = run_qdse("--threads 1 -q search --config " + config + " --load '" + kWeights + "' --seed 0 --out '" +
                              (dir / "run").string() + "'",
                          dir);
  ASSERT_EQ(r.status, 0) << r.err;
  expect_golden(dir / "run", "trials.json", name);
  expect_golden(dir / "run", "best.json", name);
  fs::remove_all(dir);
}

TEST(SearchGolden, DefaultExampleTpeSeed0) {
  QDSE_REQUIRE(have_inputs(), "needs " << kWeights << " and " << kData);
  expect_search_golden("configs/fmnist_mlp.toml", "search_default_example");
}

TEST(SearchGolden, PeerSmallSpaceBruteForce) {
  QDSE_REQUIRE(have_inputs(), "needs " << kWeights << " and " << kData);
  expect_search_golden("configs/fmnist_mlp_peer_small.toml", "search_peer_small");
}

TEST(SearchGolden, CompareOnThePeerSmallSpace) {
  QDSE_REQUIRE(have_inputs(), "needs " << kWeights << " and " << kData);
  const auto dir = scratch_dir("golden-compare");
  const auto r = run_qdse("--threads 1 -q compare --config configs/fmnist_mlp_peer_small.toml --load '" + kWeights +
                              "' --strategies bruteforce,random,tpe --repeats 2 --n-trials 30 --out '" +
                              (dir / "cmp").string() + "'",
                          dir);
  ASSERT_EQ(r.status, 0) << r.err;
  expect_golden(dir / "cmp", "compare.json", "compare_peer_small");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace qdse::cli
