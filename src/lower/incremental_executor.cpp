#include "qdse/lower/incremental_executor.hpp"

#include <torch/types.h>
#include <torch/utils.h>

#include <algorithm>

#include "qdse/exec/executor.hpp"
#include "qdse/ir/fusion.hpp"
#include "qdse/ir/op_shape.hpp"
#include "qdse/lower/transform.hpp"

namespace qdse::lower {
namespace {

// Hash of the empty prefix (the graph input); each node's configuration is mixed in.
constexpr std::size_t kEmptyPrefixHash = 0x2545f4914f6cdd1dULL;
constexpr std::size_t kNodeOutputsTag = 0x6a09e667f3bcc909ULL;  // a memo entry without codes

}  // namespace

bool IncrementalExecutor::PrefixKey::operator==(const PrefixKey& o) const {
  if (length != o.length || hash != o.hash) return false;
  if (length == 0 || nodes == o.nodes) return true;
  return std::equal(nodes->begin(), nodes->begin() + length, o.nodes->begin());
}

std::size_t IncrementalExecutor::MemoKeyHash::operator()(const MemoKey& k) const {
  return quant::hash_combine(k.prefix.hash, k.codes ? quant::hash_value(*k.codes) : kNodeOutputsTag);
}

IncrementalExecutor::IncrementalExecutor(const ir::Graph& graph, at::Tensor x, const IncrementalOptions& options)
    : graph_(graph), x_(std::move(x)), options_(options), node_macs_(ir::node_macs(graph)),
      relu_into_(ir::relu_fusions(graph)), integer_layers_(graph.size()) {
  const int n_nodes = static_cast<int>(graph.size());
  std::vector<int> last_reader(n_nodes, -1);
  for (int k = 0; k < n_nodes; ++k)
    for (int src : graph.node(k).inputs)
      if (src != ir::kGraphInput) last_reader[src] = std::max(last_reader[src], k);
  live_.resize(n_nodes);
  for (int i = 0; i < n_nodes; ++i)
    for (int j = 0; j <= i; ++j)
      if (j == i || last_reader[j] > i) live_[i].push_back(j);
  // Idle buffers kept for reuse: a quarter of the memo budget (at most 256 MiB), taken
  // out of it, so that memo entries plus idle buffers stay within the budget; 64 MiB
  // when the memo is off.
  const int64_t budget = std::max<int64_t>(options.memo_budget_bytes, 0);
  const int64_t pool_bytes = budget > 0 ? std::min<int64_t>(budget / 4, int64_t{256} << 20) : int64_t{64} << 20;
  memo_limit_ = budget - (budget > 0 ? pool_bytes : 0);
  pool_ = exec::BufferPool::create(pool_bytes);
}

void IncrementalExecutor::remember(const MemoKey& key, std::vector<std::pair<int, at::Tensor>> values,
                                   int64_t bytes) {
  if (options_.memo_budget_bytes <= 0 || bytes > memo_limit_) return;
  lru_.push_front(key);
  memo_[key] = MemoEntry{std::move(values), bytes, lru_.begin()};
  memo_bytes_ += bytes;
  while (memo_bytes_ > memo_limit_ && !lru_.empty()) {
    auto it = memo_.find(lru_.back());
    memo_bytes_ -= it->second.bytes;
    memo_.erase(it);
    lru_.pop_back();
  }
}

const IncrementalExecutor::MemoEntry* IncrementalExecutor::recall(const MemoKey& key) {
  auto it = memo_.find(key);
  if (it == memo_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second.lru);
  return &it->second;
}

at::Tensor IncrementalExecutor::integer_forward(int i, const quant::NodeQuantConfig& c,
                                                const std::vector<PrefixKey>& prefixes,
                                                const std::vector<at::Tensor>& values, bool fuse_relu) {
  const ir::Node& node = graph_.node(i);
  if (node.op != ir::OpKind::Linear || node.inputs.size() != 1) return {};
  auto& layers = integer_layers_[i];
  auto it = layers.find(c);
  if (it == layers.end()) it = layers.emplace(c, exec::IntegerLinear::make(node, c)).first;
  if (!it->second) return {};
  const exec::IntegerLinear& layer = *it->second;
  const int src = node.inputs[0];
  // The input's value is named by its prefix; its codes by that prefix and the format.
  const MemoKey codes_key{src == ir::kGraphInput ? PrefixKey{nullptr, 0, kEmptyPrefixHash} : prefixes[src],
                          quant::Format{layer.data_format()}};
  at::Tensor codes;
  if (const MemoEntry* e = recall(codes_key)) {
    codes = e->values[0].second;
  } else {
    codes = layer.input_codes(src == ir::kGraphInput ? x_ : values[src], pool_.get());
    if (!codes.defined()) return {};  // NaN or an unexpected shape: the float path decides
    remember(codes_key, {{-1, codes}}, static_cast<int64_t>(codes.nbytes()));
  }
  ++integer_nodes_;
  return layer.forward(codes, fuse_relu, pool_.get());
}

at::Tensor IncrementalExecutor::forward(const quant::QuantConfig& resolved, int* first_recomputed_node) {
  torch::NoGradGuard no_grad;
  const int n_nodes = static_cast<int>(graph_.size());
  const int out = graph_.output();
  // prefixes[i] names the configuration of nodes 0..i (unquantized nodes as the empty
  // config, whether listed or not).
  auto configs = std::make_shared<std::vector<quant::NodeQuantConfig>>(n_nodes);
  std::vector<PrefixKey> prefixes(n_nodes);
  std::size_t hash = kEmptyPrefixHash;
  for (int i = 0; i < n_nodes; ++i) {
    const quant::NodeQuantConfig* c = resolved.find(graph_.node(i).name);
    if (c && c->quantized()) (*configs)[i] = *c;
    hash = quant::hash_combine(hash, quant::hash_value((*configs)[i]));
    prefixes[i] = PrefixKey{configs, i + 1, hash};
  }
  std::vector<at::Tensor> values(n_nodes);
  int start = 0;
  for (int i = out; i >= 0; --i) {
    const MemoEntry* e = recall(MemoKey{prefixes[i], std::nullopt});
    if (!e) continue;
    for (const auto& [j, t] : e->values) values[j] = t;
    start = i + 1;
    break;
  }
  if (first_recomputed_node) *first_recomputed_node = start;
  exec::Executor ex(graph_);
  exec::Plan plan;
  plan.nodes.resize(graph_.size());
  const auto keep = [&](int i) {
    std::vector<std::pair<int, at::Tensor>> kept;
    for (int j : live_[i]) kept.emplace_back(j, values[j]);
    return kept;
  };
  for (int i = start; i <= out; ++i) {
    const quant::NodeQuantConfig* c = resolved.find(graph_.node(i).name);
    at::Tensor v;
    const int relu = relu_into_[i];
    const bool fuse = c && options_.integer_kernels && relu >= 0 && !(*configs)[relu].quantized();
    if (c && options_.integer_kernels) v = integer_forward(i, (*configs)[i], prefixes, values, fuse);
    if (v.defined() && fuse) {
      // values[i] (before the ReLU) is never stored: no later node reads it.
      macs_computed_ += node_macs_[i] * x_.size(0);
      i = relu;  // always i + 1 (ir::relu_fusions)
      values[i] = v;
    } else if (v.defined()) {
      values[i] = v;
    } else {
      if (c) plan.nodes[i] = quant::build_node_override(graph_.node(i), *c);
      ex.forward_range(values, x_, i, i + 1, &plan, false);
    }
    macs_computed_ += node_macs_[i] * x_.size(0);
    if (i < out) remember(MemoKey{prefixes[i], std::nullopt}, keep(i), static_cast<int64_t>(values[i].nbytes()));
  }
  return values[out];
}

exec::EvalResult IncrementalExecutor::evaluate(const quant::QuantConfig& resolved, const at::Tensor& y,
                                               int* first_recomputed_node) {
  torch::NoGradGuard no_grad;
  if (memo_enabled()) return exec::score_logits(forward(resolved, first_recomputed_node), y);
  if (first_recomputed_node) *first_recomputed_node = 0;
  const exec::Plan plan = quant::quantize(graph_, resolved);
  exec::EvalOptions eo;
  eo.batch_size = options_.batch_size;
  exec::EvalResult r = exec::evaluate(graph_, &plan, x_, y, eo);
  for (int i = 0; i <= graph_.output(); ++i) macs_computed_ += node_macs_[i] * x_.size(0);
  return r;
}

}  // namespace qdse::lower
