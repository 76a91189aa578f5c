#include "qdse/io/checkpoint.hpp"

#include <torch/torch.h>

#include <cstring>
#include <fstream>
#include <iomanip>
#include <sstream>

#include "qdse/core/error.hpp"

namespace qdse::io {
namespace {

constexpr char kMagic[8] = {'Q', 'D', 'S', 'E', 'C', 'K', 'P', '1'};
constexpr uint64_t kMaxHeaderBytes = 64ull << 20;

uint64_t fnv1a64(const char* data, std::size_t n, uint64_t h = 1469598103934665603ull) {
  for (std::size_t i = 0; i < n; ++i) {
    h ^= static_cast<unsigned char>(data[i]);
    h *= 1099511628211ull;
  }
  return h;
}

std::string hex(uint64_t v) {
  std::ostringstream s;
  s << std::hex << std::setw(16) << std::setfill('0') << v;
  return s.str();
}

// Tensor key as a PyTorch state_dict would spell it for this node's parameter.
std::string tensor_key(const ir::Node& node, const std::string& param) {
  return node.name + "." + param;
}

Error ckpt_error(const std::string& path, const std::string& what) {
  return Error(ErrorKind::Import, "checkpoint " + path + ": " + what);
}

std::string shape_str(const std::vector<int64_t>& s) {
  std::string out = "[";
  for (std::size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

// Copies named float data into the graph, checking names and shapes both ways.
template <typename Lookup>
void assign_params(ir::Graph& graph, const std::string& path, const std::vector<std::string>& names,
                   Lookup&& lookup) {
  std::map<std::string, std::pair<ir::Node*, std::string>> wanted;
  for (auto& node : graph.nodes())
    for (auto& [key, t] : node.params)
      if (t.defined()) wanted[tensor_key(node, key)] = {&node, key};
  for (const auto& name : names)
    if (!wanted.count(name))
      throw ckpt_error(path, "holds tensor '" + name + "' that model '" + graph.name() +
                                 "' does not have (is it a checkpoint of another model?)");
  for (auto& [name, where] : wanted) {
    auto [node, key] = where;
    at::Tensor& dst = node->params[key];
    at::Tensor src = lookup(name);
    if (!src.defined())
      throw ckpt_error(path, "has no tensor '" + name + "' needed by model '" + graph.name() + "'");
    if (src.sizes() != dst.sizes())
      throw ckpt_error(path, "tensor '" + name + "' has shape " + shape_str(src.sizes().vec()) +
                                 " but model '" + graph.name() + "' expects " +
                                 shape_str(dst.sizes().vec()));
    torch::NoGradGuard no_grad;
    dst = src.to(torch::kFloat32).clone();
  }
}

}  // namespace

void save_checkpoint(const ir::Graph& graph, const std::string& path,
                     const nlohmann::json& metadata) {
  nlohmann::json header;
  header["format"] = "qdse-checkpoint";
  header["version"] = 1;
  header["model"] = graph.name();
  header["input_shape"] = graph.input_shape();
  header["meta"] = metadata;
  std::string data;
  nlohmann::json tensors = nlohmann::json::array();
  for (const auto& node : graph.nodes())
    for (const auto& [key, t] : node.params) {
      if (!t.defined()) continue;
      at::Tensor c = t.detach().to(torch::kFloat32).contiguous();
      tensors.push_back({{"name", tensor_key(node, key)},
                         {"shape", c.sizes().vec()},
                         {"offset", data.size()},
                         {"numel", c.numel()}});
      data.append(static_cast<const char*>(c.data_ptr()), c.numel() * sizeof(float));
    }
  header["tensors"] = tensors;
  header["data_bytes"] = data.size();
  header["fnv1a64"] = hex(fnv1a64(data.data(), data.size()));
  const std::string h = header.dump();
  // Write to a temporary file, then rename: a crash never leaves a half checkpoint.
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw Error(ErrorKind::Io, "cannot write checkpoint " + tmp);
    const uint64_t len = h.size();
    out.write(kMagic, sizeof kMagic);
    out.write(reinterpret_cast<const char*>(&len), sizeof len);
    out.write(h.data(), static_cast<std::streamsize>(h.size()));
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    if (!out) throw Error(ErrorKind::Io, "write failed for checkpoint " + tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    throw Error(ErrorKind::Io, "cannot move " + tmp + " to " + path);
}

nlohmann::json load_checkpoint(const std::string& path, ir::Graph& graph) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::Io, "cannot open checkpoint " + path);
  char magic[8];
  uint64_t len = 0;
  if (!in.read(magic, 8) || std::memcmp(magic, kMagic, 8) != 0)
    throw ckpt_error(path, "not a qdse checkpoint (bad magic; expected \"QDSECKP1\")");
  if (!in.read(reinterpret_cast<char*>(&len), sizeof len) || len == 0 || len > kMaxHeaderBytes)
    throw ckpt_error(path, "corrupt header length " + std::to_string(len));
  std::string h(len, '\0');
  if (!in.read(h.data(), static_cast<std::streamsize>(len)))
    throw ckpt_error(path, "truncated header");
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(h);
  } catch (const std::exception& e) {
    throw ckpt_error(path, std::string("header is not valid JSON: ") + e.what());
  }
  try {
    if (header.at("version").get<int>() != 1)
      throw ckpt_error(path, "unsupported version " + header.at("version").dump());
    const std::string model = header.at("model").get<std::string>();
    if (model != graph.name())
      throw ckpt_error(path, "is a checkpoint of model '" + model + "', not '" + graph.name() + "'");
    const uint64_t data_bytes = header.at("data_bytes").get<uint64_t>();
    std::string data(data_bytes, '\0');
    if (!in.read(data.data(), static_cast<std::streamsize>(data_bytes)))
      throw ckpt_error(path, "truncated data (expected " + std::to_string(data_bytes) + " bytes)");
    if (hex(fnv1a64(data.data(), data.size())) != header.at("fnv1a64").get<std::string>())
      throw ckpt_error(path, "checksum mismatch: the data is corrupt");
    std::map<std::string, at::Tensor> tensors;
    std::vector<std::string> names;
    for (const auto& t : header.at("tensors")) {
      const auto name = t.at("name").get<std::string>();
      const auto shape = t.at("shape").get<std::vector<int64_t>>();
      const auto offset = t.at("offset").get<uint64_t>();
      const auto numel = t.at("numel").get<int64_t>();
      int64_t expect = 1;
      for (auto d : shape) {
        if (d < 0) throw ckpt_error(path, "tensor '" + name + "' has a negative dimension");
        expect *= d;
      }
      if (expect != numel || numel < 0 || offset > data_bytes ||
          static_cast<uint64_t>(numel) * sizeof(float) > data_bytes - offset)
        throw ckpt_error(path, "tensor '" + name + "' lies outside the data block");
      at::Tensor v = torch::empty(shape, torch::kFloat32);
      std::memcpy(v.data_ptr(), data.data() + offset, numel * sizeof(float));
      tensors[name] = v;
      names.push_back(name);
    }
    assign_params(graph, path, names, [&](const std::string& n) {
      auto it = tensors.find(n);
      return it == tensors.end() ? at::Tensor() : it->second;
    });
  } catch (const nlohmann::json::exception& e) {
    throw ckpt_error(path, std::string("malformed header: ") + e.what());
  }
  return header.value("meta", nlohmann::json::object());
}

nlohmann::json load_state_dict_json(const std::string& path, ir::Graph& graph) {
  std::ifstream in(path);
  if (!in) throw Error(ErrorKind::Io, "cannot open weights file " + path);
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(in);
    std::map<std::string, at::Tensor> tensors;
    std::vector<std::string> names;
    for (const auto& t : doc.at("tensors")) {
      // state_dict keys use module paths ("seq_blocks.1.weight"): map to fx names.
      std::string raw = t.at("name").get<std::string>();
      const auto dot = raw.rfind('.');
      if (dot == std::string::npos) throw ckpt_error(path, "tensor name '" + raw + "' has no '.'");
      const std::string name = ir::fx_node_name(raw.substr(0, dot)) + raw.substr(dot);
      const auto shape = t.at("shape").get<std::vector<int64_t>>();
      const auto values = t.at("data").get<std::vector<float>>();
      int64_t numel = 1;
      for (auto d : shape) numel *= d;
      if (numel != static_cast<int64_t>(values.size()))
        throw ckpt_error(path, "tensor '" + raw + "' has " + std::to_string(values.size()) +
                                   " values for shape " + shape_str(shape));
      if (raw.ends_with(".num_batches_tracked")) continue;
      tensors[name] = torch::tensor(values, torch::kFloat32).reshape(shape);
      names.push_back(name);
    }
    assign_params(graph, path, names, [&](const std::string& n) {
      auto it = tensors.find(n);
      return it == tensors.end() ? at::Tensor() : it->second;
    });
  } catch (const nlohmann::json::exception& e) {
    throw ckpt_error(path, std::string("malformed weights JSON: ") + e.what());
  }
  nlohmann::json meta = nlohmann::json::object();
  for (const char* k : {"test_accuracy_fp32", "test_loss_fp32", "model"})
    if (doc.contains(k)) meta[k] = doc[k];
  return meta;
}

nlohmann::json load_weights(const std::string& path, ir::Graph& graph) {
  if (path.ends_with(".json")) return load_state_dict_json(path, graph);
  return load_checkpoint(path, graph);
}

}  // namespace qdse::io
