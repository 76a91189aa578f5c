// Checkpoints: a graph's parameters on disk, and loading them back into a graph.
//
// Format (documented in docs/checkpoint.md): 8-byte magic "QDSECKP1", a
// little-endian uint64 header length, a JSON header (model name, input shape, each
// tensor's name/shape/offset, FNV-1a checksum of the data, free-form metadata), then
// the raw little-endian float32 data. Loading checks the model name, every tensor's
// presence and shape and the checksum, and says which one is wrong.
// Also reads the JSON weight dumps of PyTorch state_dicts (bench/peer's
// models/<name>.json: tensors as name/shape/flat data, module paths "seq_blocks.1").
// Thread-safety: functions are reentrant; loading writes into the given graph.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "qdse/ir/graph.hpp"

namespace qdse::io {

void save_checkpoint(const ir::Graph& graph, const std::string& path,
                     const nlohmann::json& metadata = nlohmann::json::object());

// Copies the checkpoint's tensors into graph's parameters; returns the metadata.
nlohmann::json load_checkpoint(const std::string& path, ir::Graph& graph);

// Loads a PyTorch state_dict dumped as JSON ({"tensors": [{"name", "shape", "data"}]}).
nlohmann::json load_state_dict_json(const std::string& path, ir::Graph& graph);

// Dispatches on the file: JSON state dict (".json") or qdse checkpoint.
nlohmann::json load_weights(const std::string& path, ir::Graph& graph);

}  // namespace qdse::io
