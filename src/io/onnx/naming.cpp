// Node names for imported ONNX nodes. torch.onnx.export (>= 1.13) names a node
// "/<scope>/<scope>/.../<OpType>", one component per module level, each either the
// full module path ("seq_blocks.1") or the attribute name under its parent
// ("conv1"). Rebuilding the full module path and replacing dots gives the name
// torch.fx (and hence MASE) gives the same module, so MASE configs carry over.
#include <cctype>
#include <string>
#include <vector>

#include "qdse/io/onnx/import_context.hpp"

namespace qdse::io::onnx_detail {

std::string sanitize_identifier(const std::string& s) {
  std::string out;
  for (char ch : s) {
    const bool ok = std::isalnum(static_cast<unsigned char>(ch)) || ch == '_';
    // Collapse runs of separators so "a/b.c" -> "a_b_c", not "a__b".
    if (ok) out += ch;
    else if (!out.empty() && out.back() != '_') out += '_';
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  if (!out.empty() && std::isdigit(static_cast<unsigned char>(out[0]))) out = "_" + out;
  return out;
}

std::string layer_name_from_onnx(const std::string& onnx_name) {
  if (onnx_name.size() < 2 || onnx_name[0] != '/') return "";
  std::vector<std::string> parts;
  std::string cur;
  for (char ch : onnx_name.substr(1)) {
    if (ch == '/') {
      if (!cur.empty()) parts.push_back(cur);
      cur.clear();
    } else {
      cur += ch;
    }
  }
  // The last component is the op type ("Gemm", "Add_1"); without a module scope
  // the op came from a functional call and has no module name.
  if (parts.empty()) return "";
  std::string path;
  for (const auto& p : parts) {
    if (path.empty() || p.rfind(path + ".", 0) == 0) path = p;
    else path += "." + p;
  }
  std::string name;
  for (char ch : path) name += ch == '.' ? '_' : ch;
  return sanitize_identifier(name);
}

}  // namespace qdse::io::onnx_detail
