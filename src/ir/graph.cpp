#include "qdse/ir/graph.hpp"

#include <torch/types.h>

#include <algorithm>
#include <cctype>

#include "qdse/core/error.hpp"

namespace qdse::ir {

const at::Tensor* Node::param(const std::string& key) const {
  auto it = params.find(key);
  return it == params.end() || !it->second.defined() ? nullptr : &it->second;
}

Graph::Graph(std::string name, std::vector<int64_t> input_shape)
    : name_(std::move(name)), input_shape_(std::move(input_shape)) {}

namespace {
bool valid_node_name(const std::string& s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}
}  // namespace

int Graph::add(Node node) {
  if (!valid_node_name(node.name))
    throw Error(ErrorKind::InvalidArgument,
                "node name must be an identifier ([A-Za-z_][A-Za-z0-9_]*), got '" + node.name +
                    "' in graph '" + name_ + "'");
  if (find(node.name))
    throw Error(ErrorKind::InvalidArgument,
                "node name '" + node.name + "' appears twice in graph '" + name_ + "'");
  const int index = static_cast<int>(nodes_.size());
  if (node.inputs.empty())
    throw Error(ErrorKind::InvalidArgument, "node '" + node.name + "' has no input");
  for (int in : node.inputs)
    if (in != kGraphInput && (in < 0 || in >= index))
      throw Error(ErrorKind::InvalidArgument, "node '" + node.name + "' reads input " +
                                                  std::to_string(in) +
                                                  ", which is not an earlier node");
  nodes_.push_back(std::move(node));
  return index;
}

std::optional<int> Graph::find(const std::string& node_name) const {
  for (std::size_t i = 0; i < nodes_.size(); ++i)
    if (nodes_[i].name == node_name) return static_cast<int>(i);
  return std::nullopt;
}

int64_t Graph::num_params() const {
  int64_t n = 0;
  for (const auto& t : trainable_params()) n += t.numel();
  return n;
}

std::vector<at::Tensor> Graph::trainable_params() const {
  std::vector<at::Tensor> out;
  for (const auto& node : nodes_)
    for (const auto& key : {"weight", "bias"})
      if (const auto* t = node.param(key)) out.push_back(*t);
  return out;
}

Graph Graph::clone_params() const {
  Graph copy = *this;
  for (auto& node : copy.nodes_)
    for (auto& [key, t] : node.params)
      if (t.defined()) t = t.detach().clone();
  return copy;
}

std::string fx_node_name(const std::string& module_path) {
  std::string out = module_path;
  std::replace(out.begin(), out.end(), '.', '_');
  return out;
}

}  // namespace qdse::ir
