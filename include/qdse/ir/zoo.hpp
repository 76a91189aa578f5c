// The built-in model zoo: graphs of the models MASE's labs use, by name.
//
// Layer stacks match MASE's definitions exactly (jet_substructure.py for the JSC
// models; fmnist-* as the reference PyTorch models in bench/peer), including module
// paths, so node names (seq_blocks_2, module_list_3) equal MASE's fx names.
// Parameters are initialised like PyTorch's defaults (uniform +-1/sqrt(fan_in)),
// from a seeded generator: the same seed gives the same weights.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "qdse/ir/graph.hpp"

namespace qdse::ir {

struct ZooEntry {
  std::string name;
  std::string dataset;  // the dataset it is meant for ("fashion_mnist", "jsc")
  std::string description;
};

const std::vector<ZooEntry>& zoo_models();
// Builds a freshly initialised model; unknown names are an error listing the zoo.
Graph build_zoo_model(const std::string& name, uint64_t seed = 0);

}  // namespace qdse::ir
