// trials() of the SQL back ends re-reads only rows that can still change (cached Running
// trials and new ones, src/storage/trial_cache.hpp). These tests drive several
// connections to one study through random interleavings of create / claim / finish /
// fail-stale and check that every connection's trials() always equals a fresh read.
#include <gtest/gtest.h>

#include "../support/prerequisites.hpp"

#include <limits>
#include <random>
#include <sstream>

#include "postgres_server.hpp"
#include "qdse/storage/postgres_storage.hpp"
#include "qdse/storage/sqlite_storage.hpp"
#include "storage_test_util.hpp"

namespace qdse::storage::testing {
namespace {

const std::vector<search::Direction> kMin = {search::Direction::Minimize};

std::string describe(const search::FrozenTrial& t) {
  std::ostringstream s;
  s << t.number << " " << search::to_string(t.state) << " p";
  for (double v : t.params) s << " " << v;
  s << " v";
  for (double v : t.values) s << " " << v;
  for (const auto& [k, v] : t.metrics) s << " " << k << "=" << v;
  s << " " << t.start_time << " " << t.end_time << " " << t.worker;
  return s.str();
}

std::vector<std::string> describe(const std::vector<search::FrozenTrial>& trials) {
  std::vector<std::string> out;
  for (const auto& t : trials) out.push_back(describe(t));
  return out;
}

// `open()` gives a new connection to one study each call.
void run_random_interleaving(const std::function<std::shared_ptr<search::Storage>()>& open) {
  std::vector<std::shared_ptr<search::Storage>> conns = {open(), open(), open()};
  std::mt19937 rng(7);
  std::vector<int> running;
  double next_param = 0;
  for (int step = 0; step < 150; ++step) {
    auto& s = *conns[rng() % conns.size()];
    const int op = static_cast<int>(rng() % 10);
    if (op < 4 || running.empty()) {
      const search::ParamVector p = {next_param++};
      const int n = (op % 2) ? s.create_trial(p, 0.0, "w") : *s.try_create_trial(p, 0.0, "w");
      running.push_back(n);
    } else if (op < 8) {
      const std::size_t i = rng() % running.size();
      search::TrialResult r;
      r.state = op == 7 ? search::TrialState::Pruned : search::TrialState::Complete;
      if (op != 7) r.values = {static_cast<double>(step)};
      r.metrics = {{"step", static_cast<double>(step)}};
      // Non-finite values take another path through the row codec than numbers.
      if (step % 5 == 0) r.metrics["odd"] = step % 10 == 0 ? std::numeric_limits<double>::infinity() : -0.0;
      s.finish_trial(running[i], r);
      running.erase(running.begin() + static_cast<std::ptrdiff_t>(i));
    } else if (op == 8) {
      for (const auto& t : s.fail_stale_trials(0.0)) std::erase(running, t.number);
    }
    // Only some connections look after each step, so their caches drift apart.
    if (rng() % 2) {
      const auto truth = describe(open()->trials());
      for (auto& c : conns) {
        if (rng() % 2) {
          ASSERT_EQ(describe(c->trials()), truth) << "step " << step;
        } else {
          // trials_since(from, watch): the trials numbered >= from plus the watched ones
          // below it (what Study::ask reads), also answered from the connection's cache.
          const int from = static_cast<int>(rng() % (truth.size() + 1));
          std::vector<int> watch;
          std::vector<std::string> want;
          for (int n = 0; n < from; ++n)
            if (rng() % 3 == 0) {
              watch.push_back(n);
              want.push_back(truth[static_cast<std::size_t>(n)]);
            }
          want.insert(want.end(), truth.begin() + from, truth.end());
          const auto got = describe(c->trials_since(from, watch));
          std::size_t i = 0;
          while (i < got.size() && i < want.size() && got[i] == want[i]) ++i;
          ASSERT_EQ(got.size(), want.size()) << "step " << step << " from " << from;
          ASSERT_EQ(i, want.size()) << "step " << step << " from " << from << ": got " << got[i] << ", want "
                                    << want[i];
        }
      }
    }
  }
  const auto truth = describe(open()->trials());
  for (auto& c : conns) EXPECT_EQ(describe(c->trials()), truth);
  EXPECT_EQ(static_cast<int>(truth.size()), static_cast<int>(next_param));
}

TEST(TrialCache, SqliteConnectionsAlwaysSeeTheCurrentStudy) {
  TempDir dir;
  const std::string path = dir.file("cache.db");
  run_random_interleaving([&] { return std::make_shared<SqliteStorage>(path, "s", kSpaceJson, kMin); });
}

TEST(TrialCache, PostgresConnectionsAlwaysSeeTheCurrentStudy) {
  PostgresServer* server = PostgresServer::shared();
  QDSE_REQUIRE(server, PostgresServer::shared_failure());
  static int run = 0;  // a new study per run (--gtest_repeat reuses the server)
  const std::string study = "cache" + std::to_string(run++);
  run_random_interleaving([&] { return std::make_shared<PostgresStorage>(server->url(), study, kSpaceJson, kMin); });
}

}  // namespace
}  // namespace qdse::storage::testing
