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

// The MaxPool2d that node i (a Conv2d with a fusable ReLU at i + 1) may compute
// inside its integer kernel: node i + 2, reading only the ReLU, its only reader, with
// dilation 1, floor mode and padding of at most half the kernel (what
// exec::FusedMaxPool computes).
exec::FusedMaxPool fusable_max_pool_after(const ir::Graph& g, int i, const std::vector<int>& relu_into) {
  const int n = static_cast<int>(g.size());
  if (g.node(i).op != ir::OpKind::Conv2d || relu_into[i] != i + 1 || i + 2 >= n || i + 1 == g.output()) return {};
  const ir::Node& p = g.node(i + 2);
  if (p.op != ir::OpKind::MaxPool2d || p.inputs != std::vector<int>{i + 1} || p.attrs.ceil_mode) return {};
  for (int k = 0; k < n; ++k)
    if (k != i + 2)
      for (int src : g.node(k).inputs)
        if (src == i + 1) return {};  // the ReLU's output has another reader
  const auto& a = p.attrs;
  const auto all_equal = [](const std::vector<int64_t>& v, int64_t x) {
    return std::all_of(v.begin(), v.end(), [x](int64_t e) { return e == x; });
  };
  if (!all_equal(a.dilation, 1) || a.kernel.empty() || a.kernel.size() > 2 || a.stride.size() > 2 ||
      a.padding.size() > 2)
    return {};
  exec::FusedMaxPool f;
  f.kernel_h = a.kernel.front();
  f.kernel_w = a.kernel.back();
  const std::vector<int64_t>& stride = a.stride.empty() ? a.kernel : a.stride;
  f.stride_h = stride.front();
  f.stride_w = stride.back();
  f.pad_h = a.padding.empty() ? 0 : a.padding.front();
  f.pad_w = a.padding.empty() ? 0 : a.padding.back();
  // torch refuses a padding over half the kernel: the float path reports that.
  if (f.kernel_h < 1 || f.kernel_w < 1 || f.stride_h < 1 || f.stride_w < 1 || f.pad_h < 0 || f.pad_w < 0 ||
      2 * f.pad_h > f.kernel_h || 2 * f.pad_w > f.kernel_w)
    return {};
  return f;
}

// Input codes are laid out per consumer: a Linear's rows padded to whole pairs, a
// Conv2d's channels-last with its own zero padding (a depthwise one's plain NCHW). Two
// consumers of one value with one data format may thus need different codes, so the
// layout joins the codes' key, mixed into the prefix hash (hash_combine is injective
// in its second argument: the same prefix under two layouts never hashes, hence never
// compares, equal).
std::size_t codes_layout_salt(const ir::Node& consumer) {
  std::size_t h = consumer.op == ir::OpKind::Conv2d ? 0x3c6ef372fe94f82bULL : 0xbb67ae8584caa73bULL;
  if (consumer.op == ir::OpKind::Conv2d)
    for (int64_t p : consumer.attrs.padding) h = quant::hash_combine(h, static_cast<std::size_t>(p));
  // A depthwise conv's codes are NCHW, unpadded (exec::IntegerConv2d::depthwise).
  if (exec::IntegerConv2d::depthwise(consumer)) h = quant::hash_combine(h, 0x510e527fade682d1ULL);
  return h;
}

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
  last_reader_.assign(n_nodes, -1);
  std::vector<int>& last_reader = last_reader_;
  for (int k = 0; k < n_nodes; ++k)
    for (int src : graph.node(k).inputs)
      if (src != ir::kGraphInput) last_reader[src] = std::max(last_reader[src], k);
  pool_after_relu_.resize(n_nodes);
  for (int i = 0; i < n_nodes; ++i) pool_after_relu_[i] = fusable_max_pool_after(graph, i, relu_into_);
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

bool IncrementalExecutor::relu_in_place(int i, const std::vector<at::Tensor>& values) const {
  const ir::Node& node = graph_.node(i);
  if (node.inputs.size() != 1 || node.inputs[0] == ir::kGraphInput) return false;
  const int src = node.inputs[0];
  const at::Tensor& t = values[src];
  // Only this node reads it, and no memo entry, view or other tensor shares its memory.
  return last_reader_[src] == i && src != graph_.output() && t.defined() && t.scalar_type() == at::kFloat &&
         t.use_count() == 1 && t.storage().use_count() == 1 && t.is_contiguous() && t.storage_offset() == 0;
}

const exec::IntegerLayer* IncrementalExecutor::integer_layer(int i, const quant::NodeQuantConfig& c) {
  const ir::Node& node = graph_.node(i);
  if ((node.op != ir::OpKind::Linear && node.op != ir::OpKind::Conv2d) || node.inputs.size() != 1) return nullptr;
  auto& layers = integer_layers_[i];
  auto it = layers.find(c);
  if (it == layers.end()) it = layers.emplace(c, exec::IntegerLayer::make(node, c)).first;
  return it->second ? &*it->second : nullptr;
}

