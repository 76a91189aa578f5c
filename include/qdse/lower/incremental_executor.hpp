// IncrementalExecutor: the outputs of one graph over one fixed evaluation set under
// configuration after configuration, recomputing as little as possible. It is the
// execution half of pipeline::TrialEvaluator (which keeps the result cache, auto frac
// resolution and metrics); each reuse below is tested equal to the plain path:
//  - prefix memo: a node's output depends only on the configurations of the nodes
//    before it and its own, so outputs are kept keyed by that prefix (the values of
//    the node configurations, quant/config_hash.hpp) and a configuration recomputes
//    only from the first node whose configuration is new. Entries are evicted
//    least-recently-used beyond the memo budget (0 disables the memo; accounting
//    counts each entry's own newest tensor, shared earlier tensors once);
//  - weights are quantized only for nodes that are actually recomputed;
//  - integer kernels: a Linear or Conv2d (groups = 1) node with integer data_in/weight
//    formats whose float emulation is exact runs on int16 codes instead
//    (exec::IntegerLayer, the same numbers bit for bit). Its weights are quantized and packed once per (node,
//    configuration) and its input codes are memoized per (input prefix, data_in
//    format), so configurations that share a layer input and data format skip
//    quantizing it. Input codes count against the memo budget. A ReLU that may be
//    fused into such a layer (ir/fusion.hpp) and stays float is computed inside it,
//    and so is a float MaxPool2d after an integer convolution's fused ReLU (no
//    padding, dilation 1, floor mode: exec::FusedMaxPool), so the full-size map
//    before pooling is never stored;
//  - what is kept: a node's outputs only where the next node is quantized or a weight
//    layer (Linear, Conv2d, ...: the prefix
//    a later configuration restarts from when that node's configuration is new), so
//    that large intermediate maps (a conv's output before its ReLU and pooling) do not
//    evict them; a configuration whose first new node is an integer layer resumes
//    from that layer's memoized input codes even when the float input was evicted;
//  - memory: a forward drops each output after its last reader (a float ReLU that is
//    the last reader of an output nothing else holds runs in place), memo entries
//    keep only the outputs later nodes read, and large tensors
//    are recycled through a BufferPool (fresh pages cost ~0.6 ms per MB here). The
//    pool's idle buffers (at most a quarter of the budget, 256 MiB at most) count
//    against the memo budget: entries plus idle buffers stay within it.
// With the memo on, the evaluation set runs as one batch; with it off, evaluate()
// runs plain forward passes of `batch_size` samples (bounded memory, nothing kept).
// Thread-safety: not thread-safe (owns caches); use one per thread.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "qdse/exec/buffer_pool.hpp"
#include "qdse/exec/evaluate.hpp"
#include "qdse/ir/graph.hpp"
#include "qdse/lower/integer_layer.hpp"
#include "qdse/quant/config_hash.hpp"
#include "qdse/quant/quant_config.hpp"

namespace qdse::lower {

struct IncrementalOptions {
  int64_t memo_budget_bytes = int64_t{384} << 20;  // 0 disables the memo (docs/performance.md)
  int64_t batch_size = 1024;                       // forward passes when the memo is off
  bool integer_kernels = true;                     // exact int16 kernels where eligible
};

class IncrementalExecutor {
 public:
  // `x`: the evaluation inputs, fixed for the executor's life (the memo's values are
  // outputs on exactly these samples). The graph must outlive the executor.
  IncrementalExecutor(const ir::Graph& graph, at::Tensor x, const IncrementalOptions& options);

  // The graph's output on every sample under `resolved` (no auto frac widths left),
  // computed from the first node whose prefix is not memoized (*first_recomputed_node;
  // 0 when the memo is off, which computes every node and keeps nothing).
  at::Tensor forward(const quant::QuantConfig& resolved, int* first_recomputed_node = nullptr);

  // Scores of `resolved` against labels `y`: forward() then exec::score_logits with the
  // memo on; plain batched exec::evaluate with it off.
  exec::EvalResult evaluate(const quant::QuantConfig& resolved, const at::Tensor& y,
                            int* first_recomputed_node = nullptr);

