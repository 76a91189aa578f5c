// Runs the search library's StorageContract and the ClaimContract against every back
// end: SQLite (a new file per test), PostgreSQL (a new study per test on the suite's
// throw-away server) and, for the claim contract, InMemory.
#include <atomic>

#include "../support/prerequisites.hpp"

#include "../search/storage_contract.hpp"
#include "claim_contract.hpp"
#include "postgres_server.hpp"
#include "qdse/storage/postgres_storage.hpp"
#include "qdse/storage/sqlite_storage.hpp"
#include "storage_test_util.hpp"

namespace qdse::storage::testing {
namespace {

struct InMemoryFactory {
  static std::shared_ptr<search::Storage> make() { return std::make_shared<search::InMemoryStorage>(); }
};

struct SqliteFactory {
  static std::shared_ptr<search::Storage> make() { return fresh_file_storage<SqliteStorage>(".db"); }
};

struct PostgresFactory {
  static std::shared_ptr<search::Storage> make() {
    static std::atomic<int> counter{0};
    PostgresServer* server = PostgresServer::shared();
    if (!server) {
      // Records the skip; the body then runs harmlessly on memory and is reported skipped.
      [] { QDSE_REQUIRE(false, PostgresServer::shared_failure()); }();
      return std::make_shared<search::InMemoryStorage>();
    }
    return std::make_shared<PostgresStorage>(server->url(), "contract" + std::to_string(counter++), kSpaceJson, kMin);
  }
};

}  // namespace
}  // namespace qdse::storage::testing

namespace qdse::search::testing {
using SqliteStorages = ::testing::Types<qdse::storage::testing::SqliteFactory>;
using PostgresStorages = ::testing::Types<qdse::storage::testing::PostgresFactory>;
INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, StorageContract, SqliteStorages);
INSTANTIATE_TYPED_TEST_SUITE_P(Postgres, StorageContract, PostgresStorages);
}  // namespace qdse::search::testing

namespace qdse::storage::testing {
using InMemoryStorages = ::testing::Types<InMemoryFactory>;
using SqliteStorages = ::testing::Types<SqliteFactory>;
using PostgresStorages = ::testing::Types<PostgresFactory>;
INSTANTIATE_TYPED_TEST_SUITE_P(InMemory, ClaimContract, InMemoryStorages);
INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, ClaimContract, SqliteStorages);
INSTANTIATE_TYPED_TEST_SUITE_P(Postgres, ClaimContract, PostgresStorages);
}  // namespace qdse::storage::testing
