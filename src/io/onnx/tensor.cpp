// TensorProto -> libtorch tensor. Sizes are checked before anything is allocated
// or copied: a corrupt file may claim any dims, and the importer must answer with
// an error, never read past a buffer or allocate terabytes.
#include <torch/types.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>

#include "qdse/core/error.hpp"
#include "qdse/io/onnx/import_context.hpp"

namespace qdse::io::onnx_detail {
namespace {

[[noreturn]] void bad(const onnx::TensorProto& t, const std::string& msg) {
  throw Error(ErrorKind::Import, "initializer/tensor '" + t.name() + "': " + msg);
}

struct TypeInfo {
  at::ScalarType torch_type;  // type of the stored elements
  int64_t bytes;              // bytes per element in raw_data
};

std::optional<TypeInfo> type_info(int32_t data_type) {
  using TP = onnx::TensorProto;
  switch (data_type) {
    case TP::FLOAT: return TypeInfo{at::kFloat, 4};
    case TP::DOUBLE: return TypeInfo{at::kDouble, 8};
    case TP::FLOAT16: return TypeInfo{at::kHalf, 2};
    case TP::INT64: return TypeInfo{at::kLong, 8};
    case TP::INT32: return TypeInfo{at::kInt, 4};
    case TP::INT8: return TypeInfo{at::kChar, 1};
    case TP::UINT8: return TypeInfo{at::kByte, 1};
    case TP::BOOL: return TypeInfo{at::kBool, 1};
    default: return std::nullopt;
  }
}

// Reads [offset, offset+length) of an external data file, relative to base_dir.
std::string read_external(const onnx::TensorProto& t, const std::string& base_dir, int64_t expected) {
  std::string location;
  int64_t offset = 0, length = -1;
  for (const auto& kv : t.external_data()) {
    try {
      if (kv.key() == "location") location = kv.value();
      else if (kv.key() == "offset") offset = std::stoll(kv.value());
      else if (kv.key() == "length") length = std::stoll(kv.value());
    } catch (const std::exception&) {
      bad(t, "external_data '" + kv.key() + "' is not a number: '" + kv.value() + "'");
    }
  }
  if (location.empty()) bad(t, "external data without a 'location'");
  const std::filesystem::path rel(location);
  // As onnx's checker: the data must sit beside the model, not anywhere on disk.
  if (rel.is_absolute()) bad(t, "external data location '" + location + "' must be relative");
  for (const auto& part : rel)
    if (part == "..") bad(t, "external data location '" + location + "' leaves the model directory");
  const auto path = std::filesystem::path(base_dir) / rel;
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec)
    throw Error(ErrorKind::Io, "external data file '" + path.string() + "' of tensor '" + t.name() +
                                   "' is missing or unreadable");
  if (length < 0) length = expected;
  if (offset < 0 || length != expected || static_cast<uint64_t>(offset) > size ||
      static_cast<uint64_t>(length) > size - static_cast<uint64_t>(offset))
    bad(t, "external data (offset " + std::to_string(offset) + ", length " + std::to_string(length) +
               ") does not hold " + std::to_string(expected) + " bytes within '" + path.string() +
               "' (" + std::to_string(size) + " bytes)");
  std::ifstream in(path, std::ios::binary);
  std::string bytes(static_cast<std::size_t>(length), '\0');
  in.seekg(offset);
  if (!in.read(bytes.data(), length))
    throw Error(ErrorKind::Io, "cannot read external data file '" + path.string() + "'");
  return bytes;
}

template <class Field>
at::Tensor from_field(const onnx::TensorProto& t, const Field& field, int64_t numel, at::ScalarType as,
                      const char* field_name) {
  if (field.size() != numel)
    bad(t, std::string(field_name) + " holds " + std::to_string(field.size()) + " values, dims need " +
               std::to_string(numel));
  at::Tensor out = torch::empty({numel}, as);
  using Elem = std::decay_t<decltype(field.Get(0))>;
  auto* dst = out.data_ptr<std::conditional_t<std::is_same_v<Elem, int32_t>, int32_t, Elem>>();
  for (int64_t i = 0; i < numel; ++i) dst[i] = field.Get(static_cast<int>(i));
  return out;
}

}  // namespace

at::Tensor tensor_from_proto(const onnx::TensorProto& t, const std::string& base_dir) {
  const auto info = type_info(t.data_type());
  if (!info)
    bad(t, "data_type " + std::to_string(t.data_type()) +
               " is not supported (supported: FLOAT, DOUBLE, FLOAT16, INT64, INT32, INT8, UINT8, BOOL)");
  if (t.has_segment()) bad(t, "segmented tensors are not supported");
  std::vector<int64_t> dims;
  int64_t numel = 1;
  for (int64_t d : t.dims()) {
    if (d < 0) bad(t, "negative dimension " + std::to_string(d));
    if (d > 0 && numel > (int64_t{1} << 40) / d) bad(t, "dims describe an impossibly large tensor");
    numel *= d;
    dims.push_back(d);
  }
  const int64_t nbytes = numel * info->bytes;
  at::Tensor flat;
  const bool external = t.data_location() == onnx::TensorProto::EXTERNAL;
  if (external || t.has_raw_data()) {
    const std::string ext = external ? read_external(t, base_dir, nbytes) : std::string();
    const std::string& raw = external ? ext : t.raw_data();
    if (static_cast<int64_t>(raw.size()) != nbytes)
      bad(t, "raw_data has " + std::to_string(raw.size()) + " bytes, dims and data_type need " +
                 std::to_string(nbytes));
    flat = torch::empty({numel}, info->torch_type);
    // raw_data is little-endian, as the hosts qdse supports.
    if (nbytes > 0) std::memcpy(flat.data_ptr(), raw.data(), static_cast<std::size_t>(nbytes));
  } else {
    using TP = onnx::TensorProto;
    switch (t.data_type()) {
      case TP::FLOAT: flat = from_field(t, t.float_data(), numel, at::kFloat, "float_data"); break;
      case TP::DOUBLE: flat = from_field(t, t.double_data(), numel, at::kDouble, "double_data"); break;
      case TP::INT64: flat = from_field(t, t.int64_data(), numel, at::kLong, "int64_data"); break;
      case TP::FLOAT16: {
        // float16 bits travel in the low 16 bits of int32_data.
        at::Tensor bits = from_field(t, t.int32_data(), numel, at::kInt, "int32_data");
        flat = bits.to(at::kShort).view(at::kHalf);
        break;
      }
      default: flat = from_field(t, t.int32_data(), numel, at::kInt, "int32_data"); break;
    }
  }
  const bool floating = at::isFloatingType(info->torch_type);
  return flat.to(floating ? at::kFloat : at::kLong).reshape(dims);
}

}  // namespace qdse::io::onnx_detail