  const at::Tensor& inputs() const { return x_; }
  bool memo_enabled() const { return options_.memo_budget_bytes > 0; }
  // Bytes held by memo entries (node outputs and input codes); at most memo_limit().
  int64_t memo_bytes() const { return memo_bytes_; }
  // The entries' share of the budget: the budget minus the pool's idle cap.
  int64_t memo_limit() const { return memo_limit_; }
  // Multiply-accumulates computed so far (per node evaluated, times samples).
  int64_t macs_computed() const { return macs_computed_; }
  // Linear/Conv2d node evaluations that ran on the integer kernels.
  int64_t integer_nodes() const { return integer_nodes_; }

 private:
  // The configurations of nodes [0, length) of one configuration: a prefix memo key.
  // All prefixes of one forward() share one vector; length 0 names the graph input.
  struct PrefixKey {
    std::shared_ptr<const std::vector<quant::NodeQuantConfig>> nodes;
    int length = 0;
    std::size_t hash = 0;  // of nodes[0, length)
    bool operator==(const PrefixKey& o) const;
  };
  // A memo entry is either the live outputs after node length - 1 (`codes` empty) or
  // the integer codes, in format `codes`, of the value that prefix names.
  struct MemoKey {
    PrefixKey prefix;
    std::optional<quant::Format> codes;
    bool operator==(const MemoKey& o) const { return prefix == o.prefix && codes == o.codes; }
  };
  struct MemoKeyHash {
    std::size_t operator()(const MemoKey& k) const;
  };
  struct MemoEntry {
    // The node outputs (node index, tensor) that later nodes still read: node i's own
    // and earlier ones with a consumer after i (tensors are shared, not copied).
    std::vector<std::pair<int, at::Tensor>> values;
    int64_t bytes = 0;
    std::list<MemoKey>::iterator lru;
  };

  void remember(const MemoKey& key, std::vector<std::pair<int, at::Tensor>> values, int64_t bytes);
  const MemoEntry* recall(const MemoKey& key);  // marks the entry most recent
  // Output of node i on the integer kernels (relu(output) when fuse_relu), or undefined
  // when it is not eligible. `prefixes[k]`: the key of node k's output.
  at::Tensor integer_forward(int i, const quant::NodeQuantConfig& c, const std::vector<PrefixKey>& prefixes,
                             const std::vector<at::Tensor>& values, bool fuse_relu,
                             const exec::FusedMaxPool& max_pool = {});

  const ir::Graph& graph_;
  at::Tensor x_;
  IncrementalOptions options_;
  std::vector<int64_t> node_macs_;
  std::vector<std::vector<int>> live_;  // live_[i]: outputs 0..i that nodes after i read
  std::vector<int> last_reader_;        // per node: the last node reading its output (-1: none)
  std::vector<int> relu_into_;          // ir::relu_fusions(graph)
  std::vector<exec::FusedMaxPool> pool_after_relu_;  // per node: the MaxPool2d at i + 2 it may compute
  std::shared_ptr<exec::BufferPool> pool_;
  std::unordered_map<MemoKey, MemoEntry, MemoKeyHash> memo_;
  std::list<MemoKey> lru_;  // front = most recent
  // True when node i (an unquantized ReLU) may overwrite its input: its only reader,
  // held by nothing else (no memo entry, no view).
  bool relu_in_place(int i, const std::vector<at::Tensor>& values) const;
  // The packed integer layer of node i under c (built once), or null if not eligible.
  const exec::IntegerLayer* integer_layer(int i, const quant::NodeQuantConfig& c);
  // The key of the codes of node i's input (node i - 1's output) in node i's data
  // format, when node i is an integer layer reading only that output and nothing
  // after i reads it: a forward may then start at node i from those codes alone.
  std::optional<MemoKey> resume_codes_key(int i, const quant::NodeQuantConfig& c, const std::vector<PrefixKey>& prefixes);

  // Per node, per configuration: the packed integer layer, or nullopt if not eligible.
  std::vector<std::unordered_map<quant::NodeQuantConfig, std::optional<exec::IntegerLayer>, quant::ConfigHash>>
      integer_layers_;
  int64_t integer_nodes_ = 0;
  int64_t memo_bytes_ = 0;
  int64_t memo_limit_ = 0;
  int64_t macs_computed_ = 0;
};

}  // namespace qdse::lower