std::optional<IncrementalExecutor::MemoKey> IncrementalExecutor::resume_codes_key(
    int i, const quant::NodeQuantConfig& c, const std::vector<PrefixKey>& prefixes) {
  if (i < 1 || !c.quantized() || graph_.node(i).inputs != std::vector<int>{i - 1}) return std::nullopt;
  if (live_[i - 1] != std::vector<int>{i - 1}) return std::nullopt;  // earlier outputs still needed
  for (int j : live_[i])
    if (j == i - 1) return std::nullopt;  // node i - 1's float output is read after i
  const exec::IntegerLayer* layer = integer_layer(i, c);
  if (!layer) return std::nullopt;
  PrefixKey input = prefixes[i - 1];
  input.hash = quant::hash_combine(input.hash, codes_layout_salt(graph_.node(i)));
  return MemoKey{input, quant::Format{layer->data_format()}};
}

at::Tensor IncrementalExecutor::integer_forward(int i, const quant::NodeQuantConfig& c,
                                                const std::vector<PrefixKey>& prefixes,
                                                const std::vector<at::Tensor>& values, bool fuse_relu,
                                                const exec::FusedMaxPool& max_pool) {
  const exec::IntegerLayer* layer = integer_layer(i, c);
  if (!layer) return {};
  const int src = graph_.node(i).inputs[0];
  // The input's value is named by its prefix; its codes by that prefix, the layout and
  // the format.
  PrefixKey input = src == ir::kGraphInput ? PrefixKey{nullptr, 0, kEmptyPrefixHash} : prefixes[src];
  input.hash = quant::hash_combine(input.hash, codes_layout_salt(graph_.node(i)));
  const MemoKey codes_key{input, quant::Format{layer->data_format()}};
  at::Tensor codes;
  if (const MemoEntry* e = recall(codes_key)) {
    codes = e->values[0].second;
  } else {
    const at::Tensor& x = src == ir::kGraphInput ? x_ : values[src];
    if (!x.defined()) return {};
    codes = layer->input_codes(x, pool_.get());
    if (!codes.defined()) return {};  // NaN or an unexpected shape: the float path decides
    remember(codes_key, {{-1, codes}}, static_cast<int64_t>(codes.nbytes()));
  }
  ++integer_nodes_;
  return layer->forward(codes, fuse_relu, pool_.get(), max_pool);
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
    if (const MemoEntry* e = recall(MemoKey{prefixes[i], std::nullopt})) {
      for (const auto& [j, t] : e->values) values[j] = t;
      start = i + 1;
      break;
    }
    // Node i's input codes alone suffice when node i is an integer layer (its float
    // input stays undefined; integer_forward recalls the codes).
    if (options_.integer_kernels && i >= 1) {
      const std::optional<MemoKey> codes = resume_codes_key(i, (*configs)[i], prefixes);
      if (codes && recall(*codes)) {
        start = i;
        break;
      }
    }
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
    const int first = i;  // node i, or the first of the nodes fused below
    const quant::NodeQuantConfig* c = resolved.find(graph_.node(i).name);
    at::Tensor v;
    const int relu = relu_into_[i];
    const bool fuse = c && options_.integer_kernels && relu >= 0 && !(*configs)[relu].quantized();
    // A max pooling after that ReLU, computed inside the convolution (float, unquantized).
    const bool fuse_pool = fuse && pool_after_relu_[i].enabled() && !(*configs)[relu + 1].quantized();
    if (c && options_.integer_kernels)
      v = integer_forward(i, (*configs)[i], prefixes, values, fuse,
                          fuse_pool ? pool_after_relu_[i] : exec::FusedMaxPool{});
    if (v.defined() && fuse) {
      // values[i] (before the ReLU) is never stored: no later node reads it; nor is the
      // ReLU's when the pooling is fused too.
      macs_computed_ += node_macs_[i] * x_.size(0);
      i = relu;  // always i + 1 (ir::relu_fusions)
      if (fuse_pool) {
        macs_computed_ += node_macs_[i] * x_.size(0);
        ++i;
      }
      values[i] = v;
    } else if (v.defined()) {
      values[i] = v;
    } else if (!c && graph_.node(i).op == ir::OpKind::Relu && relu_in_place(i, values)) {
      const int src = graph_.node(i).inputs[0];
      values[i] = std::move(values[src]).relu_();  // the same values as torch::relu, no copy
      values[src] = at::Tensor();
    } else {
      if (c) plan.nodes[i] = quant::build_node_override(graph_.node(i), *c);
      ex.forward_range(values, x_, i, i + 1, &plan, false);
    }
    macs_computed_ += node_macs_[i] * x_.size(0);
    // Kept only where a configuration may restart: before a quantized node, or a
    // weight layer (the nodes a space quantizes; also what the float model's pass
    // leaves for the first trial).
    if (i < out && ((*configs)[i + 1].quantized() || ir::traits(graph_.node(i + 1).op).has_weight))
      remember(MemoKey{prefixes[i], std::nullopt}, keep(i), static_cast<int64_t>(values[i].nbytes()));
    // Outputs no later node reads are dropped (memo entries hold their own references).
    for (int k = first; k <= i; ++k)
      for (int src : graph_.node(k).inputs)
        if (src != ir::kGraphInput && src != out && last_reader_[src] <= i) values[src] = at::Tensor();
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
