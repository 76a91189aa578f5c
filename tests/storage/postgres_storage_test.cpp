// PostgresStorage on the suite's throw-away server: create/load, mismatches, foreign and
// other-version databases, damaged rows, list_studies through the URL factory.
#include <gtest/gtest.h>

#include "../support/prerequisites.hpp"

#include <pqxx/pqxx>

#include "postgres_server.hpp"
#include "qdse/core/error.hpp"
#include "qdse/storage/open_storage.hpp"
#include "qdse/storage/postgres_storage.hpp"
#include "storage_test_util.hpp"

namespace qdse::storage::testing {
namespace {

using search::Direction;
using search::TrialResult;
using search::TrialState;

class PostgresStorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = PostgresServer::shared();
    QDSE_REQUIRE(server_, PostgresServer::shared_failure());
  }
  // A fresh database named after the running test.
  std::string fresh_db() {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return server_->create_database("t_" + name);
  }
  static void raw_sql(const std::string& url, const std::string& sql) {
    pqxx::connection c(url);
    pqxx::work tx(c);
    tx.exec(sql);
    tx.commit();
  }
  PostgresServer* server_ = nullptr;
};

void expect_postgres_refused(const std::string& url, const std::string& needle) {
  const std::string err = storage_error_of([&] { PostgresStorage s(url, "study", kSpaceJson, kMin); });
  EXPECT_NE(err.find(needle), std::string::npos) << "opening " << url << ": " << err;
}

TEST_F(PostgresStorageTest, CreateLoadAndMismatches) {
  const auto url = fresh_db();
  {
    PostgresStorage s(url, "study", kSpaceJson, kMin);
    EXPECT_EQ(s.create_trial({0, 1, 10}, 0.125, "w"), 0);
    TrialResult r;
    r.values = {0.1 + 0.2};  // round-trips exactly
    r.metrics = {{"bits", 4.5}};
    r.eval_seconds = 1.0 / 3.0;
    s.finish_trial(0, r);
  }
  PostgresStorage s(url, "study");
  EXPECT_EQ(s.directions(), kMin);
  auto t = s.trial(0);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->values, (std::vector<double>{0.1 + 0.2}));
  EXPECT_EQ(t->eval_seconds, 1.0 / 3.0);
  EXPECT_EQ(t->sample_seconds, 0.125);
  EXPECT_EQ(t->metrics.at("bits"), 4.5);
  EXPECT_THROW(PostgresStorage(url, "study", R"({"a": 1})", kMin), Error);
  EXPECT_THROW(PostgresStorage(url, "study", kSpaceJson, {Direction::Maximize}), Error);
  EXPECT_THROW(PostgresStorage(url, "missing"), Error);
}

TEST_F(PostgresStorageTest, ForeignOrOtherVersionDatabasesAreRefused) {
  const auto foreign = fresh_db();
  raw_sql(foreign, "CREATE TABLE trials(x INTEGER)");
  expect_postgres_refused(foreign, "another program");
  const auto v999 = server_->create_database("t_v999");
  { PostgresStorage s(v999, "study", kSpaceJson, kMin); }
  raw_sql(v999, "UPDATE qdse_meta SET value = '999' WHERE key = 'schema_version'");
  expect_postgres_refused(v999, "schema version `999`");
}

TEST_F(PostgresStorageTest, DamagedRowsAreStorageErrors) {
  const auto url = fresh_db();
  PostgresStorage s(url, "study", kSpaceJson, kMin);
  s.create_trial({1});
  raw_sql(url, "UPDATE trials SET values_json = '{\"a\": 1}'");
  const std::string err = storage_error_of([&] { s.trials(); });
  EXPECT_NE(err.find("trial 0"), std::string::npos) << err;
  EXPECT_NE(err.find("values_json"), std::string::npos) << err;
}

TEST_F(PostgresStorageTest, ListStudiesThroughTheUrlFactory) {
  const auto url = fresh_db();
  EXPECT_TRUE(list_studies(url).empty());  // no schema yet: nothing, and nothing created
  auto a = open_storage(url, "a", kSpaceJson, kMin);
  auto b = open_storage(url, "b", kSpaceJson, {Direction::Maximize});
  ASSERT_NE(dynamic_cast<PostgresStorage*>(a.get()), nullptr);
  a->create_trial({1});
  a->create_trial({2});
  TrialResult failed;
  failed.state = TrialState::Failed;
  a->finish_trial(1, failed);
  const auto studies = list_studies(url);
  ASSERT_EQ(studies.size(), 2u);
  EXPECT_EQ(studies[0].name, "a");
  EXPECT_EQ(studies[0].n_running, 1);
  EXPECT_EQ(studies[0].n_failed, 1);
  EXPECT_EQ(studies[1].name, "b");
  EXPECT_EQ(studies[1].n_trials(), 0);
  EXPECT_EQ(studies[1].directions, (std::vector<Direction>{Direction::Maximize}));
}

}  // namespace
}  // namespace qdse::storage::testing
