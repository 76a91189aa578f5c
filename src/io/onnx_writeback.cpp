// Fine-tuned parameters written back as ONNX initializers; see include/qdse/io/onnx_writeback.hpp.
#include "qdse/io/onnx_writeback.hpp"

#include <torch/types.h>

#include <bit>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "qdse/core/error.hpp"
#include "qdse/core/file_write.hpp"
#include "qdse/io/onnx/import_context.hpp"

namespace qdse::io {
namespace {

// A float32 initializer of the source file, decoded once.
struct WritebackInit {
  int index;
  at::Tensor values;
  bool claimed = false;
};

bool writeback_same(const at::Tensor& a, const at::Tensor& b) { return a.sizes() == b.sizes() && torch::equal(a, b); }

void writeback_set(onnx::TensorProto& t, const at::Tensor& values) {
  const at::Tensor v = values.to(torch::kFloat).contiguous();
  const auto* p = v.data_ptr<float>();
  if (t.float_data_size() > 0) {  // stored as float_data: keep that representation
    t.clear_float_data();
    for (int64_t i = 0; i < v.numel(); ++i) t.add_float_data(p[i]);
    return;
  }
  std::string raw(static_cast<std::size_t>(v.numel()) * sizeof(float), '\0');
  std::memcpy(raw.data(), p, raw.size());  // ONNX raw_data is little-endian, as this host
  t.set_raw_data(raw);
}

}  // namespace

std::vector<std::string> write_onnx_initializers(const std::string& source, const ir::Graph& original,
                                                 const ir::Graph& tuned, const std::string& out) {
  static_assert(std::endian::native == std::endian::little, "ONNX raw_data is little-endian");
  std::ifstream in(source, std::ios::binary);
  if (!in) throw Error(ErrorKind::Io, "cannot read the ONNX model " + source);
  std::stringstream bytes;
  bytes << in.rdbuf();
  onnx::ModelProto model;
  if (!model.ParseFromString(bytes.str()) || !model.has_graph())
    throw Error(ErrorKind::Import, source + " is not an ONNX model");
  const std::string base_dir = std::filesystem::path(source).parent_path().string();
  auto* graph = model.mutable_graph();
  std::vector<WritebackInit> inits;
  for (int i = 0; i < graph->initializer_size(); ++i) {
    const auto& t = graph->initializer(i);
    if (t.data_type() != onnx::TensorProto::FLOAT) continue;
    inits.push_back({i, onnx_detail::tensor_from_proto(t, base_dir)});
  }
  if (original.size() != tuned.size())
    throw Error(ErrorKind::Config, "the fine-tuned graph has " + std::to_string(tuned.size()) + " nodes, " + source +
                                       " imports as " + std::to_string(original.size()));
  std::vector<std::string> written;
  for (std::size_t n = 0; n < original.size(); ++n) {
    const ir::Node& a = original.node(static_cast<int>(n));
    const ir::Node& b = tuned.node(static_cast<int>(n));
    for (const auto& [key, before] : a.params) {
      const at::Tensor* after = b.param(key);
      if (!after || writeback_same(before, *after)) continue;
      const std::string what = "the fine-tuned `" + key + "` of layer '" + a.name + "'";
      WritebackInit* found = nullptr;
      bool transposed = false;
      for (auto& init : inits) {
        const bool direct = writeback_same(init.values, before);
        const bool trans = !direct && before.dim() == 2 && writeback_same(init.values, before.t());
        if (!direct && !trans) continue;
        if (found)
          throw Error(ErrorKind::Config, "cannot write " + what + " back into " + source + ": initializers '" +
                                             graph->initializer(found->index).name() + "' and '" +
                                             graph->initializer(init.index).name() + "' both hold its values");
        found = &init;
        transposed = trans;
      }
      if (!found)
        throw Error(ErrorKind::Config, "cannot write " + what + " back into " + source +
                                           ": no float32 initializer holds it as imported (scaled, folded or "
                                           "computed on import); its qdse checkpoint has it");
      onnx::TensorProto& t = *graph->mutable_initializer(found->index);
      if (found->claimed)
        throw Error(ErrorKind::Config, "cannot write " + what + " back into " + source + ": initializer '" + t.name() +
                                           "' also feeds another changed parameter");
      if (t.data_location() == onnx::TensorProto::EXTERNAL || t.external_data_size() > 0)
        throw Error(ErrorKind::Config, "cannot write " + what + " back into " + source + ": its initializer '" +
                                           t.name() + "' is stored as external data");
      found->claimed = true;
      writeback_set(t, transposed ? after->t() : *after);
      written.push_back(t.name());
    }
  }
  std::string serialized;
  if (!model.SerializeToString(&serialized)) throw Error(ErrorKind::Io, "cannot serialize the ONNX model for " + out);
  write_file_atomic(out, serialized);
  return written;
}

}  // namespace qdse::io
