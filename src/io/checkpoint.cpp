#include "qdse/io/checkpoint.hpp"

#include <torch/types.h>
#include <torch/utils.h>

#include <cstring>
#include <fstream>
#include <iomanip>
#include <limits>
#include <cmath>
#include <sstream>

#include "qdse/core/error.hpp"

namespace qdse::io {
namespace {

constexpr char kMagic[8] = {'Q', 'D', 'S', 'E', 'C', 'K', 'P', '1'};
constexpr uint64_t kMaxHeaderBytes = 64ull << 20;
// Version 2 checksums with FNV-1a's documented 64-bit offset basis. Version 1 files
// (qdse before this fix) used 1469598103934665603, a digit short of it; they still load
// (see checksum_ok).
constexpr int kVersion = 2;
constexpr uint64_t kFnvOffsetBasis = 14695981039346656037ull;
constexpr uint64_t kFnvOffsetBasisV1 = 1469598103934665603ull;

uint64_t fnv1a64(const char* data, std::size_t n, uint64_t h = kFnvOffsetBasis) {
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

// Whether `stored` (the header's hex hash) matches the data under the file's version's
// rule: version 2 uses the documented basis; version 1 accepts qdse's old basis and
// also the documented one (a file written to the old spec's text).
bool checksum_ok(int64_t version, const std::string& data, const std::string& stored) {
  if (hex(fnv1a64(data.data(), data.size())) == stored) return true;
  return version == 1 && hex(fnv1a64(data.data(), data.size(), kFnvOffsetBasisV1)) == stored;
}

Error ckpt_error(const std::string& path, const std::string& what) {
  return Error(ErrorKind::Import, "checkpoint " + path + ": " + what);
}

std::string shape_str(const std::vector<int64_t>& s) {
  std::string out = "[";
  for (std::size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

// Copies the tensors read from `path` (`names`: in file order) into the graph, checking
// names and shapes both ways.
void assign_params(ir::Graph& graph, const std::string& path, const std::vector<std::string>& names,
                   const std::map<std::string, at::Tensor>& tensors) {
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
    const auto found = tensors.find(name);
    const at::Tensor src = found == tensors.end() ? at::Tensor() : found->second;
    if (!src.defined())
      throw ckpt_error(path, "has no tensor '" + name + "' needed by model '" + graph.name() + "'");
    if (src.sizes() != dst.sizes())
      throw ckpt_error(path, "tensor '" + name + "' has shape " + shape_str(src.sizes().vec()) +
                                 " but model '" + graph.name() + "' expects " +
                                 shape_str(dst.sizes().vec()));
    // A NaN or infinite weight would evaluate "fine" to a meaningless accuracy.
    if (!torch::isfinite(src).all().item<bool>())
      throw ckpt_error(path, "tensor '" + name + "' holds NaN or infinite values");
    torch::NoGradGuard no_grad;
    dst = src.to(torch::kFloat32).clone();
  }
}

}  // namespace

void save_checkpoint(const ir::Graph& graph, const std::string& path,
                     const nlohmann::json& metadata) {
  nlohmann::json header;
  header["format"] = "qdse-checkpoint";
  header["version"] = kVersion;
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
    const auto& version_json = header.at("version");
    const int64_t version = version_json.is_number_integer() ? version_json.get<int64_t>() : -1;
    if (version != 1 && version != kVersion)
      throw ckpt_error(path, "unsupported version " + version_json.dump() + " (this qdse reads versions 1 and " +
                                 std::to_string(kVersion) + ")");
    const std::string model = header.at("model").get<std::string>();
    if (model != graph.name())
      throw ckpt_error(path, "is a checkpoint of model '" + model + "', not '" + graph.name() + "'");
    const uint64_t data_bytes = header.at("data_bytes").get<uint64_t>();
    std::string data(data_bytes, '\0');
    if (!in.read(data.data(), static_cast<std::streamsize>(data_bytes)))
      throw ckpt_error(path, "truncated data (expected " + std::to_string(data_bytes) + " bytes)");
    if (!checksum_ok(version, data, header.at("fnv1a64").get<std::string>()))
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
        // Bounded by the data block, so a huge shape cannot overflow the count.
        if (d > 0 && expect > static_cast<int64_t>(data_bytes / sizeof(float)) / d)
          throw ckpt_error(path, "tensor '" + name + "' lies outside the data block");
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
    assign_params(graph, path, names, tensors);
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
      const auto values = t.at("data").get<std::vector<double>>();
      // Count with bounds: a negative or huge dimension must not reach reshape().
      int64_t numel = 1;
      for (auto d : shape) {
        if (d < 0)
          throw ckpt_error(path, "tensor '" + raw + "' has a negative dimension in shape " + shape_str(shape));
        numel = d == 0 || numel <= static_cast<int64_t>(values.size()) / d ? numel * d : -1;
        if (numel < 0) break;
      }
      if (numel != static_cast<int64_t>(values.size()))
        throw ckpt_error(path, "tensor '" + raw + "' has " + std::to_string(values.size()) +
                                   " values for shape " + shape_str(shape));
      if (raw.ends_with(".num_batches_tracked")) continue;
      // JSON has no NaN/Infinity, but 1e39 is a double that no float32 holds.
      for (double v : values)
        if (!(std::abs(v) <= std::numeric_limits<float>::max()))
          throw ckpt_error(path, "tensor '" + raw + "' holds NaN or infinite values (as float32: " +
                                     nlohmann::json(v).dump() + ")");
      tensors[name] = torch::tensor(std::vector<float>(values.begin(), values.end()), torch::kFloat32).reshape(shape);
      names.push_back(name);
    }
    assign_params(graph, path, names, tensors);
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
