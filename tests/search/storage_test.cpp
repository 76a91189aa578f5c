#include "storage_contract.hpp"

namespace qdse::search::testing {
namespace {

struct InMemoryFactory {
  static std::shared_ptr<Storage> make() { return std::make_shared<InMemoryStorage>(); }
};

using InMemoryStorages = ::testing::Types<InMemoryFactory>;
INSTANTIATE_TYPED_TEST_SUITE_P(InMemory, StorageContract, InMemoryStorages);

}  // namespace
}  // namespace qdse::search::testing
